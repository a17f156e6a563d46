# The two commands a fresh machine needs are `make demo` and `make test`; both create .venv and
# install the pinned stack (settings.ini + constraints.txt) first. A second run skips the install
# unless settings.ini, setup.py or constraints.txt changed.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest workers: one per core, at most four (each may run a notebook kernel or a Spark session of its own). Each test file
# runs in one worker (--dist loadfile), so a file's module fixtures (a demo run, a Spark session) are built once; xdist's
# loadgroup would allow finer grouping but does not group on pytest 9.2 (pytest-dev/pytest-xdist#1386). xdist hands out the
# files with the most tests first, which starts the demo run (test_report_layout) first. Handing out the slowest files first
# instead was tried on 2026-12-04: pytest took 634 s in that rehearsal against 587 s in the one before, as the demo's two
# notebook processes, the Spark JVM and the 300-feature model (CatBoost and numba threads) then ran at once and each took
# half as long again.
WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n < 4 ? n : 4 )))
# ... and each worker's numerical libraries use its share of the cores: two notebook workers each fitting a histogram
# gradient boosting with OpenMP threads on every core took minutes where one thread each takes seconds
SHARE := $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n / $(WORKERS) > 1 ? n / $(WORKERS) : 1 )))
THREADS = OMP_NUM_THREADS=$(SHARE) MKL_NUM_THREADS=$(SHARE) OPENBLAS_NUM_THREADS=$(SHARE)
# The Spark sessions of the tests and the documentation's notebooks last seconds to a minute, and the JVM's optimising
# compiler (C2) spent more CPU than it saved on them: with C1 only and the parallel collector, the JVM of the Spark parity
# check used 61 s of CPU where it used 109 s (same queries, same results). Only these two targets set it (a value you set
# wins); a long Spark job, the benchmarks and your own sessions keep the JVM's defaults.
SPARK_SUBMIT_OPTS ?= -XX:TieredStopAtLevel=1 -XX:+UseParallelGC
SHORT_SPARK = SPARK_SUBMIT_OPTS="$(SPARK_SUBMIT_OPTS)"

# pip compiles every module of the stack at install (21,000 files: 50 s of the install's 140 s on a fresh machine), most of
# which no command here ever imports. The install skips that, and Python compiles a module the first time it is imported and
# keeps the result, as it does by default. Some machines set PYTHONDONTWRITEBYTECODE, which would make every process compile
# what it imports again (importing the stack 7 -> 15 s per process); the commands here unset it so that the result is kept.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install demo test export nbtest pytest bench lab docs clean

$(STAMP): settings.ini setup.py constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip==26.3"
	@# One pip process unpacks one wheel at a time on one core. Every version is pinned in constraints.txt, so its packages
	@# go in first without resolving, a quarter each in four pip processes at once (a fresh install 73 -> 51 s with pip's
	@# cache off); then the usual resolving install of the project checks them against settings.ini and adds anything the
	@# pins lack. A pip that fails fails the install.
	@for part in 0 1 2 3; do grep -Ev '^(#|$$)' constraints.txt | awk -v part=$$part 'NR % 4 == part' > $(VENV)/pins-$$part.txt; done
	@pids=""; for part in 0 1 2 3; do $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile --no-deps -r $(VENV)/pins-$$part.txt & pids="$$pids $$!"; done; \
	  for pid in $$pids; do wait $$pid || exit 1; done
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile --no-build-isolation -c constraints.txt -e ".[dev]"
	@# jsonschema compiles three Earley parsers of RFC 3987 at import when this optional format checker (pulled in by
	@# jupyter-events) is installed: 1.5 s in every process that imports jsonschema (each mrm command, each report kernel).
	@# No schema here checks the 'iri' format, and pip check stays clean without it.
	$(BIN)/python -m pip uninstall --quiet --yes rfc3987-syntax
	$(BIN)/python -m pip check
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/mrm demo

# Fails if mrm_research/ is out of sync with nbs/, executes every library notebook for the documentation site (the
# notebook tests: a cell that raises fails; a notebook is executed again only when it or the package changed), then runs
# pytest while the site is typeset from them (it fails on a broken link). Typesetting alone keeps one core half idle for
# ~50 s; at the lowest priority (nice 19) beside pytest it takes the cycles pytest leaves. Measured on 2026-12-04 with four
# test files, runs in the order alone / beside / beside / alone: site then pytest 239 and 196 s, site beside pytest 197 and
# 163 s (pytest itself 16-18 s slower, the site's 50-60 s hidden). Sphinx runs as one process there: its parallel reading
# costs more CPU than it saves wall time, and beside pytest CPU is what counts (site alone: one process 50 CPU-s in 51 s,
# two 64 CPU-s in 49 s; 2026-12-04). Its log is printed after pytest; either failing fails the target.
test: $(STAMP)
	$(BIN)/python tests/check_export.py
	$(THREADS) $(SHORT_SPARK) $(BIN)/python docs/build.py --workers $(WORKERS) --stage notebooks
	@mkdir -p docs/_build; nice -n 19 $(BIN)/python docs/build.py --workers 1 --stage site > docs/_build/site.log 2>&1 & site=$$!; \
	  $(THREADS) $(SHORT_SPARK) $(BIN)/python -m pytest tests -q -p no:cacheprovider -n $(WORKERS) --dist loadfile --durations=10; tests=$$?; \
	  wait $$site; typeset=$$?; cat docs/_build/site.log; \
	  if [ $$typeset -ne 0 ]; then echo "the documentation site did not build (docs/_build/site.log)"; fi; [ $$tests -eq 0 ] && [ $$typeset -eq 0 ]

export: $(STAMP)
	$(BIN)/nbdev_export

# Benchmarks print measured figures and ratios against baselines measured in the same run.
bench: $(STAMP)
	@for script in tests/benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=nbs

# The documentation site (notebooks with their outputs, how-to guides, API reference), offline: docs/_build/html.
docs: $(STAMP)
	$(THREADS) $(SHORT_SPARK) $(BIN)/python docs/build.py --workers $(WORKERS)

clean:
	rm -rf reports/build .bench docs/_build docs/_generated
