#!/usr/bin/env bash
# Fuzz every parser of outside data for a fixed number of inputs each: the OpenStack row
# decoders, `next` links, clouds.yaml/secure.yaml, config.toml, themes, domain XML and the
# statistics records (targets in fuzz/fuzz_targets/).
#
#   scripts/fuzz.sh [RUNS] [TARGET...]
#
# RUNS: inputs per target (default: $FUZZ_RUNS, else 1000000). TARGET: some of the targets
# (default: all). Environment: FUZZ_SANITIZER (none, the default, or address),
# FUZZ_JOBS (targets run at once, default 1), FUZZ_MAX_LEN (default 8192 bytes).
#
# The seed corpus is written from the test fixtures by the targets themselves into
# fuzz/corpus/TARGET (ignored by git, kept between runs so a later run starts from what an
# earlier one found). Crashes, panics, timeouts and out-of-memory inputs land in
# fuzz/artifacts/TARGET/, each target's log in fuzz/artifacts/TARGET.log. The script prints
# per target the inputs run and libFuzzer's coverage figures (cov: edges, ft: features), and
# exits non-zero when any target found something.
set -euo pipefail

cd "$(dirname "$0")/.."

runs=${1:-${FUZZ_RUNS:-1000000}}
[[ $# -gt 0 ]] && shift
all=(openstack_rows next_link clouds_yaml config theme domain_xml stats)
if [[ $# -gt 0 ]]; then targets=("$@"); else targets=("${all[@]}"); fi
sanitizer=${FUZZ_SANITIZER:-none}
jobs=${FUZZ_JOBS:-1}
max_len=${FUZZ_MAX_LEN:-8192}

if ! [[ $runs =~ ^[0-9]+$ ]]; then
    echo "fuzz.sh: RUNS must be a number of inputs, not '$runs'" >&2
    exit 2
fi

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

# One build for every target (they share the whole dependency tree).
cargo +nightly fuzz build -s "$sanitizer" >&2
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin="fuzz/target/$triple/release"

fuzz_one() {
    local t=$1
    local corpus="fuzz/corpus/$t" artifacts="fuzz/artifacts/$t" seeds
    seeds=$(mktemp -d)
    mkdir -p "$corpus" "$artifacts"
    local rc=0
    if ! YUN_FUZZ_SEEDS="$seeds" "$bin/$t" >"fuzz/artifacts/$t.log" 2>&1; then
        echo "seeds not written" >>"fuzz/artifacts/$t.log"
        echo 99 >"fuzz/artifacts/$t.rc"
        return
    fi
    "$bin/$t" -runs="$runs" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "$seeds" \
        >"fuzz/artifacts/$t.log" 2>&1 || rc=$?
    rm -rf "$seeds"
    echo "$rc" >"fuzz/artifacts/$t.rc"
}

summary() {
    local t=$1 log="fuzz/artifacts/$1.log" rc inputs cov ft found
    rc=$(cat "fuzz/artifacts/$t.rc")
    inputs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    # The last status line libFuzzer printed: "#N  DONE cov: C ft: F corp: …"
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    if [[ $rc == 0 ]]; then
        found="nothing"
    else
        found="FOUND (exit $rc): $(grep -m1 -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" || echo "see $log")"
    fi
    printf '%-16s inputs %-9s cov %-6s ft %-7s %s\n' "$t" "${inputs:-?}" "${cov:-?}" "${ft:-?}" "$found"
    [[ $rc == 0 ]]
}

mkdir -p fuzz/artifacts
running=0
for t in "${targets[@]}"; do
    if [[ ! -x "$bin/$t" ]]; then
        echo "fuzz.sh: no target '$t' (targets: ${all[*]})" >&2
        exit 2
    fi
    echo "fuzz.sh: $t, $runs inputs" >&2
    fuzz_one "$t" &
    running=$((running + 1))
    if ((running >= jobs)); then
        wait -n || true
        running=$((running - 1))
    fi
done
wait

status=0
for t in "${targets[@]}"; do
    summary "$t" || status=1
done
exit "$status"
