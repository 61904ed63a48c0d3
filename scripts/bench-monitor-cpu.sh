#!/usr/bin/env bash
# CPU used by yun while it samples every second, on a generated test-driver host with N
# running domains (default 100), with one of three views on screen:
#
#   monitor    the monitor pane of one instance (the default)
#   overview   the Overview with its top list of every running instance
#   instances  the Instances table with its live CPU and memory columns
#
# Reads the process's own CPU time from /proc over a fixed window, so other load on the
# machine does not change the figure.
#
#   scripts/bench-monitor-cpu.sh [DOMAINS] [SECONDS] [VIEW]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

domains=${1:-100}
window=${2:-30}
view=${3:-monitor}
case $view in
monitor | overview | instances) ;;
*)
    echo "unknown view: $view (monitor, overview or instances)" >&2
    exit 2
    ;;
esac
cargo build --release --quiet
bin=$PWD/target/release/yun
work=$(mktemp -d)
# shellcheck source=lib/tmux-driver.sh
. scripts/lib/tmux-driver.sh
export TD_TIMEOUT=60
trap 'td_stop; rm -rf "$work"' EXIT

{
    echo "<node><cpu><mhz>2900</mhz><model>bench</model><active>64</active><nodes>1</nodes>"
    echo "<sockets>1</sockets><cores>32</cores><threads>2</threads></cpu><memory>536870912</memory>"
    for ((i = 0; i < domains; i++)); do
        printf "<domain type='test'><name>vm-%04d</name><uuid>00000000-0000-4000-8000-%012d</uuid>" "$i" "$i"
        echo "<memory unit='MiB'>1024</memory><vcpu>2</vcpu><os><type>hvm</type></os><devices><memballoon model='virtio'/></devices></domain>"
    done
    echo "</node>"
} >"$work/host.xml"

td_start 120 40 "$work/state" "$work/config" "$work/home"
td_yun "$bin" -c "test://$work/host.xml" --interval 1
td_wait_for "Instances ($domains)"
case $view in
monitor)
    td_keys m
    td_wait_for 'Monitor ·'
    ;;
overview)
    td_keys 1
    td_wait_match 'vm-0000 .*%'
    ;;
instances)
    td_keys %
    td_wait_match 'Running .*%'
    ;;
esac
pid=$(td_yun_pid)
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
sleep 3
before=$(ticks)
sleep "$window"
after=$(ticks)
used=$((after - before))
awk -v t="$used" -v hz="$hz" -v w="$window" -v n="$domains" \
    -v view="$view" \
    'BEGIN { printf "%s view on %d domains, 1 s interval: %.2f s of CPU in %d s = %.2f %% of one core\n", view, n, t / hz, w, 100 * t / hz / w }'
