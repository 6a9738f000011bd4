# `make dev`'s stack on free ports, for the scripts that need a throwaway one
# (make fuzz, the browser tests): DynamoDB Local in memory, then scripts/dev.sh
# (table, stream poller and delivery, every function behind cargo lambda
# watch, and the console only if the caller asks) pointed at it, with mail,
# events and logs in a folder of the caller's.
#
# Sourced after scripts/dynamodb-local.sh, it defines:
#   stack_build                 builds every function and create-table up front
#   stack_start WORK [VAR=VALUE...]
#                               starts both on free ports; the VAR=VALUEs go to
#                               dev.sh's environment (WEB=1 WEB_PORT=... for the
#                               console, APP_BASE_URL, SUPPORT_AGENTS, ...). Sets STACK_API (the API's URL), DDB_PID and
#                               DEV_PID: register those two with
#                               stop_groups_on_exit before calling it.
# Env: STACK_START_TIMEOUT (seconds, default 300).
# shellcheck shell=bash

# `cargo lambda watch` would build each function on its first request, which
# times a caller's first requests out; one build of them all uses both cores.
stack_build() {
    local packages=() dir
    for dir in "$ROOT"/functions/*/; do packages+=(-p "$(basename "$dir")"); done
    # Three builds: a `--bin` would narrow the first to that one binary, and
    # the poller's feature must not reach the functions' build. dev.sh's own
    # builds of the last two are then no-ops, inside the start-up's timeout.
    cargo build -q "${packages[@]}" &&
        cargo build -q -p roster-adapters --bin create-table &&
        cargo build -q -p roster-adapters --features local-stream --bin stream-poller
}

stack_start() {
    local work="$1" port ddb_port
    shift
    mkdir -p "$work/mail" "$work/events" "$work/logs"
    read -r port ddb_port < <(free_ports 2)
    ddb_start memory "$ddb_port" "$work/logs/dynamodb.log" || return 1
    # The subshell keeps these exports to dev.sh.
    DEV_PID="$(
        export WEB=0
        if (($#)); then export "$@"; fi
        export PORT="$port" AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$ddb_port" MAIL_DIR="$work/mail" \
            EVENTS_DIR="$work/events" DEV_LOGS="$work/logs" WATCH_FLAGS=--ignore-changes
        spawn_group "$work/logs/dev.pid" "$work/logs/dev.log" bash "$ROOT/scripts/dev.sh"
    )" || return 1
    wait_http "make dev" 127.0.0.1 "$port" "$DEV_PID" "$work/logs/dev.log" "${STACK_START_TIMEOUT:-300}" || return 1
    STACK_API="http://127.0.0.1:$port"
}
