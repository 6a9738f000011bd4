#!/usr/bin/env bash
# Build and deploy Roster with SAM CLI (README: Deploy). The tools come from
# .tools/ like everything else: SAM CLI and zig in their own venv
# (.tools/deploy-venv, pinned by requirements-deploy.txt and
# constraints-deploy.txt), cargo-lambda from .tools/venv, and rustup's
# aarch64-unknown-linux-gnu standard library (the functions run on arm64).
#
#   scripts/deploy.sh check        sam validate --lint, and sam build of every
#                                  function into a throwaway folder (make deploy-check)
#   scripts/deploy.sh build        sam build into .aws-sam/ (make deploy-build)
#   scripts/deploy.sh deploy ARGS  build, then `sam deploy ARGS` (make deploy ARGS=--guided)
#   scripts/deploy.sh relock       rebuild the venv from requirements-deploy.txt alone
#                                  and rewrite constraints-deploy.txt
#   scripts/deploy.sh arm64 DIR    release builds of every function and the bench's hello-world
#                                  for arm64 (make bench), copied to DIR
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
cd "$ROOT"
VENV="$ROOT/.tools/deploy-venv"
REQS="$ROOT/scripts/requirements-deploy.txt"
CONSTRAINTS="$ROOT/scripts/constraints-deploy.txt"
TARGET=aarch64-unknown-linux-gnu

say() { printf '[deploy] %s\n' "$*" >&2; }
die() { printf '[deploy] ERROR: %s\n' "$*" >&2; exit 1; }

cmd="${1:-}"
shift || true

# cargo-lambda (and moto, cfn-lint) in .tools/venv
bash "$ROOT/scripts/tools.sh"

want="reqs=$(hash_of "$REQS" "$CONSTRAINTS")"
if [[ "$cmd" == relock || ! -x "$VENV/bin/sam" || "$(cat "$VENV/.roster-stamp" 2>/dev/null)" != "$want" ]]; then
    say "installing SAM CLI and zig into .tools/deploy-venv (about a minute) ..."
    rm -rf "$VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed"
    pip_args=(-q --disable-pip-version-check --no-input -r "$REQS")
    [[ "$cmd" == relock ]] || pip_args+=(-c "$CONSTRAINTS")
    "$VENV/bin/python" -m pip install "${pip_args[@]}" || die "pip install into .tools/deploy-venv failed"
    if [[ "$cmd" == relock ]]; then
        { grep '^#' "$CONSTRAINTS" || true; "$VENV/bin/python" -m pip freeze --disable-pip-version-check | sort -f; } >"$CONSTRAINTS.new"
        mv "$CONSTRAINTS.new" "$CONSTRAINTS"
        want="reqs=$(hash_of "$REQS" "$CONSTRAINTS")"
        say "rewrote scripts/constraints-deploy.txt"
    fi
    echo "$want" >"$VENV/.roster-stamp"
fi
[[ "$cmd" == relock ]] && exit 0

if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
    command -v rustup >/dev/null || die "rustup not found: the $TARGET standard library is needed for the arm64 build"
    say "rustup target add $TARGET"
    rustup target add "$TARGET" >&2
fi

# The deploy venv first: cargo-lambda runs zig through `python3 -m ziglang`
# when no zig is on PATH, and that python3 must be the one with ziglang.
export PATH="$VENV/bin:$ROOT/.tools/venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

# Every function the template declares, by logical id.
functions() {
    "$VENV/bin/python" - <<'PY'
import yaml
class Loader(yaml.SafeLoader):
    pass
# The template's short-form intrinsics (!Ref, !Sub, ...) are plain tags to us.
Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
with open("infra/template.yaml") as f:
    resources = yaml.load(f, Loader=Loader)["Resources"]
for name, res in resources.items():
    if res.get("Type") == "AWS::Serverless::Function":
        print(name)
PY
}

# An arm64 (EM_AARCH64 = 183) ELF executable, or not.
is_arm64_elf() {
    python3 -c 'import sys
h = open(sys.argv[1], "rb").read(20)
sys.exit(0 if h[:4] == b"\x7fELF" and int.from_bytes(h[18:20], "little") == 183 else 1)' "$1"
}

sam_build() {
    local build_dir="$1" cache_dir="$2"
    sam build --config-file "$ROOT/samconfig.toml" --build-dir "$build_dir" --cache-dir "$cache_dir"
}

case "$cmd" in
    check)
        say "sam validate --lint"
        sam validate --config-file "$ROOT/samconfig.toml" --lint
        tmp="$(mktemp -d)"
        trap 'rm -rf "$tmp"' EXIT
        say "sam build of every function into $tmp ($TARGET)"
        # The same recipe as a deploy's, with the release profile's costly
        # whole-program optimisation off: this checks that every function
        # builds and is packaged, not how fast it runs, and on 2 cores the
        # full profile's eight LTO links take longer than all the tests.
        CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
            sam_build "$tmp/build" "$tmp/cache"
        mapfile -t fns < <(functions)
        [[ ${#fns[@]} -gt 0 ]] || die "found no AWS::Serverless::Function in infra/template.yaml"
        missing=0
        for fn in "${fns[@]}"; do
            bin="$tmp/build/$fn/bootstrap"
            if [[ -f "$bin" ]] && is_arm64_elf "$bin"; then
                say "  $fn: bootstrap, arm64, $(( $(stat -c %s "$bin") / 1024 )) KiB"
            else
                say "  $fn: no arm64 bootstrap in $tmp/build/$fn"
                missing=1
            fi
        done
        [[ $missing == 0 ]] || die "sam build did not produce every function"
        [[ -f "$tmp/build/template.yaml" ]] || die "sam build wrote no template"
        say "ok: the template validates and every function builds"
        ;;
    build)
        sam_build "$ROOT/.aws-sam/build" "$ROOT/.aws-sam/cache"
        ;;
    deploy)
        sam_build "$ROOT/.aws-sam/build" "$ROOT/.aws-sam/cache"
        # No -t: sam deploy then takes .aws-sam/build/template.yaml, the one
        # whose CodeUri names the built binaries (with -t infra/template.yaml
        # it would upload the whole repository as every function's code).
        sam deploy --config-file "$ROOT/samconfig.toml" "$@"
        ;;
    arm64)
        # make bench: every function and the hello-world yardstick built for
        # arm64 with the full release profile (cargo-lambda's zig, as sam
        # build does), bootstraps copied to $1/<binary>.
        out="${1:?usage: scripts/deploy.sh arm64 OUT_DIR}"
        mkdir -p "$out"
        for d in "$ROOT"/functions/*/; do
            name="$(basename "$d")"
            say "cargo lambda build --release --arm64 -p $name"
            cargo lambda build --release --arm64 -p "$name" >&2
            cp "${CARGO_TARGET_DIR:-$ROOT/target}/lambda/$name/bootstrap" "$out/$name"
        done
        say "cargo lambda build --release --arm64 -p roster-bench-hello"
        cargo lambda build --release --arm64 -p roster-bench-hello >&2
        cp "${CARGO_TARGET_DIR:-$ROOT/target}/lambda/hello/bootstrap" "$out/hello"
        ;;
    *)
        die "usage: scripts/deploy.sh check|build|deploy [sam deploy args]|relock|arm64 OUT_DIR"
        ;;
esac
