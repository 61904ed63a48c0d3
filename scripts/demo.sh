#!/usr/bin/env bash
# Runs yun on the bundled demo host (libvirt's test driver; no daemon, no root needed).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/deps.sh
exec cargo run --release --quiet -- --demo "$@"
