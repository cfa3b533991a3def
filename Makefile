# csp-review: one target per stage; each re-runs only when its inputs changed.
# `make` alone prints this help. Set RAW=/path/to/pdfs to review any folder of PDFs.

.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

RAW ?= data/raw
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/csp-review
WORKERS ?= 0
STAMPS := .stamps
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng chromium chromium-driver fonts-dejavu-core

PROCESSED := data/processed
INTERIM := data/interim
MANIFEST := $(PROCESSED)/manifest.csv
SEGMENTS := $(INTERIM)/segments.parquet
MODEL := models/tagger.skops
PASSAGES := $(PROCESSED)/passages.parquet
SCORES := $(PROCESSED)/plan_scores.csv
EXCERPTS := $(PROCESSED)/excerpts.csv
AREAS := $(PROCESSED)/third_sector_areas.csv
SUMMARY := reports/summary.html

RAW_FILES := $(shell find $(RAW) -type f 2>/dev/null | sort)
PY_SRC = $(wildcard pipeline/*.py) pipeline/resources/elements.yaml
INGEST_SRC = $(wildcard pipeline/ingest/*.py) $(wildcard pipeline/resources/ingest.yaml)
TAG_SRC = $(wildcard pipeline/tag/*.py) $(wildcard pipeline/resources/patterns/*) \
	$(wildcard pipeline/resources/context_rules.yaml) $(wildcard pipeline/resources/tagger.yaml)
LABELS = $(wildcard data/labels/*.jsonl)
RATINGS = $(wildcard data/reviewer/ratings.csv)

.PHONY: help
help: ## List the targets
	@echo "csp-review: Criterion 10 review of Children's Services Plans"
	@echo "Usage: make TARGET   (RAW=/path/to/pdfs make review to review your own PDFs)"
	@echo
	@grep -E '^[a-zA-Z0-9_.-]+:.*?## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

## ---- set-up -------------------------------------------------------------------------
.PHONY: install system-deps
install: $(STAMPS)/venv ## Create .venv and install the project with its dependencies

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

system-deps: $(STAMPS)/apt ## Install Debian packages: tesseract (OCR), chromium (browser tests)

$(STAMPS)/apt:
	@mkdir -p $(STAMPS)
	@missing=""; \
	for pkg in $(APT_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing Debian packages:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "WARNING: cannot install$$missing (need root and apt-get); OCR/browser checks will skip"; \
		fi; \
	fi
	@touch $@

## ---- stages ---------------------------------------------------------------------------
.PHONY: review sample ingest segment train tag score excerpts areas report briefings sessions-example

review: install system-deps ## Run the whole review (builds the sample corpus when RAW has no PDFs)
	@if [ "$(RAW)" = "data/raw" ] && { [ -f data/raw/SYNTHETIC_CORPUS.md ] || \
		[ -z "$$(find data/raw -iname '*.pdf' -print -quit 2>/dev/null)" ]; }; then \
		$(MAKE) --no-print-directory sample; fi
	$(MAKE) --no-print-directory report briefings RAW=$(RAW)
	@echo "review done: open reports/summary.html"

sample: $(STAMPS)/sample ## Write the SYNTHETIC sample corpus into data/raw/

$(STAMPS)/sample: $(wildcard pipeline/sample_corpus/*.py) $(wildcard pipeline/sample_corpus/plans/*) | $(STAMPS)/venv
	$(CLI) sample --out data/raw
	@touch $@

ingest: $(MANIFEST) ## Extract text blocks from every PDF in RAW (cached by file hash)

$(INTERIM)/raw_listing.txt: FORCE
	@mkdir -p $(INTERIM)
	@find $(RAW) -type f 2>/dev/null | sort > $@.new; \
	if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(MANIFEST): $(INTERIM)/raw_listing.txt $(RAW_FILES) $(INGEST_SRC) $(PY_SRC) | $(STAMPS)/venv
	$(CLI) ingest --raw $(RAW) --workers $(WORKERS)

segment: $(SEGMENTS) ## Split blocks into passages with pages and section headings

$(SEGMENTS): $(MANIFEST) pipeline/segment.py pipeline/resources/segment.yaml
	$(CLI) segment

train: $(MODEL) ## Train the evidence classifier from data/labels/

$(MODEL): $(LABELS) $(TAG_SRC) | $(STAMPS)/venv
	$(CLI) train

tag: $(PASSAGES) ## Tag passages with Criterion 10 evidence elements

$(PASSAGES): $(SEGMENTS) $(MODEL) $(TAG_SRC)
	$(CLI) tag

score: $(SCORES) ## Rate each plan (criterion10, missing, third sector, advocacy)

$(SCORES): $(PASSAGES) pipeline/score.py pipeline/reviewer.py pipeline/resources/criterion10.yaml $(RATINGS)
	$(CLI) score

excerpts: $(EXCERPTS) ## Pick good-practice excerpts with page citations

$(EXCERPTS): $(SCORES) pipeline/excerpt.py
	$(CLI) excerpts

areas: $(AREAS) ## Map third-sector evidence to the HGIO toolkit's areas of focus

$(AREAS): $(PASSAGES) $(SCORES) pipeline/third_sector.py $(wildcard pipeline/resources/areas_of_focus.yaml)
	$(CLI) areas

report: $(SUMMARY) ## Write reports/summary.html, summary.md, csp_review.xlsx and figures

$(SUMMARY): $(SCORES) $(EXCERPTS) $(AREAS) $(wildcard pipeline/report/*.py) $(wildcard pipeline/report/templates/*)
	$(CLI) report --raw $(RAW)

briefings: $(AREAS) ## Write a third-sector briefing paper per plan to reports/briefings/
	$(CLI) briefing --all --raw $(RAW)

sessions-example: install ## Check the example engagement-session records and theme the notes
	$(CLI) sessions data/examples/sessions_example.csv --notes data/examples/session_notes_example.csv --out reports/sessions

## ---- checks ---------------------------------------------------------------------------
.PHONY: test pytest lint format a11y evaluate bench notebooks report-pdf

test: install system-deps lint pytest a11y ## Lint, run the tests, check report accessibility

pytest: install system-deps ## Run the test suite
	$(PY) -m pytest

lint: install ## ruff check, ruff format --check, mypy on pipeline/
	$(VENV)/bin/ruff check pipeline tests
	$(VENV)/bin/ruff format --check pipeline tests
	$(VENV)/bin/mypy pipeline

format: install ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix pipeline tests
	$(VENV)/bin/ruff format pipeline tests

a11y: review ## Run axe-core (headless Chromium) on every generated HTML page
	$(PY) -m pipeline.a11y reports/

evaluate: $(MODEL) ## Tagger precision/recall/F1 on the held-out split
	$(CLI) evaluate

bench: install system-deps $(MODEL) ## Measure ingest and tagging speed and memory (reports/bench.md)
	@$(MAKE) --no-print-directory sample
	$(PY) -m pipeline.bench --raw data/raw $(if $(wildcard ../shared/pdfs),--extra ../shared/pdfs)

report-pdf: $(SUMMARY) ## PDF of the HTML report (WeasyPrint; installs the [pdf] extra)
	$(PY) -m pip install --quiet -e '.[pdf]'
	$(CLI) report --raw $(RAW) --pdf

notebooks: install ## Open Jupyter Lab in the project's venv
	$(PY) -m pip install --quiet -e '.[notebooks]'
	$(VENV)/bin/jupyter lab notebooks/

## ---- housekeeping -------------------------------------------------------------------------
.PHONY: clean clean-sample FORCE
clean: ## Delete generated outputs (keeps the venv and the raw PDFs)
	rm -rf $(INTERIM)/* $(PROCESSED)/* reports/* models/* $(STAMPS)/sample
	git checkout -- data/interim/README.md data/processed/README.md reports/README.md models/README.md 2>/dev/null || true

clean-sample: ## Remove the synthetic sample corpus from data/raw/
	rm -rf data/raw/2020-23 data/raw/2023-26 data/raw/SYNTHETIC_CORPUS.md data/raw/sample_*.csv $(STAMPS)/sample

FORCE:
