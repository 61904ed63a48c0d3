#!/usr/bin/env bash
# Installs what building and testing yun needs on Debian 12, and nothing else.
#
#   libvirt-dev pkg-config  compile the `virt` crate (links libvirt0; also enough for test:/// URIs)
#   libvirt-clients         virsh, used by scripts and tests to inspect hosts
#   libvirt-daemon          libvirtd alone (no QEMU): the deadline tests start a private one
#                           serving the test driver, and stop it under a live console
#   tmux aha                the end-to-end tests drive yun in tmux and render captures to HTML
#   gcc libc6-dev           a C compiler for the crates that build C (mimalloc, ring)
#   and the linter shellcheck, run by the test command on every script under scripts/ and .ci/run
#
# Idempotent and quiet when everything is present. Never installs recommends: on Debian
# they pull in the whole libvirt daemon stack, which the build does not need.
set -euo pipefail

readonly REQUIRED_PACKAGES=(libvirt-dev pkg-config libvirt-clients libvirt-daemon tmux aha gcc libc6-dev shellcheck)

# Prints the packages from REQUIRED_PACKAGES that dpkg does not report as installed.
missing_packages() {
    local pkg status
    for pkg in "${REQUIRED_PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        if [[ "$status" != "installed" ]]; then
            printf '%s\n' "$pkg"
        fi
    done
}

install_packages() {
    local -a pkgs=("$@")
    if [[ $EUID -ne 0 ]]; then
        echo "deps: missing packages: ${pkgs[*]}" >&2
        echo "deps: install them as root: apt-get install --no-install-recommends ${pkgs[*]}" >&2
        exit 1
    fi
    echo "deps: installing ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # One update only, and only because something is missing: the package lists of a
    # fresh image are usually empty or stale.
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
}

require_cargo() {
    if ! command -v cargo >/dev/null 2>&1; then
        echo "deps: error: cargo not found; install a Rust toolchain (rustup, stable >= 1.85) and make sure cargo is on PATH" >&2
        exit 1
    fi
}

main() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "deps: error: dpkg-query not found; this script supports Debian 12 only." >&2
        echo "deps: install the equivalents of: ${REQUIRED_PACKAGES[*]}" >&2
        exit 1
    fi
    local -a missing
    mapfile -t missing < <(missing_packages)
    if ((${#missing[@]} > 0)); then
        install_packages "${missing[@]}"
    fi
    require_cargo
}

main "$@"
