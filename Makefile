# One check command: lint, format, types, tests.
.PHONY: check lint types test

check: lint types test

lint:
	ruff check .
	ruff format --check .

types:
	mypy alpaca_bench
	mypy judges datagen sft leaderboard

test:
	pytest
