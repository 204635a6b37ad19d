# iam-audit developer tasks. `make demo` and `make test` each install what they need into .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
T ?=
TESTS ?= $(T)
PYSRC := iam_audit tests benchmarks scripts

.PHONY: install demo test lint reformat typecheck golden check-readme package bench clean

install: $(VENV)/.installed

# rebuilt only when pyproject.toml changes
$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,iac]'
	touch $@

demo: install
	$(BIN)/iam-audit demo

lint: install
	$(BIN)/ruff check $(PYSRC)
	$(BIN)/ruff format --check $(PYSRC)
	$(BIN)/mypy

typecheck: install
	$(BIN)/mypy

test: install lint
	$(BIN)/python -m pytest $(TESTS)

reformat: install
	$(BIN)/ruff check --fix $(PYSRC)
	$(BIN)/ruff format $(PYSRC)

golden: install
	IAM_AUDIT_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests -k golden

check-readme: install
	COLUMNS=100 NO_COLOR=1 $(BIN)/python scripts/check_readme.py

bench: install
	$(BIN)/python benchmarks/who_can_bench.py

package: install
	$(BIN)/python -m build --wheel

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
