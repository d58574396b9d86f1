# ccreview — the two commands of the quick start are `make demo` and `make test`.
# Everything runs from a project-local virtual environment in .venv.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   := data/demo
SEED   ?= 7
SCALE  ?= medium

.PHONY: help env demo demo-data test lab bench bench-kernels lint clean

help:
	@echo "make demo       create .venv, generate demo data, run the demo review, print the report path"
	@echo "make test       run the whole test suite (creates .venv if needed)"
	@echo "make lab        open JupyterLab on notebooks/ (ccreview importable, demo data ready)"
	@echo "make bench      time a full run on the large generated quarter (see benchmarks/)"
	@echo "make bench-kernels  compliance and KPI kernels against row-wise pandas and DuckDB SQL"
	@echo "make lint       ruff"

$(STAMP): pyproject.toml
	@echo "==> Creating the environment in $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

env: $(STAMP)

$(DEMO)/truth.json: $(STAMP) $(wildcard ccreview/demo/*.py)
	@echo "==> Generating seeded demo data ($(SCALE), seed $(SEED)) into $(DEMO)/"
	$(BIN)/ccreview demo-data --seed $(SEED) --scale $(SCALE) --out $(DEMO)

demo-data: $(DEMO)/truth.json

demo: $(DEMO)/truth.json
	@echo "==> Running the demo review"
	$(BIN)/ccreview run parameters/demo.yaml

test: $(STAMP)
	$(BIN)/python -m pytest

# As root (containers often are), Jupyter refuses to start without --allow-root; no browser
# opens in a container either, so the address to open is printed instead.
LAB_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

lab: $(DEMO)/truth.json
	@echo "==> JupyterLab on notebooks/: open the http://127.0.0.1:8888/lab?token=... address it prints"
	$(BIN)/jupyter lab --notebook-dir=notebooks --no-browser --ip=127.0.0.1 $(LAB_ROOT)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_run.py

bench-kernels: $(STAMP)
	$(BIN)/python benchmarks/bench_compliance.py
	$(BIN)/python benchmarks/bench_kpis.py
	$(BIN)/python benchmarks/bench_stats.py

lint: $(STAMP)
	$(BIN)/ruff check ccreview tests benchmarks

clean:
	rm -rf $(VENV) $(DEMO) reports/*/ reports/.[!.]*
