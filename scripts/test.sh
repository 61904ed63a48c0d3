#!/usr/bin/env bash
# The project's single test command: shellcheck on the scripts, formatting, lints, the whole
# test suite (unit, snapshot and tmux end-to-end tests), then the integration tests against a
# real QEMU/libvirt hypervisor when this machine can run one (see scripts/hypervisor.sh).
#
# Every check runs even when an earlier one failed, so one run shows everything that is
# wrong; the exit status is non-zero if anything failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

FAILED=()

# Runs a check, prints a header and a result line, and records a failure instead of exiting.
check() {
    local label=$1 start rc=0
    shift
    printf '==> %s\n' "$label"
    start=$SECONDS
    "$@" || rc=$?
    if ((rc == 0)); then
        printf '==> %s: ok (%d s)\n' "$label" $((SECONDS - start))
    else
        printf '==> %s: FAILED with exit code %d (%d s)\n' "$label" "$rc" $((SECONDS - start))
        FAILED+=("$label")
    fi
}

hypervisor_down() {
    scripts/hypervisor.sh down || echo "==> hypervisor down failed" >&2
}

# Brings the hypervisor up, runs the real-hypervisor tests against it and always tears it
# down again; a machine that cannot run it (exit 77) skips them with the reason.
real_hypervisor_tests() {
    local out rc=0 reason
    if [[ ! -f tests/real_hypervisor.rs ]]; then
        echo "real hypervisor tests skipped: tests/real_hypervisor.rs does not exist"
        return 0
    fi
    out=$(mktemp)
    set +e
    # The guest burns its vCPU so the monitor test has a load to measure.
    YUN_HV_BURN=1 scripts/hypervisor.sh up 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    set -e
    if ((rc == 77)); then
        reason=$(sed -n 's/^skipped: //p' "$out" | head -n 1)
        rm -f "$out"
        echo "real hypervisor tests skipped: ${reason:-unknown reason}"
        return 0
    fi
    rm -f "$out"
    # From here on the hypervisor may be (partly) up: tear it down whatever happens.
    trap hypervisor_down EXIT
    trap 'exit 130' INT TERM
    if ((rc != 0)); then
        FAILED+=("hypervisor up")
        return 0
    fi
    check "real hypervisor tests" env YUN_TEST_QEMU_URI=qemu:///system \
        cargo test --test real_hypervisor -- --test-threads=1
}

main() {
    scripts/deps.sh
    # Every script at any depth under scripts/ (with globstar, ** also matches no directory,
    # so scripts/*.sh are in) and the CI entry point.
    shopt -s globstar
    local -a shell_scripts=(scripts/**/*.sh .ci/run)
    check "shellcheck" shellcheck "${shell_scripts[@]}"
    check "cargo fmt" cargo fmt --all --check
    check "cargo clippy" cargo clippy --all-targets -- -D warnings
    check "cargo test" env INSTA_UPDATE=no cargo test --all-targets
    real_hypervisor_tests
    if ((${#FAILED[@]} > 0)); then
        local joined
        joined=$(printf '%s, ' "${FAILED[@]}")
        printf '==> FAILED: %s\n' "${joined%, }"
        exit 1
    fi
    echo "==> all checks passed"
}

main "$@"
