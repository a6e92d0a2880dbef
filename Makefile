VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= data

.PHONY: install run demo test lint format bench

$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/viralclipper serve

demo: install
	@test -f $(DATA)/sample-talk.mp4 || $(BIN)/viralclipper sample $(DATA)/sample-talk.mp4
	$(BIN)/viralclipper process $(DATA)/sample-talk.mp4 --out $(DATA)/sample-clips

# On a bare Debian/Ubuntu machine as root this installs the system packages first (ffmpeg,
# espeak-ng, Chromium, Postgres, Redis); without root it names what is missing and the tests that
# need it are skipped, saying why.
test:
	@sh tests/system-packages.sh
	@$(MAKE) --no-print-directory install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check viralclipper tests bench
	$(BIN)/ruff format --check viralclipper tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format viralclipper tests bench
	$(BIN)/ruff check --fix viralclipper tests bench

bench: install
	$(BIN)/python -m bench.pipeline
	$(BIN)/python -m bench.queue
	$(BIN)/python -m bench.web
	$(BIN)/python -m bench.page
	$(BIN)/python -m bench.reanalysis
