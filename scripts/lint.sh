#!/usr/bin/env bash
# `make lint`, and CI before the tests: formatting, clippy and rustdoc with
# warnings as errors, and cfn-lint on the SAM template. Any finding fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash "$ROOT/scripts/tools.sh"

echo "[lint] cargo fmt --check"
cargo fmt --all -- --check
echo "[lint] cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "[lint] cargo doc -D warnings"
# Not the vendored zxcvbn: its upstream docs have broken intra-doc links,
# and it stays as upstream wrote it (vendor/zxcvbn/PATCHED.md).
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --exclude zxcvbn --no-deps --document-private-items
echo "[lint] cfn-lint infra/template.yaml"
.tools/venv/bin/cfn-lint infra/template.yaml
