# Two commands a newcomer needs: `make run` (the whole benchmark on config.yaml) and `make test`.
# Both create .venv and install the pinned dependency set (constraints.txt) when it is missing or stale.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= 2
SNAKEMAKE_ARGS ?=

.PHONY: setup run test bench ui clean-results

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[test]'
	touch $@

run: setup
	$(BIN)/snakemake --cores $(CORES) $(SNAKEMAKE_ARGS)

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/bench_losses.py

ui: setup
	$(BIN)/mlflow ui --backend-store-uri sqlite:///results/mlflow.db --host 127.0.0.1 --port 5000

clean-results:
	rm -rf results/*/ results/mlflow.db results/mlartifacts .snakemake
