# Shared helpers for scripts/*.sh. Source it; it defines functions only
# (plus ROOT, if unset).
# shellcheck shell=bash

ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

log() { printf '[%s] %s\n' "${LOG_TAG:-roster}" "$*" >&2; }

# hash_of FILE...: the SHA-256 of the files' contents, one after the other
# (a stamp: reinstall when a requirements or constraints file changes).
hash_of() { cat "$@" | python3 -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'; }

# npm_ci_if_stale DIR: `npm ci` in DIR when node_modules is missing or
# DIR/package-lock.json changed since the last install (a stamp inside
# node_modules records the lockfile's hash; npm ci deletes it first).
npm_ci_if_stale() {
    local dir="$1" want stamp="$1/node_modules/.roster-lock-hash"
    want="$(hash_of "$dir/package-lock.json")"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
    log "npm ci in ${dir#"$ROOT"/} (node_modules missing or the lockfile changed)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || { log "ERROR: npm ci failed in $dir"; return 1; }
    echo "$want" >"$stamp"
}

# ensure_web_deps: the console's packages (web/).
ensure_web_deps() { npm_ci_if_stale "$ROOT/web"; }

# Put the project's tools (scripts/tools.sh) first on PATH.
use_tools_path() {
    export PATH="$ROOT/.tools/venv/bin:$ROOT/.tools/cargo/bin:$PATH"
}

# free_ports N: prints N distinct TCP ports that were free on 127.0.0.1 a
# moment ago, separated by spaces.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

# http_answers HOST PORT: true if something on HOST:PORT answers an HTTP
# request with any HTTP status line.
http_answers() {
    python3 - "$1" "$2" <<'PY' 2>/dev/null
import socket, sys
try:
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2) as s:
        s.settimeout(5)
        s.sendall(b"POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" % sys.argv[1].encode())
        sys.exit(0 if s.recv(5) == b"HTTP/" else 1)
except OSError:
    sys.exit(1)
PY
}

# spawn_group PIDFILE LOGFILE CMD...: starts CMD in the background in a new
# session (so its own process group, untouched by the terminal's Ctrl-C),
# with stdin from /dev/null and stdout+stderr to LOGFILE. Prints its pid,
# which is also its process-group id.
spawn_group() {
    local pidfile="$1" logfile="$2"
    shift 2
    rm -f "$pidfile"
    # shellcheck disable=SC2016
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >"$logfile" 2>&1 </dev/null &
    local i
    for ((i = 0; i < 100; i++)); do
        if [[ -s "$pidfile" ]]; then
            cat "$pidfile"
            return 0
        fi
        sleep 0.05
    done
    log "could not start: $*"
    return 1
}

# wait_http NAME HOST PORT PID LOGFILE TIMEOUT_SECONDS: waits until HOST:PORT
# answers HTTP. Fails early if PID dies; on failure shows the log's tail.
wait_http() {
    local name="$1" host="$2" port="$3" pid="$4" logfile="$5" timeout="$6"
    local deadline=$((SECONDS + timeout))
    while ! http_answers "$host" "$port"; do
        if ! is_running "$pid"; then
            log "ERROR: $name exited before answering on $host:$port. Last lines of $logfile:"
            tail -n 30 "$logfile" >&2 || true
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "ERROR: $name did not answer on $host:$port within ${timeout}s. Last lines of $logfile:"
            tail -n 30 "$logfile" >&2 || true
            return 1
        fi
        sleep 0.2
    done
}

# stop_group PID: SIGTERM to the process group PID, SIGKILL after 10 s.
stop_group() {
    local pid="$1" i
    [[ -n "$pid" ]] || return 0
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        is_running "$pid" || break
        sleep 0.1
    done
    # Whatever is left of the group (the leader itself after 10 s, or any
    # child it started) is killed.
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# is_running PID: true while PID exists and is not a zombie.
is_running() {
    local state
    state="$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)" || return 1
    [[ -n "$state" && "$state" != Z ]]
}

# stop_groups_on_exit VAR...: on any exit (and on INT, TERM, HUP), stops the
# process groups whose pids the named variables then hold, in order, and
# exits with the script's status.
stop_groups_on_exit() {
    STOP_ON_EXIT=("$@")
    trap _stop_groups_and_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

_stop_groups_and_exit() {
    local status=$? var
    trap - EXIT INT TERM HUP
    # A closed terminal or a dead `| tee` must not stop the clean-up half-way.
    trap '' PIPE
    set +e
    for var in "${STOP_ON_EXIT[@]}"; do stop_group "${!var}"; done
    exit "$status"
}
