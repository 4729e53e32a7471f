#!/usr/bin/env bash
# Regenerates the bindings' constant files (error codes, event kinds, client states) from the
# core's vocabulary (core/src/vocab.rs), then the C header. The `vocab_generated` test of
# omnisock-core (part of the rust suite) fails while any of them is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
OMNISOCK_UPDATE_GENERATED=1 cargo test --release -q -p omnisock-core --test vocab_generated
scripts/gen-header.sh
