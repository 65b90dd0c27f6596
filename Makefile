# Two commands set everything up on a fresh machine (Python 3.11+ and git):
#   make demo   — install into .venv, build the Trafford demo store, open the app
#   make test   — install into .venv, run ruff, mypy and the whole test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test install lint bench clean browser

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/assetmap demo

# The browser tests drive Debian's Chromium (never a downloaded one). Installed when missing and
# running as root; otherwise say how. Quiet and idempotent: nothing happens when it is present.
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing Chromium for the browser tests (apt-get install chromium)"; \
	    apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium >/dev/null; \
	  else \
	    echo "make: Chromium is missing; the browser tests need it: sudo apt-get install chromium"; \
	  fi; \
	fi

test: install browser
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/bench_store.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
