"""`python -m alpaca_bench` is the `alpaca-bench` command."""

from .cli import run

if __name__ == "__main__":
    run()
