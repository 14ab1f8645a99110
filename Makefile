# The everyday commands, one name each. `make help` lists them. CI runs `.ci/run`, which calls the same scripts.

FUZZ_SECONDS ?= 600
FUZZ_TARGET ?= synth

.PHONY: help all fmt lint test review lint-templates validate-sarif test-pre-commit yaml-equivalence deploy-smoke ci bench bench-synth \
	bench-simulate bench-status bench-report fuzz schema

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 20

all: fmt lint test ## format, lint and test: what to run before a commit

fmt: ## format the Rust code
	cargo fmt --all

lint: ## clippy and rustdoc with warnings denied, shellcheck and ruff
	cargo fmt --all --check
	cargo clippy --all-targets --locked -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked --quiet
	scripts/lint-scripts

test: ## the test suite, as the README gives it
	scripts/test

review: ## run the tests and review each changed snapshot: accept or reject (scripts/review)
	scripts/review

schema: ## regenerate the committed JSON Schema of the config
	cargo run --quiet -- schema > presence-stack.schema.json

lint-templates: ## cfn-lint and checkov on every example, JSON and YAML
	scripts/lint-templates

validate-sarif: ## check --message-format sarif of every example and test config against the SARIF 2.1.0 schema
	scripts/validate-sarif

test-pre-commit: ## the hooks of .pre-commit-hooks.yaml through pre-commit try-repo, in a scratch repository
	scripts/test-pre-commit

yaml-equivalence: ## the YAML form read by awscli, cfn-lint and PyYAML equals the JSON form
	scripts/yaml-equivalence

deploy-smoke: ## deploy every example to moto with the README's command, and read it back
	scripts/deploy-smoke

ci: ## everything CI runs
	bash .ci/run

bench: bench-synth bench-simulate bench-status bench-report ## every benchmark (several minutes; not part of CI)

bench-synth: ## synth against cdk synth and troposphere
	scripts/bench-synth

bench-simulate: ## simulate on a million generated events
	scripts/bench-simulate

bench-status: ## status on two million generated items
	scripts/bench-status

bench-report: ## report on a million generated items of 10,000 devices
	scripts/bench-report

fuzz: ## one fuzz target for FUZZ_SECONDS (FUZZ_TARGET=synth|sql|eval|items; needs cargo-fuzz)
	cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -a $(FUZZ_TARGET) -- -max_total_time=$(FUZZ_SECONDS) -jobs=1 -workers=1
