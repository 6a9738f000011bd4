#!/usr/bin/env bash
# `make test`: installs the tools if needed, starts DynamoDB Local (in memory)
# and moto's server on free loopback ports, lints the SAM template, validates
# the OpenAPI document (scripts/check_openapi.py), and runs
# the whole workspace's tests with cargo-nextest. Both servers are stopped on
# any exit. Extra arguments go to `cargo nextest run`, e.g.
#   scripts/test.sh -p roster-domain
#   scripts/test.sh -E 'test(signup)'
# Server logs: .local/test-logs/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOG_TAG="test"
# shellcheck source=scripts/dynamodb-local.sh
source "$ROOT/scripts/dynamodb-local.sh"

started_at=$SECONDS

bash "$ROOT/scripts/tools.sh"
use_tools_path

LOGS="$ROOT/.local/test-logs"
mkdir -p "$LOGS"

DDB_PID=""
MOTO_PID=""
stop_groups_on_exit MOTO_PID DDB_PID

read -r DDB_PORT MOTO_PORT < <(free_ports 2)

# Start both, then wait for both: their start-ups overlap.
ddb_command memory "$DDB_PORT"
DDB_PID="$(spawn_group "$LOGS/dynamodb.pid" "$LOGS/dynamodb.log" "${DDB_CMD[@]}")"
MOTO_PID="$(spawn_group "$LOGS/moto.pid" "$LOGS/moto.log" moto_server -H 127.0.0.1 -p "$MOTO_PORT")"
wait_http "DynamoDB Local" 127.0.0.1 "$DDB_PORT" "$DDB_PID" "$LOGS/dynamodb.log" "${DDB_START_TIMEOUT:-90}"
wait_http "moto_server" 127.0.0.1 "$MOTO_PORT" "$MOTO_PID" "$LOGS/moto.log" "${MOTO_START_TIMEOUT:-90}"
log "DynamoDB Local on 127.0.0.1:$DDB_PORT, moto on 127.0.0.1:$MOTO_PORT (logs in .local/test-logs/)"

export ROSTER_TEST_DYNAMODB="http://127.0.0.1:$DDB_PORT"
export ROSTER_TEST_MOTO="http://127.0.0.1:$MOTO_PORT"
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
# Keep a developer's ~/.aws profile and any real endpoint out of the tests.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB \
    AWS_ENDPOINT_URL_SESV2 AWS_ENDPOINT_URL_EVENTBRIDGE
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

lint_status=0
if [[ -f infra/template.yaml ]]; then
    log "cfn-lint infra/template.yaml"
    # Errors fail the run; warnings are shown (`make lint` is stricter).
    cfn-lint --non-zero-exit-code error infra/template.yaml || lint_status=$?
    if [[ $lint_status != 0 ]]; then log "cfn-lint found errors (exit $lint_status); running the tests anyway"; fi
else
    log "infra/template.yaml does not exist yet; skipping cfn-lint"
fi

# The OpenAPI document: valid 3.1, and its examples valid against their schemas.
openapi_status=0
log "openapi-spec-validator infra/openapi.yaml (scripts/check_openapi.py)"
python "$ROOT/scripts/check_openapi.py" infra/openapi.yaml || openapi_status=$?
if [[ $openapi_status != 0 ]]; then log "the OpenAPI document is invalid (exit $openapi_status); running the tests anyway"; fi

# The console (web/): its generated client matches infra/openapi.yaml, then tsc and vitest.
web_status=0
log "web: npm run check (generated client up to date, tsc, vitest)"
(ensure_web_deps && cd web && npm run --silent check) || web_status=$?
if [[ $web_status != 0 ]]; then log "the console's check failed (exit $web_status); running the tests anyway"; fi

# A test's future lives on its thread's stack, and a debug build of one that
# sends many requests in one expression needs more than the default 2 MiB
# now that each request ends with its outbox's delivery (tests/it/common/stream.rs).
export RUST_MIN_STACK="${RUST_MIN_STACK:-8388608}"

test_status=0
cargo nextest run --workspace --no-fail-fast "$@" || test_status=$?

# The console end to end in Chromium, on a stack of its own (scripts/e2e.sh).
# Runs in a whole `make test`; E2E=0 skips it, E2E=1 runs it with ARGS too.
e2e_status=0
if [[ "${E2E:-$(($# == 0))}" == 1 ]]; then
    bash "$ROOT/scripts/e2e.sh" test || e2e_status=$?
fi

elapsed=$((SECONDS - started_at))
log "elapsed: $((elapsed / 60))m$((elapsed % 60))s; nextest exit $test_status; cfn-lint exit $lint_status;" \
    "OpenAPI check exit $openapi_status; web check exit $web_status; browser tests exit $e2e_status"
if [[ $test_status != 0 ]]; then exit "$test_status"; fi
if [[ $e2e_status != 0 ]]; then exit "$e2e_status"; fi
if [[ $lint_status != 0 ]]; then exit "$lint_status"; fi
if [[ $web_status != 0 ]]; then exit "$web_status"; fi
exit "$openapi_status"
