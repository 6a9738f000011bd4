# Roster: `make dev` serves the back end locally, `make test` runs all tests.
# Both install what they need into .tools/ first (scripts/tools.sh).

SHELL := bash
ARGS ?=

.PHONY: dev test e2e screens fuzz bench tools fmt lint clean-local deploy-check deploy-build deploy

## Serve every function on http://127.0.0.1:$(PORT or 9000), DynamoDB Local on $(DYNAMODB_PORT or 8000)
dev:
	@bash scripts/dev.sh

## Run cfn-lint and every test (nextest), against DynamoDB Local and moto. Extra nextest args: make test ARGS='-p roster-domain'
test:
	@bash scripts/test.sh $(ARGS)

## The console end to end in Debian's Chromium on a stack of its own (part of make test). Playwright args: make e2e ARGS='-g invite'
e2e:
	@bash scripts/e2e.sh test $(ARGS)

## Screenshots of the console's main screens into docs/screens/ (README: Console), from a stack of their own
screens:
	@bash scripts/e2e.sh screens $(ARGS)

## Schemathesis against the local stack as a signed-in director, FUZZ_SECONDS (default 600); not part of make test
fuzz:
	@bash scripts/fuzz.sh

## Release builds, then start-up, sizes, DynamoDB calls, latency and the sweep side by side into bench/results.md (README: Bench). BENCH_QUICK=1 for a smoke run
bench:
	@bash scripts/bench.sh

## Install the tools into .tools/ (also done by dev and test)
tools:
	@bash scripts/tools.sh

fmt:
	cargo fmt --all

## rustfmt --check, clippy and rustdoc (warnings are errors), cfn-lint on the SAM template; CI runs it before the tests
lint:
	@bash scripts/lint.sh

## Delete local data: DynamoDB Local's files, mail and events written by make dev, logs
clean-local:
	rm -rf .local

## sam validate --lint, then sam build of every function (arm64, release) into a throwaway folder; CI runs it
deploy-check:
	@bash scripts/deploy.sh check

## sam build into .aws-sam/ (README: Deploy)
deploy-build:
	@bash scripts/deploy.sh build

## sam build, then sam deploy $(ARGS), e.g. make deploy ARGS=--guided (README: Deploy)
deploy:
	@bash scripts/deploy.sh deploy $(ARGS)
