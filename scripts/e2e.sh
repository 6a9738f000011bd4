#!/usr/bin/env bash
# The console in a real browser: Playwright (web/e2e/) driving Debian's
# Chromium against a throwaway `make dev` stack on free ports.
#   1. installs Chromium with apt-get when none is on PATH (as root, as CI
#      runs), and the console's and the tests' npm packages (npm ci, skipped
#      when node_modules matches package-lock.json);
#   2. builds the functions, starts DynamoDB Local in memory and scripts/dev.sh
#      (stream poller, delivery, every function) on free ports, mail in
#      .local/e2e/mail, with APP_BASE_URL at the console, so mailed links open it;
#   3. serves the console with Vite's dev server on a free port, its /api
#      proxied to the stack;
#   4. runs Playwright: `test` the flow (web/e2e/tests/flow.spec.ts), `screens`
#      the screenshots into docs/screens/ (web/e2e/tests/screens.spec.ts).
# Everything it started is stopped on any exit. Logs: .local/e2e/logs/.
#
#   scripts/e2e.sh [test|screens] [playwright test arguments...]
# Env: CHROMIUM (default: chromium on PATH), E2E_HEADED=1 (watch it, needs a display).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOG_TAG="e2e"
# shellcheck source=scripts/dynamodb-local.sh
source "$ROOT/scripts/dynamodb-local.sh"
# shellcheck source=scripts/stack.sh
source "$ROOT/scripts/stack.sh"

mode="${1:-test}"
if (($#)); then shift; fi
case "$mode" in
test) project=flow ;;
screens) project=screens ;;
*)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac

started_at=$SECONDS
WORK="$ROOT/.local/e2e"

bash "$ROOT/scripts/tools.sh"
use_tools_path

# --- Chromium from Debian ------------------------------------------------------
# Playwright's own browser download cannot reach its host here; Debian's
# Chromium can be had wherever apt can.
if [[ -z "${CHROMIUM:-}" ]]; then
    if ! command -v chromium >/dev/null 2>&1; then
        command -v apt-get >/dev/null 2>&1 ||
            { log "ERROR: no 'chromium' on PATH and no apt-get to install it: install Chromium, or set CHROMIUM=/path/to/it"; exit 1; }
        [[ $(id -u) == 0 ]] ||
            { log "ERROR: no 'chromium' on PATH; install it as root (apt-get install chromium), or set CHROMIUM"; exit 1; }
        log "installing Chromium with apt-get (about a minute) ..."
        mkdir -p "$WORK"
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
            >"$WORK/apt.log" 2>&1 </dev/null; then
            tail -n 20 "$WORK/apt.log" >&2
            log "ERROR: apt-get install chromium failed (log: .local/e2e/apt.log)"
            exit 1
        fi
    fi
    CHROMIUM="$(command -v chromium)"
fi
export CHROMIUM

# --- npm packages ----------------------------------------------------------------
npm_ci_if_stale "$ROOT/web"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm_ci_if_stale "$ROOT/web/e2e"
(cd "$ROOT/web/e2e" && node_modules/.bin/tsc --noEmit -p .)

# --- the stack and the console ---------------------------------------------------
rm -rf "$WORK/mail" "$WORK/events" "$WORK/logs" "$ROOT/web/e2e/test-results"
DDB_PID=""
DEV_PID=""
VITE_PID=""
stop_groups_on_exit VITE_PID DEV_PID DDB_PID

log "building the functions ..."
stack_build
read -r CONSOLE_PORT < <(free_ports 1)
CONSOLE="http://127.0.0.1:$CONSOLE_PORT"
stack_start "$WORK" TABLE_NAME=roster-e2e RUST_LOG=warn APP_BASE_URL="$CONSOLE" \
    SUPPORT_AGENTS=agent@support.example
VITE_PID="$(cd "$ROOT/web" && API_PORT="${STACK_API##*:}" spawn_group "$WORK/logs/vite.pid" "$WORK/logs/vite.log" \
    node_modules/.bin/vite --host 127.0.0.1 --port "$CONSOLE_PORT" --strictPort)"
wait_http "vite" 127.0.0.1 "$CONSOLE_PORT" "$VITE_PID" "$WORK/logs/vite.log" 60
log "stack up after $((SECONDS - started_at))s: API $STACK_API, console $CONSOLE (logs in .local/e2e/logs/)"

# --- Playwright --------------------------------------------------------------------
export E2E_CONSOLE="$CONSOLE" E2E_API="$STACK_API" E2E_MAIL_DIR="$WORK/mail" E2E_SCREENS="$ROOT/docs/screens"
status=0
(cd "$ROOT/web/e2e" && node_modules/.bin/playwright test --project "$project" "$@") || status=$?
log "$mode: exit $status after $((SECONDS - started_at))s"
exit "$status"
