#!/usr/bin/env bash
# A real QEMU/libvirt hypervisor for yun's integration tests, kept inside a network
# namespace of its own.
#
#   scripts/hypervisor.sh up       start everything (idempotent; a second `up` is a no-op)
#   scripts/hypervisor.sh down     stop what `up` started, by PID, and delete the namespace
#   scripts/hypervisor.sh status   show what runs
#
# `up` runs libvirtd + virtlogd inside the network namespace `yunhv`, defines the isolated
# network `yun-lan` (bridge yunbr0, 192.168.213.1/24, no forward: the guest can reach only
# the bridge address) and boots the domain `yun-guest`: a Debian cloud kernel plus a busybox
# initramfs, both taken from Debian packages with `apt-get download` and never installed.
# The guest takes a DHCP lease, prints YUN-READY on its serial console, writes to its disk
# and pings the bridge so that every stats counter moves; with YUN_HV_BURN=1 (kernel
# command line yun.burn=1) it also keeps its vCPU busy.
# Clients use qemu:///system from outside the namespace: the unix socket is on the shared
# filesystem.
#
# `up` prints "skipped: <why>" and exits 77 when it cannot work here: not root, not Debian,
# or no network namespaces.
#
# Environment:
#   YUN_HV_STATE_DIR     state, pid files, logs, caches (default /var/lib/yun-test)
#   YUN_HV_KVM=1         try KVM instead of TCG (needs a working /dev/kvm)
#   YUN_HV_BURN=1        boot the guest with yun.burn=1
#   YUN_HV_BOOT_TIMEOUT  seconds to wait for the guest's DHCP lease (default 90)
#
# The XML of the network, pool and domain and the guest's init and udhcpc scripts are files
# in scripts/hypervisor/; the XML's @KEY@ tokens are filled in from the constants below.
#
# Timings are recorded in docs/HYPERVISOR.md.
set -euo pipefail

readonly NETNS=yunhv
readonly URI=qemu:///system
readonly STATE_DIR=${YUN_HV_STATE_DIR:-/var/lib/yun-test}
readonly CACHE_DIR=$STATE_DIR/cache
readonly GUEST_DIR=$STATE_DIR/guest
readonly POOL_DIR=$STATE_DIR/pool
readonly LOG_DIR=$STATE_DIR/log
readonly VIRTLOGD_PID=$STATE_DIR/virtlogd.pid
readonly LIBVIRTD_PID=$STATE_DIR/libvirtd.pid
readonly NET_NAME=yun-lan
readonly BRIDGE=yunbr0
readonly BRIDGE_IP=192.168.213.1
readonly POOL_NAME=yun-pool
readonly DOMAIN=yun-guest
readonly GUEST_MAC=52:54:00:79:75:01
# Fixed, so a redefinition of the inactive domain replaces it instead of clashing.
readonly GUEST_UUID=5e7a6b1c-79c5-4e6e-9a75-796e67000001
readonly DISK_NAME=yun-guest.qcow2
readonly CONSOLE_LOG=$LOG_DIR/yun-guest-console.log
readonly BOOT_TIMEOUT=${YUN_HV_BOOT_TIMEOUT:-90}
readonly DAEMON_TIMEOUT=15
# virtio stack as modules, in an order where each one's symbols are already loaded.
readonly GUEST_MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
    virtio_blk failover net_failover virtio_net virtio_balloon)
readonly HV_PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86
    qemu-utils dnsmasq-base iptables iproute2)
# The network, pool and domain XML templates and the guest's scripts live beside this one.
TEMPLATE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/hypervisor" && pwd)
readonly TEMPLATE_DIR
# The guest's /init and udhcpc script go into the initramfs as they are. /init is kept
# short: under TCG every line of console output costs time.
readonly GUEST_INIT=$TEMPLATE_DIR/init.sh
readonly GUEST_UDHCPC=$TEMPLATE_DIR/udhcpc.sh

# ---------------------------------------------------------------- output helpers

say() { printf 'hypervisor: %s\n' "$*"; }

skip() {
    printf 'skipped: %s\n' "$*"
    exit 77
}

# Prints the message and the tail of each log given, then exits non-zero.
fail() {
    local msg=$1 log
    shift
    printf 'hypervisor: FAILED: %s\n' "$msg" >&2
    for log in "$@"; do
        if [[ -s "$log" ]]; then
            printf '%s\n' "---- tail of $log" >&2
            tail -n 25 "$log" >&2
        fi
    done
    exit 1
}

# Runs one step (a function) and prints one line: its label, its note and how long it took.
# A step sets STEP_NOTE to say what it did ("started", "already running", ...).
STEP_NOTE=
step() {
    local label=$1 start end
    shift
    STEP_NOTE=ok
    start=$EPOCHREALTIME
    "$@"
    end=$EPOCHREALTIME
    printf 'hypervisor: %-18s %s (%.2f s)\n' "$label" "$STEP_NOTE" "$(bc_sub "$end" "$start")"
}

bc_sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

# virsh with a time limit: a wedged daemon must not hang the test run.
vsh() { timeout 60 virsh -q -c "$URI" "$@"; }

# Prints the template hypervisor/NAME with each @KEY@ replaced by VALUE (arguments
# KEY=VALUE). A token left unfilled is an error, so a template and this script cannot drift
# apart silently.
fill_template() {
    local file=$TEMPLATE_DIR/$1 pair key value text
    local -a exprs=()
    shift
    for pair in "$@"; do
        key=${pair%%=*}
        value=${pair#*=}
        # What sed treats specially in a replacement: backslash, the | delimiter and &.
        value=${value//\\/\\\\}
        value=${value//|/\\|}
        value=${value//&/\\&}
        exprs+=(-e "s|@${key}@|${value}|g")
    done
    text=$(sed "${exprs[@]}" "$file") || fail "cannot read template $file"
    if [[ "$text" =~ @[A-Z_]+@ ]]; then
        fail "template $file: ${BASH_REMATCH[0]} not filled"
    fi
    printf '%s\n' "$text"
}

# ---------------------------------------------------------------- process helpers

# True when PID is alive and not a zombie. PID 1 on some hosts never reaps, so `kill -0`
# succeeds on dead daemons; the state letter in /proc/PID/stat is what counts.
pid_alive() {
    local pid=$1 stat
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ "${stat%% *}" != Z && "${stat%% *}" != X ]]
}

# True when PID runs inside our namespace: a recycled PID must never be signalled.
pid_in_netns() {
    [[ "$(ip netns identify "$1" 2>/dev/null)" == "$NETNS" ]]
}

pid_from_file() {
    if [[ -r "$1" ]]; then tr -dc '0-9' <"$1"; fi
}

# Prints the PID recorded in FILE when that process is alive, runs EXE and lives in our
# namespace; prints nothing otherwise.
running_pid() {
    local file=$1 exe=$2 pid
    pid=$(pid_from_file "$file")
    if [[ -n "$pid" ]] && pid_alive "$pid" && pid_in_netns "$pid" &&
        [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$exe" ]]; then
        printf '%s\n' "$pid"
    fi
}

# Sends TERM, waits up to 10 s, then KILL. Waits for the zombie state, not for the PID
# to disappear, because nobody may reap it.
stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------- preflight

preflight() {
    [[ $EUID -eq 0 ]] || skip "needs root (network namespaces, libvirtd as system daemon)"
    local os_id
    # shellcheck source=/dev/null
    os_id=$( (. /etc/os-release 2>/dev/null && printf '%s' "${ID:-}") || true)
    [[ "$os_id" == debian ]] || skip "needs Debian (packages are installed with apt-get)"
    command -v unshare >/dev/null || skip "unshare not found, cannot test for network namespaces"
    unshare --net true 2>/dev/null || skip "cannot create network namespaces here"
}

# ---------------------------------------------------------------- packages

missing_hv_packages() {
    local pkg
    for pkg in "${HV_PACKAGES[@]}"; do
        [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" == installed ]] ||
            printf '%s\n' "$pkg"
    done
}

APT_UPDATED=0
apt_update_once() {
    if ((APT_UPDATED == 0)); then
        apt-get update -qq >"$LOG_DIR/apt.log" 2>&1 || fail "apt-get update" "$LOG_DIR/apt.log"
        APT_UPDATED=1
    fi
}

install_packages() {
    local -a missing args=()
    local codename qemu_utils_version pkg
    mapfile -t missing < <(missing_hv_packages)
    if ((${#missing[@]} == 0)); then
        STEP_NOTE="all present"
        return
    fi
    # Some images carry a backported qemu-utils (>= 8) that Breaks bookworm's
    # qemu-system-common: installing QEMU would silently remove qemu-img. Asking for the
    # release's own qemu-utils in the same transaction downgrades it instead.
    qemu_utils_version=$(dpkg-query -W -f='${Version}' qemu-utils 2>/dev/null || true)
    # shellcheck source=/dev/null
    codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-bookworm}")
    for pkg in "${missing[@]}"; do
        if [[ "$pkg" == qemu-utils ]]; then continue; fi
        args+=("$pkg")
    done
    if [[ -n "$qemu_utils_version" ]] && dpkg --compare-versions "$qemu_utils_version" ge 1:8; then
        args+=("qemu-utils/$codename" --allow-downgrades)
    elif [[ -z "$qemu_utils_version" ]]; then
        args+=(qemu-utils)
    fi
    apt_update_once
    # Never libvirt-daemon-system: it replaces the init system and adds a NAT network on
    # the host namespace. Recommends would pull in the same.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${args[@]}" \
        >"$LOG_DIR/apt.log" 2>&1 || fail "apt-get install ${args[*]}" "$LOG_DIR/apt.log"
    STEP_NOTE="installed ${missing[*]}"
}

# ---------------------------------------------------------------- host preparation

prepare_host() {
    local notes=() conf=/etc/libvirt/qemu.conf
    # Both daemons exit at once when their default log directory is missing.
    mkdir -p /var/log/libvirt "$LOG_DIR" "$CACHE_DIR" "$GUEST_DIR" "$POOL_DIR"
    # Debian's libvirtd resolves its compiled-in QEMU user before reading qemu.conf and
    # refuses to start the QEMU driver when that user does not exist.
    if ! getent group libvirt-qemu >/dev/null; then
        groupadd --system libvirt-qemu
        notes+=("group libvirt-qemu")
    fi
    if ! getent passwd libvirt-qemu >/dev/null; then
        useradd --system --gid libvirt-qemu --home-dir /var/lib/libvirt --no-create-home \
            --shell /usr/sbin/nologin libvirt-qemu
        notes+=("user libvirt-qemu")
    fi
    # /dev/kvm is root-only without the kvm group that libvirt-daemon-system would add;
    # run QEMU as root unless an administrator chose otherwise.
    mkdir -p /etc/libvirt
    if ! grep -Eq '^[[:space:]]*user[[:space:]]*=' "$conf" 2>/dev/null; then
        printf 'user = "root"\n' >>"$conf"
        notes+=("qemu.conf user")
    fi
    if ! grep -Eq '^[[:space:]]*group[[:space:]]*=' "$conf" 2>/dev/null; then
        printf 'group = "root"\n' >>"$conf"
        notes+=("qemu.conf group")
    fi
    if ((${#notes[@]} > 0)); then STEP_NOTE="created ${notes[*]}"; else STEP_NOTE="ready"; fi
}

create_netns() {
    if ip netns list | grep -qw "^$NETNS"; then
        STEP_NOTE="exists"
    else
        ip netns add "$NETNS" || fail "ip netns add $NETNS"
        STEP_NOTE="created"
    fi
    ip -n "$NETNS" link set lo up
}

# ---------------------------------------------------------------- daemons

start_daemon() {
    local name=$1 exe=$2 pidfile=$3 log=$4 pid i
    pid=$(running_pid "$pidfile" "$exe")
    if [[ -n "$pid" ]]; then
        STEP_NOTE="already running (pid $pid)"
        return
    fi
    rm -f "$pidfile"
    # LIBVIRT_LOG_OUTPUTS keeps the logs in our state dir; level 3 = warnings and errors.
    LIBVIRT_LOG_OUTPUTS="3:file:$log" ip netns exec "$NETNS" "$exe" -d --pid-file "$pidfile" \
        >>"$log" 2>&1 || fail "$name did not start" "$log"
    for ((i = 0; i < 50; i++)); do
        pid=$(running_pid "$pidfile" "$exe")
        [[ -n "$pid" ]] && break
        sleep 0.1
    done
    [[ -n "$pid" ]] || fail "$name exited right after start" "$log"
    STEP_NOTE="started (pid $pid)"
}

start_virtlogd() {
    start_daemon virtlogd /usr/sbin/virtlogd "$VIRTLOGD_PID" "$LOG_DIR/virtlogd.log"
}

start_libvirtd() {
    # A daemon we did not start may serve the same socket (and put its networks on the host
    # namespace): never share it, say so.
    if [[ -z "$(running_pid "$LIBVIRTD_PID" /usr/sbin/libvirtd)" ]] &&
        timeout 5 virsh -c "$URI" uri >/dev/null 2>&1; then
        fail "a libvirtd not started by this script already serves $URI; stop it first"
    fi
    start_daemon libvirtd /usr/sbin/libvirtd "$LIBVIRTD_PID" "$LOG_DIR/libvirtd.log"
}

wait_for_libvirtd() {
    local deadline=$((SECONDS + DAEMON_TIMEOUT))
    until timeout 5 virsh -c "$URI" uri >/dev/null 2>&1; do
        ((SECONDS < deadline)) || fail "libvirtd did not answer on $URI within ${DAEMON_TIMEOUT}s" \
            "$LOG_DIR/libvirtd.log"
        [[ -n "$(running_pid "$LIBVIRTD_PID" /usr/sbin/libvirtd)" ]] ||
            fail "libvirtd died" "$LOG_DIR/libvirtd.log"
        sleep 0.05
    done
    # The first call that needs QEMU's capabilities probes the emulator (several seconds
    # when /var/cache/libvirt has no cache yet); do it here so it is timed as its own step.
    vsh version >/dev/null 2>"$LOG_DIR/virsh.err" ||
        fail "virsh version" "$LOG_DIR/virsh.err" "$LOG_DIR/libvirtd.log"
    STEP_NOTE="$URI answers"
}

# ---------------------------------------------------------------- network and storage

network_xml() {
    fill_template network.xml NET_NAME="$NET_NAME" BRIDGE="$BRIDGE" BRIDGE_IP="$BRIDGE_IP"
}

define_network() {
    local notes=()
    if ! vsh net-info "$NET_NAME" >/dev/null 2>&1; then
        network_xml >"$STATE_DIR/$NET_NAME.xml"
        vsh net-define "$STATE_DIR/$NET_NAME.xml" >/dev/null 2>"$LOG_DIR/virsh.err" ||
            fail "net-define $NET_NAME" "$LOG_DIR/virsh.err"
        notes+=(defined)
    fi
    if [[ "$(vsh net-info "$NET_NAME" | awk '/^Active:/ {print $2}')" != yes ]]; then
        vsh net-start "$NET_NAME" >/dev/null 2>"$LOG_DIR/virsh.err" ||
            fail "net-start $NET_NAME" "$LOG_DIR/virsh.err" "$LOG_DIR/libvirtd.log"
        notes+=(started)
    fi
    if ((${#notes[@]} > 0)); then STEP_NOTE="$NET_NAME ${notes[*]}"; else STEP_NOTE="$NET_NAME active"; fi
}

pool_xml() {
    fill_template pool.xml POOL_NAME="$POOL_NAME" POOL_DIR="$POOL_DIR"
}

define_pool_and_disk() {
    local notes=() disk=$POOL_DIR/$DISK_NAME
    if ! vsh pool-info "$POOL_NAME" >/dev/null 2>&1; then
        pool_xml >"$STATE_DIR/$POOL_NAME.xml"
        vsh pool-define "$STATE_DIR/$POOL_NAME.xml" >/dev/null 2>"$LOG_DIR/virsh.err" ||
            fail "pool-define $POOL_NAME" "$LOG_DIR/virsh.err"
        notes+=(defined)
    fi
    if [[ "$(vsh pool-info "$POOL_NAME" | awk '/^State:/ {print $2}')" != running ]]; then
        vsh pool-start "$POOL_NAME" >/dev/null 2>"$LOG_DIR/virsh.err" ||
            fail "pool-start $POOL_NAME" "$LOG_DIR/virsh.err"
        notes+=(started)
    fi
    if [[ ! -f "$disk" ]]; then
        qemu-img create -q -f qcow2 "$disk" 64M 2>"$LOG_DIR/qemu-img.err" ||
            fail "qemu-img create $disk" "$LOG_DIR/qemu-img.err"
        vsh pool-refresh "$POOL_NAME" >/dev/null
        notes+=("disk created")
    fi
    if ((${#notes[@]} > 0)); then STEP_NOTE="$POOL_NAME ${notes[*]}"; else STEP_NOTE="$POOL_NAME ready"; fi
}

# ---------------------------------------------------------------- guest image

# Newest 6.1 cloud kernel package name that apt offers, e.g. linux-image-6.1.0-56-cloud-amd64.
kernel_package() {
    local name
    name=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' 2>/dev/null |
        awk '{print $1}' | sort -V | tail -n 1)
    if [[ -z "$name" ]]; then
        apt_update_once
        name=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' |
            awk '{print $1}' | sort -V | tail -n 1)
    fi
    [[ -n "$name" ]] || fail "no linux-image-6.1.0-*-cloud-amd64 package offered by apt"
    printf '%s\n' "$name"
}

# Downloads the kernel and busybox .debs once; later runs reuse the cache without asking apt.
fetch_guest_debs() {
    local kernel_deb busybox_deb pkg
    kernel_deb=$(compgen -G "$CACHE_DIR/linux-image-6.1.0-*-cloud-amd64_*.deb" | sort -V | tail -n 1 || true)
    busybox_deb=$(compgen -G "$CACHE_DIR/busybox-static_*.deb" | tail -n 1 || true)
    if [[ -n "$kernel_deb" && -n "$busybox_deb" ]]; then
        STEP_NOTE="cached $(basename "$kernel_deb")"
        return
    fi
    pkg=$(kernel_package)
    # apt-get download as root warns that _apt cannot write here; the download still works.
    (cd "$CACHE_DIR" && apt-get download -q "$pkg" busybox-static) >"$LOG_DIR/download.log" 2>&1 ||
        fail "apt-get download $pkg busybox-static" "$LOG_DIR/download.log"
    STEP_NOTE="downloaded $pkg busybox-static"
}

build_guest() {
    local kernel_deb busybox_deb stamp build root m ko cpio_bin
    kernel_deb=$(compgen -G "$CACHE_DIR/linux-image-6.1.0-*-cloud-amd64_*.deb" | sort -V | tail -n 1)
    busybox_deb=$(compgen -G "$CACHE_DIR/busybox-static_*.deb" | tail -n 1)
    # Rebuild when a package or the guest's scripts change.
    stamp=$({
        basename "$kernel_deb"
        basename "$busybox_deb"
        cat "$GUEST_INIT" "$GUEST_UDHCPC"
        printf '%s\n' "${GUEST_MODULES[@]}"
    } | sha256sum | cut -c1-16)
    if [[ -f "$GUEST_DIR/vmlinuz" && -f "$GUEST_DIR/initrd.img" &&
        "$(cat "$GUEST_DIR/stamp" 2>/dev/null)" == "$stamp" ]]; then
        STEP_NOTE="cached (stamp $stamp)"
        return
    fi
    build=$STATE_DIR/build
    rm -rf "$build"
    mkdir -p "$build/kernel" "$build/busybox"
    dpkg-deb -x "$kernel_deb" "$build/kernel"
    dpkg-deb -x "$busybox_deb" "$build/busybox"
    root=$build/initramfs
    mkdir -p "$root/bin" "$root/lib/modules" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
    cp "$build/busybox/bin/busybox" "$root/bin/busybox"
    for m in "${GUEST_MODULES[@]}"; do
        ko=$(find "$build/kernel/lib/modules" -name "$m.ko" -print -quit)
        [[ -n "$ko" ]] || fail "kernel module $m.ko not found in $(basename "$kernel_deb")"
        cp "$ko" "$root/lib/modules/"
        printf '%s\n' "$m" >>"$root/lib/modules/order"
    done
    cp "$GUEST_INIT" "$root/init"
    cp "$GUEST_UDHCPC" "$root/etc/udhcpc.script"
    chmod 755 "$root/init" "$root/etc/udhcpc.script"
    # The kernel opens /dev/console before /init runs; without the node init has no output.
    mknod -m 600 "$root/dev/console" c 5 1
    cpio_bin=(cpio)
    command -v cpio >/dev/null || cpio_bin=("$build/busybox/bin/busybox" cpio)
    (cd "$root" && find . | "${cpio_bin[@]}" -o -H newc 2>/dev/null) | gzip -1 >"$GUEST_DIR/initrd.img.new"
    cp "$(compgen -G "$build/kernel/boot/vmlinuz-*" | head -n 1)" "$GUEST_DIR/vmlinuz"
    mv "$GUEST_DIR/initrd.img.new" "$GUEST_DIR/initrd.img"
    printf '%s\n' "$stamp" >"$GUEST_DIR/stamp"
    rm -rf "$build"
    STEP_NOTE="built initramfs $(du -k "$GUEST_DIR/initrd.img" | cut -f1) KiB, stamp $stamp"
}

# ---------------------------------------------------------------- the domain

domain_type() {
    if [[ "${YUN_HV_KVM:-0}" == 1 && -r /dev/kvm && -w /dev/kvm ]]; then
        echo kvm
    else
        # TCG: KVM is often unusable for Linux guests in nested setups.
        echo qemu
    fi
}

domain_xml() {
    local burn=0
    [[ "${YUN_HV_BURN:-0}" == 1 ]] && burn=1
    fill_template domain.xml DOMAIN_TYPE="$(domain_type)" DOMAIN="$DOMAIN" GUEST_UUID="$GUEST_UUID" \
        GUEST_DIR="$GUEST_DIR" BURN="$burn" DISK_PATH="$POOL_DIR/$DISK_NAME" GUEST_MAC="$GUEST_MAC" \
        NET_NAME="$NET_NAME" CONSOLE_LOG="$CONSOLE_LOG"
}

domain_state() { vsh domstate "$DOMAIN" 2>/dev/null | head -n 1 || true; }

start_domain() {
    local state
    state=$(domain_state)
    if [[ "$state" == running ]]; then
        STEP_NOTE="$DOMAIN already running"
        return
    fi
    # (Re)define while inactive so changes to hypervisor/domain.xml take effect.
    domain_xml >"$STATE_DIR/$DOMAIN.xml"
    vsh define "$STATE_DIR/$DOMAIN.xml" >/dev/null 2>"$LOG_DIR/virsh.err" ||
        fail "define $DOMAIN" "$LOG_DIR/virsh.err"
    if [[ "$state" == paused ]]; then
        vsh resume "$DOMAIN" >/dev/null 2>"$LOG_DIR/virsh.err" || fail "resume $DOMAIN" "$LOG_DIR/virsh.err"
        STEP_NOTE="$DOMAIN resumed"
        return
    fi
    # A fresh console log per boot, so YUN-READY in it means this boot.
    rm -f "$CONSOLE_LOG"
    vsh start "$DOMAIN" >/dev/null 2>"$LOG_DIR/virsh.err" ||
        fail "start $DOMAIN" "$LOG_DIR/virsh.err" "/var/log/libvirt/qemu/$DOMAIN.log" "$LOG_DIR/libvirtd.log"
    STEP_NOTE="$DOMAIN started ($(domain_type))"
}

guest_lease() {
    vsh net-dhcp-leases "$NET_NAME" --mac "$GUEST_MAC" 2>/dev/null | awk '$4 == "ipv4" {print $5; exit}'
}

wait_for_lease() {
    local deadline=$((SECONDS + BOOT_TIMEOUT)) lease
    # dnsmasq remembers leases across guest boots, so a lease alone does not mean this boot
    # is done: the guest prints YUN-READY (into a console log emptied at start) after DHCP.
    until grep -qs YUN-READY "$CONSOLE_LOG" && lease=$(guest_lease) && [[ -n "$lease" ]]; do
        ((SECONDS < deadline)) || fail "$DOMAIN not ready with a DHCP lease within ${BOOT_TIMEOUT}s" \
            "$CONSOLE_LOG" "/var/log/libvirt/qemu/$DOMAIN.log"
        [[ "$(domain_state)" == running ]] ||
            fail "$DOMAIN is $(domain_state)" "$CONSOLE_LOG" "/var/log/libvirt/qemu/$DOMAIN.log"
        sleep 0.5
    done
    STEP_NOTE="$DOMAIN has $lease"
}

# ---------------------------------------------------------------- commands

cmd_up() {
    local start=$EPOCHREALTIME
    preflight
    mkdir -p "$LOG_DIR"
    step packages install_packages
    step host prepare_host
    step netns create_netns
    step virtlogd start_virtlogd
    step libvirtd start_libvirtd
    step connect wait_for_libvirtd
    step network define_network
    step pool define_pool_and_disk
    step guest-debs fetch_guest_debs
    step guest-image build_guest
    step domain start_domain
    step lease wait_for_lease
    say "up in $(bc_sub "$EPOCHREALTIME" "$start") s; connect with $URI"
}

# Stops the guest and the network through libvirt (so QEMU and dnsmasq, which libvirtd
# started, exit cleanly), undefines what `up` defined, then stops the daemons by PID.
cmd_down() {
    local start=$EPOCHREALTIME pid
    if [[ $EUID -ne 0 ]]; then
        say "down: nothing to do (not root)"
        return 0
    fi
    if [[ -n "$(running_pid "$LIBVIRTD_PID" /usr/sbin/libvirtd)" ]] &&
        timeout 5 virsh -c "$URI" uri >/dev/null 2>&1; then
        if vsh dominfo "$DOMAIN" >/dev/null 2>&1; then
            vsh destroy "$DOMAIN" >/dev/null 2>&1 || true
            vsh undefine "$DOMAIN" >/dev/null 2>&1 || true
            say "domain             $DOMAIN destroyed and undefined"
        fi
        if vsh net-info "$NET_NAME" >/dev/null 2>&1; then
            vsh net-destroy "$NET_NAME" >/dev/null 2>&1 || true
            vsh net-undefine "$NET_NAME" >/dev/null 2>&1 || true
            say "network            $NET_NAME stopped and undefined"
        fi
        if vsh pool-info "$POOL_NAME" >/dev/null 2>&1; then
            vsh pool-destroy "$POOL_NAME" >/dev/null 2>&1 || true
            vsh pool-undefine "$POOL_NAME" >/dev/null 2>&1 || true
            say "pool               $POOL_NAME stopped and undefined (disk kept)"
        fi
    fi
    # A QEMU left behind by a daemon that died: stop it only if it is ours.
    pid=$(running_pid "/run/libvirt/qemu/$DOMAIN.pid" /usr/bin/qemu-system-x86_64)
    if [[ -n "$pid" ]]; then
        stop_pid "$pid" || fail "qemu pid $pid did not stop"
        say "qemu               stopped leftover pid $pid"
    fi
    local name exe file
    for name in libvirtd virtlogd; do
        exe=/usr/sbin/$name
        file=$STATE_DIR/$name.pid
        pid=$(running_pid "$file" "$exe")
        if [[ -n "$pid" ]]; then
            stop_pid "$pid" || fail "$name pid $pid did not stop" "$LOG_DIR/$name.log"
            say "$(printf '%-18s' "$name") stopped pid $pid"
        fi
        rm -f "$file"
    done
    if ip netns list 2>/dev/null | grep -qw "^$NETNS"; then
        ip netns del "$NETNS" || fail "ip netns del $NETNS"
        say "netns              $NETNS deleted"
    fi
    say "down in $(bc_sub "$EPOCHREALTIME" "$start") s"
}

cmd_status() {
    local rc=0 pid name lease
    if ip netns list 2>/dev/null | grep -qw "^$NETNS"; then
        say "netns      $NETNS present"
    else
        say "netns      $NETNS absent"
        rc=3
    fi
    for name in virtlogd libvirtd; do
        pid=$(running_pid "$STATE_DIR/$name.pid" "/usr/sbin/$name")
        if [[ -n "$pid" ]]; then
            say "$(printf '%-10s' "$name") running (pid $pid)"
        else
            say "$(printf '%-10s' "$name") not running"
            rc=3
        fi
    done
    if [[ -n "$(running_pid "$LIBVIRTD_PID" /usr/sbin/libvirtd)" ]]; then
        say "network    $NET_NAME $(vsh net-info "$NET_NAME" 2>/dev/null | awk '/^Active:/ {print ($2 == "yes" ? "active" : "inactive")}')"
        say "domain     $DOMAIN $(domain_state)"
        lease=$(guest_lease || true)
        say "lease      ${lease:-none}"
        [[ "$(domain_state)" == running && -n "$lease" ]] || rc=3
    fi
    return "$rc"
}

main() {
    case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 up|down|status" >&2
        exit 2
        ;;
    esac
}

main "$@"
