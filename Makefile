# Two commands a newcomer needs: `make run` (the whole benchmark on config.yaml) and `make test`.
# Both create .venv and install the pinned dependency set (constraints.txt) when it is missing or stale.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= 2
SNAKEMAKE_ARGS ?=

TEX_PACKAGES := texlive-latex-base texlive-latex-recommended
BROWSER_PACKAGES := chromium chromium-driver
DATASET_PACKAGES := dataset-fashion-mnist
FASHION_MNIST := /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
DASHBOARD_PORT ?= 8080
# The experiment's config: config.yaml, or `make run CONFIG=configs/families.yaml` (the whole config: the
# workstation profile's replace-workflow-config keeps config.yaml out of it). ui, dashboard and report read it too.
CONFIG ?= config.yaml
OTHER_CONFIG := $(filter-out config.yaml,$(CONFIG))
WORKSTATION := --workflow-profile workflow/profiles/default $(if $(OTHER_CONFIG),--configfile $(OTHER_CONFIG))
# The experiment CONFIG names (read when a recipe runs, after setup).
EXPERIMENT = $(shell $(BIN)/python -c "import yaml; print(yaml.safe_load(open('$(CONFIG)'))['experiment'])")

# $(call apt_install,CHECK,PACKAGES,WITHOUT): Debian packages unless the shell command CHECK succeeds (needs root
# and apt); WITHOUT says what happens where they cannot be installed.
define apt_install
@($(1)) >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] \
  && command -v apt-get >/dev/null && apt-get update -qq \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(2) >/dev/null; } \
  || echo "$(2) could not be installed (needs root and apt): $(3)"
endef

.PHONY: setup tex browser run test test-all lint bench ui dashboard report thesis clean-results test-slurm smoke gpu-check

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[test]' 2>&1 \
	  | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
	touch $@

# pdflatex for the test that compiles the generated .tex tables (Debian packages; needs root and apt).
tex:
	$(call apt_install,command -v pdflatex,$(TEX_PACKAGES),the LaTeX compile test will be skipped)

# Debian's Chromium and ChromeDriver for the browser test (tests/test_browser.py; needs root and apt).
browser:
	$(call apt_install,command -v chromium && command -v chromedriver,$(BROWSER_PACKAGES),the browser test will be skipped)

# Fashion-MNIST's official files from Debian (data.name: fashion_mnist; needs root and apt), for its experiment and
# the test that reads the real files; elsewhere data.root names a folder holding the four files.
datasets:
	$(call apt_install,test -f $(FASHION_MNIST),$(DATASET_PACKAGES),set data.root to a folder of Fashion-MNIST's four files)

# A lock left by a killed run is cleared first (never one of a live run: recover_lock.py refuses and says why).
run: setup datasets
	$(BIN)/python workflow/scripts/recover_lock.py $(SNAKEMAKE_ARGS)
	$(BIN)/snakemake $(WORKSTATION) --cores $(CORES) $(SNAKEMAKE_ARGS)
	@e=$(EXPERIMENT); o="$(if $(OTHER_CONFIG), CONFIG=$(OTHER_CONFIG))"; \
	  printf '\nMain table: %s\nReport:     %s\nRuns:       make ui%s\nStudies:    make dashboard%s\nHTML:       make report%s\n' \
	  "results/$$e/report/tables/main.md" "results/$$e/report/report.md" "$$o" "$$o" "$$o"

# Every test but the exhaustive ones (the inner points of grids whose outer points are tested; the `exhaustive`
# marker in pyproject.toml), with pdflatex, Chromium and Fashion-MNIST installed first where root and apt allow.
test: setup tex browser datasets
	$(BIN)/python -m pytest -m "not exhaustive"

# Every test, the exhaustive ones included.
test-all: setup tex browser datasets
	$(BIN)/python -m pytest

# snakemake --lint; fails on a finding that the README's "Lint" section does not answer.
lint: setup
	$(BIN)/python workflow/scripts/lint.py

# Speed and memory (never timed tests): the loss against F.kl_div, the data path, the last workflow run.
bench: setup
	for script in bench/bench_*.py; do $(BIN)/python "$$script" || exit 1; done

ui: setup
	@$(BIN)/python -c "from renyi_kd.tracking.mlflow_runs import runs_url; print('Training runs:', runs_url('http://127.0.0.1:5000', 'results/$(EXPERIMENT)'))"
	$(BIN)/mlflow ui --backend-store-uri sqlite:///results/mlflow.db --host 127.0.0.1 --port 5000

# Every tuning study of the experiment in optuna-dashboard (the journals as a snapshot; see README "Tracking").
dashboard: setup
	$(BIN)/python -m renyi_kd.tracking.dashboard --config $(CONFIG) --host 127.0.0.1 --port $(DASHBOARD_PORT)

# The HTML report of the last run: the report's tables and figures with their captions (workflow/report/).
report: setup
	$(BIN)/snakemake $(WORKSTATION) --report results/$(EXPERIMENT)/report/report.html $(SNAKEMAKE_ARGS)
	@echo "HTML report: results/$(EXPERIMENT)/report/report.html"

# The thesis's experiments chapter from every experiment under results/ (README "The thesis chapter"):
# results/thesis/chapter.tex (no preamble: \input it) and chapter.pdf (pdflatex and bibtex, installed by `tex`).
thesis: setup tex
	$(BIN)/renyi-kd thesis --results results --out results/thesis

# The CIFAR-100 recipe at smoke scale (configs/cifar100-smoke.yaml) on a synthetic archive written first, in
# SMOKE_DIR (results/ and data/ there): 2 CPU cores, a minute or two. --replace-workflow-config: the smoke config
# is the whole config (config.yaml is not merged in). tests/test_cifar_smoke.py runs it, kills it and reruns it.
SMOKE_DIR ?= .
SMOKE_FLAGS = --directory $(SMOKE_DIR) --configfile $(abspath configs/cifar100-smoke.yaml) --replace-workflow-config
smoke: setup
	$(BIN)/python -m renyi_kd.data.synthetic $(SMOKE_DIR)/data/synthetic-cifar100
	$(BIN)/python workflow/scripts/recover_lock.py $(SMOKE_FLAGS) $(SNAKEMAKE_ARGS)
	$(BIN)/snakemake --workflow-profile workflow/profiles/default --cores $(CORES) $(SMOKE_FLAGS) $(SNAKEMAKE_ARGS)

# A few epochs of the CIFAR-100 recipe on a GPU (AMP and channels_last paths, speed against a bare loop), then the
# tests that need CUDA; without CUDA it says so and exits 0.
gpu-check: setup
	$(BIN)/python bench/gpu_check.py
	@if $(BIN)/python -c "import sys, torch; sys.exit(not torch.cuda.is_available())"; then \
	  $(BIN)/python -m pytest -q -k gpu tests/test_augment.py tests/test_device_data.py tests/test_teacher_outputs.py; fi

clean-results:
	rm -rf results/*/ results/mlflow.db results/mlartifacts .snakemake

# The workflow on a real one-node SLURM cluster started for the test (installs slurm-wlm and munge with apt
# when missing: needs root), plus local-vs-SLURM numbers and a scancel/resume check; 6-7 minutes on 2 cores.
test-slurm: setup
	VENV=$(abspath $(VENV)) bash tests/cluster/run_slurm_test.sh
