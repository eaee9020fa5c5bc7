# The whole set-up on a fresh machine is one of these two commands:
#   make run    the conformance run against the bundled reference implementation (reports/out/latest/)
#   make test   the project's own tests
#   make fuzz   long fuzzing of every decoder (docs/fuzzing.md); not part of make test
#   make fuzz-sut  `mcsec fuzz` of each reference role over its sockets (docs/fuzz.md); not part of make test
# Both create .venv, install the package with its dependencies, and install missing system
# packages with apt-get when run as root (otherwise they print what to install). Both are
# idempotent: with nothing changed, set-up costs a few dpkg look-ups.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mcsec-installed
# openssl: the independent S/MIME peer of the interoperation tests; sip-tester: SIPp, the load
# generator of `mcsec soak`
SYSTEM_PACKAGES := openssl ca-certificates chromium libpcap0.8 kamailio iproute2 sip-tester
RUN_ARGS ?=
PYTEST_ARGS ?=
# the unit tests are in-process and independent: one worker per core, a test file's tests in one worker
UNIT_JOBS ?= auto
# the e2e tests wait on runs, timers and a browser much of the time: two workers, a test file's tests in
# one, the wheel and the fault-free run made once for both (tests/e2e/conftest.py)
E2E_JOBS ?= 2
KILL_MATRIX_OUT ?= reports/out/kill-matrix
FUZZ_SUT_CASES ?= 200
FUZZ_SUT_SEED ?= 1
FUZZ_SUT_OUT ?= reports/out/fuzz-sut
# make fuzz: inputs per decoder, where the corpora, crashes and summary go, which harnesses (all when empty)
FUZZ_INPUTS ?= 1000000
FUZZ_OUT ?= reports/out/fuzz
FUZZ_TARGETS ?=
FUZZ_STAMP := $(VENV)/.mcsec-fuzz-installed

MUTATE_OUT ?= reports/out/mutation
MUTATE_ARGS ?= --jobs 2

.PHONY: run test fuzz fuzz-sut mutate setup system-packages clean

run: setup
	$(BIN)/mcsec run $(RUN_ARGS)

# The project's tests: unit (in-process, in parallel workers), e2e (whole runs, one fault-free run
# made once for two workers), then the kill matrix as a step of its own:
# every named fault must be caught by a scenario citing its requirement.
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS) -n $(UNIT_JOBS) --dist loadfile tests/unit
	$(BIN)/python -m pytest $(PYTEST_ARGS) -n $(E2E_JOBS) --dist loadfile tests/e2e
	$(BIN)/mcsec kill-matrix --out $(KILL_MATRIX_OUT)

# `mcsec fuzz` against each bundled reference role (docs/fuzz.md), bounded in cases; all into one results.json
fuzz-sut: setup
	@status=0; for role in server core kms idm; do \
	  $(BIN)/mcsec fuzz --role $$role --cases $(FUZZ_SUT_CASES) --seed $(FUZZ_SUT_SEED) --out $(FUZZ_SUT_OUT) || status=1; \
	done; exit $$status

# One harness after the other, one process each, each bounded by FUZZ_INPUTS inputs (atheris when it
# installs, else hypothesis); exit status 1 when any harness found an unexpected exception.
fuzz: setup $(FUZZ_STAMP)
	$(BIN)/python -m tests.fuzz all --inputs $(FUZZ_INPUTS) --out $(FUZZ_OUT) $(FUZZ_TARGETS)

# The full mutation campaign over the reference roles' decision code (docs/mutation.md): every mutant
# served as the product and judged by the unchanged suite; hours on two cores. mutation.json and
# mutation.html go to $(MUTATE_OUT).
mutate: setup
	$(BIN)/mcsec mutate --out $(MUTATE_OUT) $(MUTATE_ARGS)

setup: system-packages $(STAMP)

# atheris is optional: without it (no wheel or compiler for this Python) make fuzz runs hypothesis
$(FUZZ_STAMP): pyproject.toml $(STAMP)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,fuzz]' \
	  || echo "note: atheris did not install; make fuzz runs the harnesses with hypothesis" >&2
	@touch $@

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mcsec needs Python >= 3.11, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

system-packages:
	@missing=""; \
	if ! command -v dpkg-query >/dev/null; then \
	  echo "note: not a Debian system; make sure these are installed: $(SYSTEM_PACKAGES)" >&2; exit 0; \
	fi; \
	for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "mcsec needs these system packages; install them with: sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) reports/out .hypothesis
