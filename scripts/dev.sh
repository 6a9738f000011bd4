#!/usr/bin/env bash
# `make dev`: the whole back end on this machine.
#   1. installs the tools if needed (scripts/tools.sh);
#   2. starts DynamoDB Local on DYNAMODB_PORT with its data in .local/dynamodb
#      (kept across restarts), unless something already answers there;
#   3. creates the table if missing (roster-adapters' create-table binary);
#   4. starts the stream poller (roster-adapters' stream-poller binary), which
#      reads the table's stream and invokes the `delivery` function through
#      cargo lambda's invoke endpoint, as Lambda's event source mapping would;
#   5. starts the console (web/, Vite's dev server) on 127.0.0.1:WEB_PORT,
#      which forwards /api to the functions (WEB=0 skips it);
#   6. serves every function with `cargo lambda watch` on 127.0.0.1:PORT.
# Mail and events are written as files (MAIL_DIR, EVENTS_DIR) by the delivery
# function, within a second of the request.
# Ctrl-C stops the server and the DynamoDB Local this script started.
# Every variable below can be set by the caller.
set -euo pipefail

CALLER_PWD="$PWD"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOG_TAG="dev"
# shellcheck source=scripts/dynamodb-local.sh
source "$ROOT/scripts/dynamodb-local.sh"

bash "$ROOT/scripts/tools.sh"
use_tools_path

# absolute PATH: PATH made absolute relative to the caller's directory.
absolute() {
    case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$CALLER_PWD/$1" ;;
    esac
}

: "${PORT:=9000}"
: "${DYNAMODB_PORT:=8000}"
if [[ -z "${AWS_ENDPOINT_URL_DYNAMODB:-}" ]]; then
    START_LOCAL_DYNAMODB=1
    AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DYNAMODB_PORT"
else
    START_LOCAL_DYNAMODB=0 # the caller points at some other DynamoDB
fi
: "${TABLE_NAME:=roster}"
: "${MAIL_TRANSPORT:=dir}"
: "${EVENTS_TRANSPORT:=dir}"
MAIL_DIR="$(absolute "${MAIL_DIR:-$ROOT/.local/mail}")"
EVENTS_DIR="$(absolute "${EVENTS_DIR:-$ROOT/.local/events}")"
: "${WEB_PORT:=5173}"
: "${APP_BASE_URL:=http://localhost:$WEB_PORT}"
: "${SUPPORT_AGENTS:=}"
: "${LICENSE_TERMS_VERSION:=local-dev}"
: "${AWS_ACCESS_KEY_ID:=local}"
: "${AWS_SECRET_ACCESS_KEY:=local}"
: "${AWS_REGION:=us-east-1}"
: "${RUST_LOG:=info}"
export TABLE_NAME AWS_ENDPOINT_URL_DYNAMODB MAIL_TRANSPORT MAIL_DIR EVENTS_TRANSPORT EVENTS_DIR \
    APP_BASE_URL SUPPORT_AGENTS LICENSE_TERMS_VERSION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION RUST_LOG
export AWS_EC2_METADATA_DISABLED=true

# DEV_LOGS: logs, pid files and the env file (a second stack, as make fuzz and
# the browser tests start, keeps its own, away from a running make dev's).
LOGS="$(absolute "${DEV_LOGS:-$ROOT/.local/dev-logs}")"
mkdir -p "$LOGS" "$MAIL_DIR" "$EVENTS_DIR"

DDB_PID=""
POLLER_PID=""
WEB_PID=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM HUP
    # A closed terminal or a dead `| tee` must not stop the clean-up half-way.
    trap '' PIPE
    set +e
    if [[ -n "$POLLER_PID" ]]; then
        stop_group "$POLLER_PID"
    fi
    if [[ -n "$WEB_PID" ]]; then
        stop_group "$WEB_PID"
    fi
    if [[ -n "$DDB_PID" ]]; then
        log "stopping DynamoDB Local (pid $DDB_PID)"
        stop_group "$DDB_PID"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [[ $START_LOCAL_DYNAMODB == 1 ]]; then
    if http_answers 127.0.0.1 "$DYNAMODB_PORT"; then
        log "something already answers on 127.0.0.1:$DYNAMODB_PORT; using it as DynamoDB"
    else
        log "starting DynamoDB Local on 127.0.0.1:$DYNAMODB_PORT (data in .local/dynamodb, log in .local/dev-logs/dynamodb.log)"
        ddb_start shared "$DYNAMODB_PORT" "$LOGS/dynamodb.log" "$ROOT/.local/dynamodb"
    fi
fi

log "ensuring table '$TABLE_NAME' exists at $AWS_ENDPOINT_URL_DYNAMODB (the first run compiles create-table)"
cargo run -q -p roster-adapters --bin create-table

# cargo lambda watch passes its own environment on to the functions; the env
# file makes the function environment explicit all the same (values must be
# single-line).
ENV_FILE="$LOGS/dev.env"
{
    echo "# written by scripts/dev.sh; regenerated at every start"
    for name in TABLE_NAME AWS_ENDPOINT_URL_DYNAMODB MAIL_TRANSPORT MAIL_DIR EVENTS_TRANSPORT EVENTS_DIR \
        APP_BASE_URL SUPPORT_AGENTS LICENSE_TERMS_VERSION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION RUST_LOG \
        AWS_EC2_METADATA_DISABLED; do
        value="${!name}"
        if [[ "$value" == *$'\n'* ]]; then
            log "ERROR: $name must be a single line"
            exit 1
        fi
        printf '%s=%s\n' "$name" "$value"
    done
} >"$ENV_FILE"

log "starting the stream poller (log in $LOGS/stream-poller.log)"
# Where cargo put it: CARGO_TARGET_DIR when set (as bench.sh reads it).
cargo build -q -p roster-adapters --features local-stream --bin stream-poller
# Built now, not by the first invocation: a delivery compiled inside its
# first batch runs out of its time and leaves that batch for a retry.
cargo build -q --bin delivery
POLLER_PID="$(DELIVERY_INVOKE_URL="http://127.0.0.1:$PORT/2015-03-31/functions/delivery/invocations" \
    spawn_group "$LOGS/stream-poller.pid" "$LOGS/stream-poller.log" "${CARGO_TARGET_DIR:-$ROOT/target}/debug/stream-poller")"

if [[ "${WEB:-1}" != 0 ]]; then
    ensure_web_deps
    log "console on http://127.0.0.1:$WEB_PORT (Vite; log in $LOGS/web.log)"
    WEB_PID="$(cd "$ROOT/web" && API_PORT="$PORT" WEB_PORT="$WEB_PORT" \
        spawn_group "$LOGS/web.pid" "$LOGS/web.log" node_modules/.bin/vite)"
fi

log "serving the functions on http://127.0.0.1:$PORT (mail in $MAIL_DIR, events in $EVENTS_DIR)"
log "the first request to each function compiles it: expect a few minutes' wait the first time"
# Not exec: the EXIT trap must still stop DynamoDB Local afterwards.
status=0
# WATCH_FLAGS: more flags for cargo lambda watch (`make fuzz` passes
# --ignore-changes, so an edit does not restart the functions mid-run).
# shellcheck disable=SC2086
cargo lambda watch -A 127.0.0.1 -P "$PORT" --env-file "$ENV_FILE" ${WATCH_FLAGS:-} || status=$?
exit "$status"
