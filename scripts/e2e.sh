#!/usr/bin/env bash
# The console in a real browser: Playwright (web/e2e/) driving Debian's
# Chromium against a throwaway `make dev` stack on free ports.
#   1. installs Chromium with apt-get when none is on PATH (as root, as CI
#      runs), and the tests' npm packages (npm ci, skipped when node_modules
#      matches package-lock.json);
#   2. builds the functions, starts DynamoDB Local in memory and scripts/dev.sh
#      (stream poller, delivery, every function) on free ports, mail in
#      .local/e2e/mail, with APP_BASE_URL at the console, so mailed links open it;
#   3. with dev.sh's console (Vite's dev server) on a free port, its /api
#      proxied to the stack;
#   4. runs Playwright: `test` the flow (web/e2e/tests/flow.spec.ts), `screens`
#      the screenshots into docs/screens/ (web/e2e/tests/screens.spec.ts).
# Everything it started is stopped on any exit. Logs: .local/e2e/logs/.
#
#   scripts/e2e.sh [test|screens] [playwright test arguments...]
#   scripts/e2e.sh serve    only the stack, until Ctrl-C; then, in another
#                           terminal: source .local/e2e/env && cd web/e2e &&
#                           npx playwright test (edit, rerun)
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
serve) project="" ;;
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

# --- the tests' npm packages (dev.sh installs the console's) -----------------------
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm_ci_if_stale "$ROOT/web/e2e"
(cd "$ROOT/web/e2e" && node_modules/.bin/tsc --noEmit -p .)

# --- the stack, with the console ---------------------------------------------------
rm -rf "$WORK/mail" "$WORK/events" "$WORK/logs" "$ROOT/web/e2e/test-results"
DDB_PID=""
DEV_PID=""
stop_groups_on_exit DEV_PID DDB_PID

log "building the functions ..."
stack_build
read -r WEB_PORT < <(free_ports 1)
CONSOLE="http://127.0.0.1:$WEB_PORT"
stack_start "$WORK" WEB=1 WEB_PORT="$WEB_PORT" APP_BASE_URL="$CONSOLE" TABLE_NAME=roster-e2e \
    SUPPORT_AGENTS=agent@support.example
wait_http "the console (Vite)" 127.0.0.1 "$WEB_PORT" "$DEV_PID" "$WORK/logs/web.log" 120
log "stack up after $((SECONDS - started_at))s: API $STACK_API, console $CONSOLE (logs in .local/e2e/logs/)"

# --- Playwright --------------------------------------------------------------------
export E2E_CONSOLE="$CONSOLE" E2E_API="$STACK_API" E2E_MAIL_DIR="$WORK/mail" E2E_SCREENS="$ROOT/docs/screens"
if [[ $mode == serve ]]; then
    for name in CHROMIUM E2E_CONSOLE E2E_API E2E_MAIL_DIR E2E_SCREENS; do
        printf 'export %s=%q\n' "$name" "${!name}"
    done >"$WORK/env"
    log "serving until Ctrl-C; the tests' environment is in .local/e2e/env"
    while is_running "$DEV_PID"; do sleep 1; done
    exit 0
fi
status=0
(cd "$ROOT/web/e2e" && node_modules/.bin/playwright test --project "$project" "$@") || status=$?
log "$mode: exit $status after $((SECONDS - started_at))s"
exit "$status"
