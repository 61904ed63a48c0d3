#!/usr/bin/env bash
# Time from launching `yun --demo` in a terminal (tmux) to the first full frame on screen: the
# header with the host and the Instances table with its rows. Prints each run and the median,
# plus the first-frame time yun logs itself (measured from the start of main).
#
#   scripts/bench-startup.sh [RUNS]     (default 20; builds the release binary first)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${1:-20}
cargo build --release --quiet
bin=$PWD/target/release/yun
work=$(mktemp -d)
# shellcheck source=lib/tmux-driver.sh
. scripts/lib/tmux-driver.sh
# Look at the screen as often as possible: the wait is what is measured.
export TD_POLL=0
trap 'td_stop; rm -rf "$work"' EXIT

ms_now() { date +%s%N | cut -c1-13; }

times=()
for ((i = 1; i <= runs; i++)); do
    td_start 120 40 "$work" "$work/config" "$work/home"
    script=$(td_yun_script "$bin" --demo)
    start=$(ms_now)
    td_run "$script"
    td_wait_for 'web-01'
    end=$(ms_now)
    times+=($((end - start)))
    echo "run $i: $((end - start)) ms (screen)"
    td_stop
    sleep 0.1
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median to first full frame, as seen on screen: ${median} ms over ${runs} runs"
echo "yun's own log (from the start of main):"
grep 'first full frame' "$work/yun.log" | sed -E 's/.*elapsed_ms=([0-9.]+).*/\1/' |
    sort -n | awk '{a[NR]=$1} END {printf "  median %.1f ms, min %.1f ms, max %.1f ms over %d runs\n", a[int((NR+1)/2)], a[1], a[NR], NR}'
