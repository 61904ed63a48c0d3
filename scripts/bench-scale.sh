#!/usr/bin/env bash
# The instance listing on a big host, timed against `virsh list --all` on the same host in the
# same run: both medians, their ratio, the libvirt calls yun counted for its listing, and the
# calls libvirt's own debug log shows (which count the same for any yun build).
#
#   scripts/bench-scale.sh [DOMAINS] [RUNS]
#       a generated test-driver host file with DOMAINS domains (default 10,000; every 10th
#       running, the rest shut off; a quarter of the disks in a pool, the rest outside any
#       pool; one NIC each on one network); RUNS runs each (default 5)
#   scripts/bench-scale.sh hypervisor [DOMAINS] [RUNS]
#       the real daemon of `scripts/hypervisor.sh up` (qemu:///system) with DOMAINS inactive
#       domains (default 2,000) defined beside its guest through one virsh session, disks and
#       NICs as above (the pool's volumes are created, raw and 1 MiB); all removed at the end
#
# Builds the release binary first, or uses $YUN when it is set. BEFORE=/path/to/other/yun
# also times another build (e.g. of an earlier commit) in the same run. IDLE=SECONDS then
# leaves the console open on the Instances tab for that long and prints the CPU yun and the
# daemon (libvirtd of scripts/hypervisor.sh) used, the daemon's against its own use over the
# same time without yun just before.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode="test"
if [[ ${1:-} == hypervisor ]]; then
    mode=hypervisor
    shift
fi
if [[ $mode == test ]]; then domains=${1:-10000}; else domains=${1:-2000}; fi
runs=${2:-5}
if [[ -z ${YUN:-} ]]; then
    cargo build --release --quiet
    YUN=$PWD/target/release/yun
fi
work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

# One domain's XML without its closing tag: domain(number, type, disk directory, network,
# extra attributes of <domain>).
domain_awk='
function domain(i, type, dir, net, extra,    x) {
    x = sprintf("<domain type=\x27%s\x27%s>\n", type, extra);
    x = x sprintf("  <name>bench-%05d</name>\n", i);
    x = x sprintf("  <uuid>%08d-0000-4000-8000-%012d</uuid>\n", i, i);
    x = x sprintf("  <memory unit=\x27MiB\x27>%d</memory>\n", 128 * (1 + i % 4));
    x = x sprintf("  <vcpu>%d</vcpu>\n", 1 + i % 4);
    x = x "  <os><type arch=\x27x86_64\x27>hvm</type></os>\n  <devices>\n";
    x = x "    <disk type=\x27file\x27 device=\x27disk\x27>\n";
    x = x "      <driver name=\x27qemu\x27 type=\x27raw\x27/>\n";
    x = x sprintf("      <source file=\x27%s/bench-%05d.raw\x27/>\n", dir, i);
    x = x "      <target dev=\x27vda\x27 bus=\x27virtio\x27/>\n    </disk>\n";
    x = x "    <interface type=\x27network\x27>\n";
    x = x sprintf("      <mac address=\x2752:54:%02x:%02x:%02x:%02x\x27/>\n", int(i / 16777216) % 256, int(i / 65536) % 256, int(i / 256) % 256, i % 256);
    x = x sprintf("      <source network=\x27%s\x27/>\n", net);
    x = x "      <model type=\x27virtio\x27/>\n    </interface>\n  </devices>\n";
    return x;
}'

if [[ $mode == test ]]; then
    host=$work/host.xml
    uri="test://$host"
    # The host file: domains first, then the network and the pool that holds every 4th disk.
    {
        echo "<node>"
        echo "  <cpu><mhz>2400</mhz><model>x86_64</model><active>64</active><nodes>1</nodes>"
        echo "    <sockets>1</sockets><cores>32</cores><threads>2</threads></cpu>"
        echo "  <memory>268435456</memory>"
        awk -v n="$domains" "$domain_awk"'
        BEGIN {
            ns = " xmlns:test=\x27http://libvirt.org/schemas/domain/test/1.0\x27";
            for (i = 1; i <= n; i++) {
                printf "%s", domain(i, "test", (i % 4 == 0) ? "/srv/bench/pool" : "/srv/bench/outside", "bench", ns);
                printf "  <test:runstate>%d</test:runstate>\n</domain>\n", (i % 10 == 0) ? 1 : 5;
            }
            printf "<network>\n  <name>bench</name>\n  <bridge name=\x27benchbr0\x27/>\n";
            printf "  <ip address=\x27192.168.210.1\x27 netmask=\x27255.255.0.0\x27>\n";
            printf "    <dhcp><range start=\x27192.168.210.2\x27 end=\x27192.168.250.254\x27/></dhcp>\n";
            printf "  </ip>\n</network>\n";
            printf "<pool type=\x27dir\x27>\n  <name>bench-pool</name>\n";
            printf "  <target><path>/srv/bench/pool</path></target>\n";
            for (i = 4; i <= n; i += 4) {
                printf "  <volume type=\x27file\x27><name>bench-%05d.raw</name>", i;
                printf "<capacity unit=\x27GiB\x27>20</capacity><allocation unit=\x27GiB\x27>2</allocation>";
                printf "<target><path>/srv/bench/pool/bench-%05d.raw</path><format type=\x27raw\x27/></target></volume>\n", i;
            }
            printf "</pool>\n";
        }'
        echo "</node>"
    } >"$host"
else
    uri=qemu:///system
    pool=yun-pool
    network=yun-lan
    if ! virsh -c "$uri" pool-info "$pool" >/dev/null 2>&1; then
        echo "skipped: no hypervisor with the pool $pool (scripts/hypervisor.sh up)"
        exit 77
    fi
    pool_dir=$(virsh -c "$uri" pool-dumpxml "$pool" | sed -n 's:.*<path>\(.*\)</path>.*:\1:p' | head -n 1)
    mkdir -p "$work/defs"
    # Every 4th disk is a volume of the pool, the others files outside any pool.
    awk -v n="$domains" -v defs="$work/defs" -v pool_dir="$pool_dir" -v outside="$work/outside" \
        -v net="$network" -v pool="$pool" "$domain_awk"'
        BEGIN {
            for (i = 1; i <= n; i++) {
                file = sprintf("%s/bench-%05d.xml", defs, i);
                in_pool = (i % 4 == 0);
                printf "%s</domain>\n", domain(i, "qemu", in_pool ? pool_dir : outside, net, "") > file;
                close(file);
                if (in_pool) printf "vol-create-as %s bench-%05d.raw 1M --format raw\n", pool, i >> defs "/define.cmds";
                printf "define %s\n", file >> defs "/define.cmds";
                printf "undefine bench-%05d\n", i >> defs "/undefine.cmds";
                if (in_pool) printf "vol-delete bench-%05d.raw --pool %s\n", i, pool >> defs "/undefine.cmds";
            }
        }'
    cleanup() {
        virsh -c "$uri" <"$work/defs/undefine.cmds" >/dev/null 2>&1 || true
        rm -rf "$work"
    }
    started=$(date +%s%N)
    virsh -c "$uri" <"$work/defs/define.cmds" >/dev/null
    echo "defined $domains domains in $((($(date +%s%N) - started) / 1000000)) ms (one virsh session)"
fi

# Both must agree on the host before they are timed.
listed=$(virsh -c "$uri" list --all --name | grep -c . || true)
echo "host: $uri with $domains generated domains; virsh lists $listed"

ns_now() { date +%s%N; }

# Median wall time in ms of RUNS runs of a command.
median_ms() {
    local times=() start end
    for ((i = 1; i <= runs; i++)); do
        start=$(ns_now)
        "$@" >/dev/null
        end=$(ns_now)
        times+=($(((end - start) / 1000000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

state=$work/state
mkdir -p "$state"
# `yun list instances -o json` of the build $1.
list_with() { YUN_STATE_DIR=$state YUN_CONFIG_DIR=$work/config "$1" -c "$uri" list instances -o json; }
run_yun() { list_with "$YUN"; }
rows=$(run_yun | grep -c '"name"' || true)
echo "yun lists $rows rows"

# The libvirt API calls one listing of the build $1 makes, by name, from libvirt's debug log;
# calls answered from the handle itself (names, UUIDs, frees) and the connection's set-up
# (open, event registration, close) are left out.
api_calls() {
    local log=$work/libvirt-api.log
    rm -f "$log"
    LIBVIRT_LOG_FILTERS="1:libvirt 4:*" LIBVIRT_LOG_OUTPUTS="1:file:$log" list_with "$1" >/dev/null
    grep -oE 'debug : vir[A-Za-z]+:' "$log" | sed -E 's/debug : (vir[A-Za-z]+):/\1/' |
        grep -vE 'Free$|GetUUID|GetName$|GetKey$|^virRegister|EventRegister|EventDeregister|^virConnectOpen|^virConnectClose$|^virGlobalInit$|^virConnectSetKeepAlive$|^virInitialize$' |
        sort | uniq -c | sort -rn | awk '{t += $1; printf "  %8d %s\n", $1, $2} END {printf "  %8d in all\n", t}'
}

virsh_ms=$(median_ms virsh -c "$uri" list --all)
yun_ms=$(median_ms run_yun)
echo "virsh -c URI list --all:              ${virsh_ms} ms (median of $runs)"
echo "yun -c URI list instances -o json:    ${yun_ms} ms (median of $runs)"
awk -v y="$yun_ms" -v v="$virsh_ms" 'BEGIN { printf "ratio yun / virsh: %.2f\n", (v > 0 ? y / v : 0) }'
if [[ -n ${BEFORE:-} ]]; then
    before_ms=$(median_ms list_with "$BEFORE")
    echo "the other build ($BEFORE):    ${before_ms} ms (median of $runs)"
    awk -v y="$before_ms" -v v="$virsh_ms" 'BEGIN { printf "ratio other build / virsh: %.2f\n", (v > 0 ? y / v : 0) }'
    echo "libvirt API calls of one listing, the other build:"
    api_calls "$BEFORE"
fi
echo "libvirt API calls of one listing:"
api_calls "$YUN"

# The calls yun's libvirt layer counted for one listing, from its debug log.
YUN_LOG=yun=debug run_yun >/dev/null
if grep -q 'libvirt calls for listing instances' "$state/yun.log" 2>/dev/null; then
    grep 'libvirt calls for listing instances' "$state/yun.log" | tail -1 | sed -E 's/.*(libvirt calls)/\1/'
fi

# The console at rest: CPU ticks of yun and of the daemon over IDLE seconds, after the table
# is full, against the daemon's ticks over the same time without yun.
if [[ -n ${IDLE:-} ]]; then
    # shellcheck source=lib/tmux-driver.sh
    . scripts/lib/tmux-driver.sh
    export TD_TIMEOUT=300
    trap 'td_stop; cleanup' EXIT
    hz=$(getconf CLK_TCK)
    ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
    daemon=""
    if [[ $mode == hypervisor ]]; then
        daemon=$(cat "${YUN_HV_STATE_DIR:-/var/lib/yun-test}/libvirtd.pid")
    fi
    if [[ -n $daemon ]]; then
        base_before=$(ticks "$daemon")
        sleep "$IDLE"
        base=$(($(ticks "$daemon") - base_before))
    fi
    td_start 160 40 "$state" "$work/config" "$work/home"
    td_yun "$YUN" -c "$uri"
    td_wait_match "Instances \\($listed\\)"
    pid=$(td_yun_pid)
    sleep 5
    yun_before=$(ticks "$pid")
    [[ -n $daemon ]] && daemon_before=$(ticks "$daemon")
    sleep "$IDLE"
    yun_used=$(($(ticks "$pid") - yun_before))
    awk -v t="$yun_used" -v hz="$hz" -v w="$IDLE" \
        'BEGIN { printf "at rest %d s on Instances: yun %.2f s of CPU = %.2f %% of one core\n", w, t / hz, 100 * t / hz / w }'
    if [[ -n $daemon ]]; then
        daemon_used=$(($(ticks "$daemon") - daemon_before))
        awk -v t="$daemon_used" -v b="$base" -v hz="$hz" -v w="$IDLE" \
            'BEGIN { printf "libvirtd meanwhile: %.2f %% of one core (%.2f %% without yun just before)\n", 100 * t / hz / w, 100 * b / hz / w }'
    fi
    td_stop
fi
