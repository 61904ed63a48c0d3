#!/usr/bin/env bash
# Regenerates the screenshots in screenshots/: builds yun (release), runs it on the demo host in
# a detached tmux session per shot, captures the screen with its colours and converts each
# capture to SVG with scripts/ansi2svg.py.
#
#   scripts/screenshots.sh            all shots
#   scripts/screenshots.sh help zh    only these
#
# Needs tmux and python3. YUN_SHOT_TIMEOUT (seconds, default 15) bounds every wait.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly OUT="$ROOT/screenshots"
readonly COLS=120 ROWS=40
readonly TIMEOUT=${YUN_SHOT_TIMEOUT:-15}
# Shown instead of the temporary state directory (same width, so layouts do not move).
readonly SHOWN_STATE_DIR=/home/demo/.local/state/yun

die() {
    echo "screenshots: $*" >&2
    exit 1
}

command -v tmux >/dev/null || die "tmux not found (scripts/deps.sh installs it)"
command -v python3 >/dev/null || die "python3 not found"

echo "screenshots: building yun (release)"
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
readonly YUN="${CARGO_TARGET_DIR:-$ROOT/target}/release/yun"
[[ -x "$YUN" ]] || die "no binary at $YUN"

# shellcheck source=lib/tmux-driver.sh
. "$ROOT/scripts/lib/tmux-driver.sh"
export TD_TIMEOUT=$TIMEOUT

WORK=$(mktemp -d)
readonly WORK
cleanup() {
    td_stop
    rm -rf "$WORK"
}
trap cleanup EXIT

# A state directory exactly as wide as SHOWN_STATE_DIR, so the converter can swap the two.
pad=$((${#SHOWN_STATE_DIR} - ${#WORK} - 1))
((pad >= 1)) || die "temporary directory path too long ($WORK); set TMPDIR to a shorter one"
STATE_DIR="$WORK/$(printf 's%.0s' $(seq "$pad"))"
readonly STATE_DIR
mkdir -p "$OUT"

wait_for() { td_wait_for "$@"; }
keys() { td_keys "$@"; }

# Starts a fresh tmux server running yun --demo with the given arguments.
start() {
    td_start "$COLS" "$ROWS" "$STATE_DIR" "$WORK/config" "$WORK/home"
    td_yun "$YUN" --demo "$@"
}

# Captures the pane and writes screenshots/<name>.svg.
shoot() {
    local name=$1 title=$2
    shift 2
    td_wait_stable
    td_capture -e -N >"$WORK/$name.ans"
    python3 "$ROOT/scripts/ansi2svg.py" --cols "$COLS" --rows "$ROWS" --title "$title" \
        --replace "$STATE_DIR=$SHOWN_STATE_DIR" "$@" "$WORK/$name.ans" "$OUT/$name.svg"
    keys q
    td_stop
    echo "screenshots: screenshots/$name.svg"
}

shot_instances() {
    start
    wait_for 'Instances (14)' '数据库-主'
    shoot instances "yun: instances"
}

shot_overview() {
    start
    wait_for 'Instances (14)'
    keys 1
    wait_for 'Instances by status' 'Storage pools' 'Top instances' 'web-01 ' 'reports fixed'
    shoot overview "yun: overview"
}

shot_network_detail() {
    start
    wait_for 'Instances (14)'
    keys 6
    wait_for 'Networks (3)'
    keys Enter
    wait_for '· Detail' 'leases unavailable' 'Static hosts'
    shoot network-detail "yun: network detail"
}

shot_confirm_delete() {
    start
    wait_for 'Instances (14)'
    keys G
    keys k
    keys C-d
    wait_for 'Delete instance “web-02”?' '[ ] Also delete its volumes'
    keys v
    wait_for '[x] Also delete its volumes' 'remove-all-storage'
    shoot confirm-delete "yun: confirm delete"
}

shot_monitor() {
    start
    wait_for 'Instances (14)'
    keys G
    keys m
    wait_for 'Monitor · 数据库-主' 'of its 4 vCPU'
    # Let the charts gather some history.
    sleep 8
    shoot monitor "yun: monitor"
}

shot_instances_live() {
    start
    wait_for 'Instances (14)'
    keys %
    wait_for 'Memory' '100.0 %'
    keys : && keys -l 'sort cpu' && keys Enter
    keys : && keys -l 'sort cpu' && keys Enter
    wait_for 'CPU↓' 'sorted by CPU descending'
    # Let the sparklines fill.
    sleep 8
    shoot instances-live "yun: instances by live CPU"
}

shot_help() {
    start
    wait_for 'Instances (14)'
    keys '?'
    wait_for 'pause / resume'
    shoot help "yun: help"
}

shot_light() {
    start --theme light
    wait_for 'Instances (14)' '数据库-主'
    shoot theme-light "yun: light theme" --light
}

shot_high_contrast() {
    start --theme high-contrast
    wait_for 'Instances (14)' '数据库-主'
    shoot theme-high-contrast "yun: high-contrast theme"
}

shot_zh() {
    start --lang zh
    wait_for '云主机 (14)' '数据库-主'
    shoot zh "yun: 中文界面"
}

readonly ALL=(instances overview monitor instances_live network_detail confirm_delete help light high_contrast zh)
shots=("$@")
((${#shots[@]})) || shots=("${ALL[@]}")
for s in "${shots[@]}"; do
    s=${s//-/_}
    declare -F "shot_$s" >/dev/null || die "unknown shot '$s' (known: ${ALL[*]})"
    "shot_$s"
done
