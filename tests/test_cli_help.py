"""Help that teaches: every command and option explains itself, every command's --help ends
with real examples, and those examples are command lines today's parser accepts."""

from __future__ import annotations

import argparse
import shlex

import pytest

from alpaca_bench.cli import build_parser


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command path, parser) for every command and subcommand."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _commands(sub, (*path, name))


COMMANDS = dict(_commands(build_parser()))


def test_every_command_is_listed():
    assert {"compare", "judge", "generate", "gate", "datagen", ("datagen", "dedup")} - {
        c[0] if len(c) == 1 else c for c in COMMANDS
    } == set()
    assert len(COMMANDS) >= 14


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_option_has_help(path):
    parser = COMMANDS[path]
    missing = [
        action.option_strings[0] if action.option_strings else action.dest
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction)
        and (not action.help or action.help == argparse.SUPPRESS)
    ]
    assert missing == [], f"alpaca-bench {' '.join(path)}: no help for {missing}"
    assert parser.description or parser.format_help(), path


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_help_ends_with_examples_that_parse(path):
    text = COMMANDS[path].format_help().rstrip()
    tail = text.rsplit("examples:\n", 1)
    assert len(tail) == 2, f"alpaca-bench {' '.join(path)} --help has no examples"
    lines = tail[1].splitlines()
    assert 2 <= len(lines) <= 3, lines
    for line in lines:
        argv = shlex.split(line)
        assert argv[0] == "alpaca-bench" and tuple(argv[1 : 1 + len(path)]) == path, line
        args = build_parser().parse_args(argv[1:])  # exits (fails the test) if the parser rejects it
        assert getattr(args, "handler", None) is not None, line
