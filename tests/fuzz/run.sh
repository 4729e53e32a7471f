#!/usr/bin/env bash
# Suite `fuzz` of scripts/test.sh: a short run of every fuzz target (FUZZ_SECONDS each,
# default 15) from the committed corpus. Longer runs: scripts/fuzz.sh TARGET SECONDS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec "$root/scripts/fuzz.sh" all "${FUZZ_SECONDS:-15}"
