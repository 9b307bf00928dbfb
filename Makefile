# Two commands do all the set-up on a fresh machine:
#   make run    create .venv on first use, then run the default simulation
#   make test   create .venv on first use, then run the whole test suite
VENV ?= .venv
ARGS ?=

.PHONY: run test venv bench clean
venv:
	@VENV=$(VENV) bash scripts/bootstrap.sh

run: venv
	$(VENV)/bin/mscabm run $(ARGS)

test: venv
	$(VENV)/bin/python -m pytest $(ARGS)

bench: venv
	$(VENV)/bin/mscabm bench --quick $(ARGS)

clean:
	rm -rf $(VENV) runs .pytest_cache
