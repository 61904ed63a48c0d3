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
socket="yun-monitor-bench-$$"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

{
    echo "<node><cpu><mhz>2900</mhz><model>bench</model><active>64</active><nodes>1</nodes>"
    echo "<sockets>1</sockets><cores>32</cores><threads>2</threads></cpu><memory>536870912</memory>"
    for ((i = 0; i < domains; i++)); do
        printf "<domain type='test'><name>vm-%04d</name><uuid>00000000-0000-4000-8000-%012d</uuid>" "$i" "$i"
        echo "<memory unit='MiB'>1024</memory><vcpu>2</vcpu><os><type>hvm</type></os><devices><memballoon model='virtio'/></devices></domain>"
    done
    echo "</node>"
} >"$work/host.xml"

tmux -L "$socket" new-session -d -x 120 -y 40 "bash --norc --noprofile"
sleep 0.3
tmux -L "$socket" send-keys "YUN_STATE_DIR=$work YUN_CONFIG_DIR=$work/config exec $bin -c test://$work/host.xml --interval 1" Enter
until tmux -L "$socket" capture-pane -p | grep -q "Instances ($domains)"; do sleep 0.1; done
case $view in
monitor)
    tmux -L "$socket" send-keys m
    until tmux -L "$socket" capture-pane -p | grep -q 'Monitor ·'; do sleep 0.1; done
    ;;
overview)
    tmux -L "$socket" send-keys 1
    until tmux -L "$socket" capture-pane -p | grep -q 'vm-0000 .*%'; do sleep 0.1; done
    ;;
instances)
    tmux -L "$socket" send-keys %
    until tmux -L "$socket" capture-pane -p | grep -q 'Running .*%'; do sleep 0.1; done
    ;;
esac
pid=$(pgrep -f "$bin -c test://$work/host.xml" | head -n 1)
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
