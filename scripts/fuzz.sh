#!/usr/bin/env bash
# `make fuzz`: Schemathesis against the whole local stack, as a signed-in
# director of a practice, for a bounded time. Not part of `make test`.
#   1. installs the tools, and Schemathesis into .tools/fuzz (pinned in
#      scripts/fuzz/requirements.txt + constraints.txt);
#   2. starts DynamoDB Local in memory and `make dev`'s server on free ports,
#      with mail and events in .local/fuzz/;
#   3. signs up a director, verifies the email with the mailed link, creates
#      a practice;
#   4. runs every check in the coverage, fuzzing and stateful phases for
#      FUZZ_SECONDS (default 600), and prints the summary;
#   5. exits non-zero when Schemathesis found anything but the emulator's
#      own answers (its 500 for a body that is not UTF-8, its router's 404
#      for a method a path does not list) and one false positive of its own
#      (scripts/fuzz/triage.py says which).
# The operations that end or lock the director's session (logout, a wrong
# current password five times) run in a second, short pass with an account
# of their own. Reports: .local/fuzz/report/.
#
#   scripts/fuzz.sh            run
#   scripts/fuzz.sh --relock   reinstall Schemathesis and rewrite constraints.txt
# Env: FUZZ_SECONDS, FUZZ_SCHEMA (default infra/openapi.yaml), FUZZ_SEED, FUZZ_WORKERS (default 2), SCHEMATHESIS_ARGS (extra arguments).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOG_TAG="fuzz"
# shellcheck source=scripts/dynamodb-local.sh
source "$ROOT/scripts/dynamodb-local.sh"
# shellcheck source=scripts/stack.sh
source "$ROOT/scripts/stack.sh"

: "${FUZZ_SECONDS:=600}"
: "${FUZZ_WORKERS:=2}"
: "${FUZZ_SCHEMA:=infra/openapi.yaml}"
FUZZ_VENV="$ROOT/.tools/fuzz"
REQS="$ROOT/scripts/fuzz/requirements.txt"
CONSTRAINTS="$ROOT/scripts/fuzz/constraints.txt"
WORK="$ROOT/.local/fuzz"

bash "$ROOT/scripts/tools.sh"
use_tools_path

# --- Schemathesis, pinned, in a venv of its own --------------------------------
want="$(cat "$REQS" "$CONSTRAINTS" | sha256sum | cut -d' ' -f1)"
if [[ "${1:-}" == "--relock" || ! -x "$FUZZ_VENV/bin/schemathesis" || "$(cat "$FUZZ_VENV/.roster-stamp" 2>/dev/null)" != "$want" ]]; then
    log "installing Schemathesis into .tools/fuzz ..."
    rm -rf "$FUZZ_VENV"
    python3 -m venv "$FUZZ_VENV"
    pip_args=(-q --disable-pip-version-check --no-input -r "$REQS")
    if [[ "${1:-}" != "--relock" ]]; then pip_args+=(-c "$CONSTRAINTS"); fi
    "$FUZZ_VENV/bin/python" -m pip install "${pip_args[@]}"
    if [[ "${1:-}" == "--relock" ]]; then
        { grep '^#' "$CONSTRAINTS" || true; "$FUZZ_VENV/bin/python" -m pip freeze | sort -f; } >"$CONSTRAINTS.new"
        mv "$CONSTRAINTS.new" "$CONSTRAINTS"
        want="$(cat "$REQS" "$CONSTRAINTS" | sha256sum | cut -d' ' -f1)"
        log "rewrote scripts/fuzz/constraints.txt"
    fi
    echo "$want" >"$FUZZ_VENV/.roster-stamp"
fi

# --- the stack -----------------------------------------------------------------
rm -rf "$WORK"
mkdir -p "$WORK/report"
DDB_PID=""
DEV_PID=""
stop_groups_on_exit DEV_PID DDB_PID
log "building the functions ..."
stack_build
stack_start "$WORK" TABLE_NAME=roster-fuzz RUST_LOG=warn
log "serving on $STACK_API (logs in .local/fuzz/logs/)"
API="$STACK_API"

# --- a director with a practice, and an account to spend -------------------------
read -r TOKEN PID SPARE < <("$FUZZ_VENV/bin/python" "$ROOT/scripts/fuzz/setup.py" "$API" "$WORK/mail")
log "director signed in; practice $PID"

# --- Schemathesis ----------------------------------------------------------------
export SCHEMATHESIS_HOOKS=hooks
export PYTHONPATH="$ROOT/scripts/fuzz"
# The director must stay signed in: these end or lock the session. Their own
# pass has no stateful phase: no link leads to them.
ends_session=(logout change_password disable_totp)
common=(--url "$API" --checks all
    --phases coverage,fuzzing,stateful --workers "$FUZZ_WORKERS" --request-timeout 30 --report json,junit
    ${FUZZ_SEED:+--seed "$FUZZ_SEED"})
exclude=()
for op in "${ends_session[@]}"; do exclude+=(--exclude-operation-id "$op"); done
include=()
for op in "${ends_session[@]}"; do include+=(--include-operation-id "$op"); done
status=0
# shellcheck disable=SC2086
"$FUZZ_VENV/bin/schemathesis" --config-file "$ROOT/scripts/fuzz/schemathesis.toml" run "$FUZZ_SCHEMA" "${common[@]}" -H "Authorization: Bearer $TOKEN" \
    --max-time "$FUZZ_SECONDS" "${exclude[@]}" --report-json-path "$WORK/report/main.json" --report-junit-path "$WORK/report/main.xml" \
    ${SCHEMATHESIS_ARGS:-} || status=$?
# shellcheck disable=SC2086
"$FUZZ_VENV/bin/schemathesis" --config-file "$ROOT/scripts/fuzz/schemathesis.toml" run "$FUZZ_SCHEMA" "${common[@]}" -H "Authorization: Bearer $SPARE" \
    --max-time "$((FUZZ_SECONDS / 10 + 10))" "${include[@]}" --phases coverage,fuzzing --report-json-path "$WORK/report/session.json" --report-junit-path "$WORK/report/session.xml" \
    ${SCHEMATHESIS_ARGS:-} || status=$?
log "Schemathesis exit $status; triage:"
"$FUZZ_VENV/bin/python" "$ROOT/scripts/fuzz/triage.py" "$WORK/report/main.xml" "$WORK/report/session.xml"
