# One check command: lint, format, types, tests.
.PHONY: check lint types test

check: lint types test

lint:
	ruff check .
	ruff format --check .

types:
	python tools/typecheck.py

test:
	pytest
