# Two commands do all the set-up on a fresh machine:
#   make run    create .venv on first use, then run the default simulation
#   make test   create .venv on first use, then run the whole test suite
VENV ?= .venv
ARGS ?=

.PHONY: run test venv bench docs clean
venv:
	@VENV=$(VENV) bash scripts/bootstrap.sh

run: venv
	$(VENV)/bin/mscabm run $(ARGS)

test: venv
	$(VENV)/bin/python -m pytest $(ARGS)

docs: venv
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs/api docs/_build/api
	@echo "API reference: docs/_build/api/index.html"

bench: venv
	$(VENV)/bin/mscabm bench --quick $(ARGS)

clean:
	rm -rf $(VENV) runs .pytest_cache docs/_build
