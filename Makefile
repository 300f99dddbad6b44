# The README's two commands: `make demo` (whole pipeline on local demo data) and `make test`.
# Both set themselves up on a fresh machine: a virtualenv in .venv with the pinned stack.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
SRC     = lake loaders publish pipeline demo sqlmesh_project tests bench

.PHONY: setup test lint demo clean

# The exact versions come from constraints.txt (pyproject.toml keeps ranges).
CONSTRAINTS ?= constraints.txt

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -c $(CONSTRAINTS)
	touch $@

lint: setup
	$(BIN)/ruff check $(SRC)
	$(BIN)/ruff format --check $(SRC)
	$(BIN)/vermin --target=3.9- --violations --no-tips --eval-annotations $(SRC)

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: setup
	$(BIN)/lakehouse demo $(DEMO_ARGS)

clean:
	rm -rf var sqlmesh_project/.cache sqlmesh_project/logs
