#!/usr/bin/env bash
# Build cost of a generated workspace: cold and incremental build times of
# the payments workspace, and how many crates it compiles.
#
#   benches/generated-build.sh            # prints the figures
#   KEEP=1 benches/generated-build.sh     # keep the scratch directory
#
# Cold: an empty target directory (every dependency compiled; the registry
# cache is warm, nothing is downloaded while timing). Incremental: one edit
# in a user-owned decision file, then `cargo build` again. Both in the debug
# profile, as `cargo run` in the generated workspace does.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/squall-generated-build.XXXXXX")"
trap '[ -n "${KEEP:-}" ] || rm -rf "$scratch"' EXIT

cargo build --quiet --manifest-path "$repo/Cargo.toml" -p squall --bin squall
squall="$repo/target/debug/squall"
"$squall" gen "$repo/models/payments.yaml" --out "$scratch/payments" 2>/dev/null
cp "$repo/Cargo.lock" "$scratch/payments/Cargo.lock"
cd "$scratch/payments"
export CARGO_TARGET_DIR="$scratch/target"
cargo fetch --quiet

seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.1f}')"
}

cold=$(seconds cargo build)
echo "// edited" >> contexts/customer/src/decisions/merchant.rs
incremental=$(seconds cargo build)
crates=$(cargo tree --workspace --prefix none -e normal,build | sed 's/ (\*)//' | sort -u | wc -l)
host_crates=$(cargo tree --prefix none -e normal,build | sed 's/ (\*)//' | sort -u | wc -l)
workspace=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["packages"]))')
all=$(cargo metadata --format-version 1 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["packages"]))')

echo "generated payments workspace ($(nproc) cores)"
echo "  cold build (debug, empty target):      ${cold} s"
echo "  incremental build (one decision edit): ${incremental} s"
echo "  crates in the host's tree:             ${host_crates} (the whole workspace: ${crates})"
echo "  packages in the workspace:             ${workspace} (of ${all} resolved, dev and optional included)"
