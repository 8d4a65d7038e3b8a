# regate — `make demo` sets everything up and runs the main job on a bundled
# example; `make test` sets everything up and runs every test.

OPA_VERSION := v1.22.3
PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
TOOLS       := $(CURDIR)/.tools
export PATH := $(CURDIR)/$(BIN):$(PATH):$(TOOLS)/bin
export SYFT_CHECK_FOR_APP_UPDATE := false
export GOFLAGS := -modcacherw
export GOPATH ?= $(TOOLS)/go

.PHONY: setup system-packages opa demo test test-rego test-python bench fidelity fuzz clean

setup: $(VENV)/.installed opa system-packages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# OPA is built from source with the Go toolchain (cached in .tools/) unless an
# `opa` is already on PATH.
opa:
	@if command -v opa >/dev/null 2>&1; then \
	  echo "opa: using $$(command -v opa)"; \
	else \
	  echo "opa: building $(OPA_VERSION) into $(TOOLS)/bin"; \
	  mkdir -p $(TOOLS)/bin && GOBIN=$(TOOLS)/bin go install github.com/open-policy-agent/opa@$(OPA_VERSION); \
	fi

# The Docker engine, mmdebstrap, skopeo and umoci come from Debian; they are
# installed only when missing and only where we may (root, or CI).
system-packages:
	@.ci/system-packages

demo: setup
	$(BIN)/regate check --policy examples/production examples/production/inputs/vulnerable.json || test $$? -eq 1
	$(BIN)/regate check --explain --fail-on warn --policy examples/production examples/production/inputs/vulnerable.json || test $$? -eq 1

test-rego: setup
	opa test rego

test-python: setup
	$(BIN)/pytest -n 2 -p no:cacheprovider tests

test: test-rego test-python

bench: setup
	$(BIN)/python bench/run.py

# Per real-world corpus file: counts in the source vs in the document, and every fact left out with
# its reason; exits 1 when a count differs without a warning saying why.
fidelity: setup
	$(BIN)/python bench/fidelity.py

# Mutated policies, scanner JSON and images against regate's oracles (grouped
# findings printed, minimized reproducers saved in fuzz/findings/), then random
# policies x documents through real OPA against the reference evaluator
# (tests/oracle). Both are seeded; each gets FUZZ_SECONDS.
FUZZ_SECONDS ?= 600
FUZZ_SEED    ?= 1
fuzz: setup
	$(BIN)/python fuzz/run.py --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) --save fuzz/findings
	$(BIN)/python fuzz/differential.py --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED)

clean:
	rm -rf $(VENV) build *.egg-info
