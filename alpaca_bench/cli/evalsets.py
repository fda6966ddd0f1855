"""`alpaca-bench evalsets [show NAME]`."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from ..errors import InputError
from ..evalsets import available_eval_sets, load_eval_set, parse_field_map
from .options import examples, print_json, stdout


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "evalsets",
        epilog=examples(
            "alpaca-bench evalsets",
            "alpaca-bench evalsets show alpaca-eval --json",
        ),
        help="list eval sets, or show one",
        description="List the built-in eval sets, or show the size, categories and an example of one "
        "(a name, a local file, or hf:org/name).",
    )
    parser.add_argument(
        "action", nargs="?", choices=["list", "show"], default="list", help="list (default) or show NAME"
    )
    parser.add_argument("name", nargs="?", help="eval set to show")
    parser.add_argument("--field-map", help="column names for a custom file")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.action == "show":
        if not args.name:
            raise InputError(
                "evalsets show needs an eval set name or file (see 'alpaca-bench evalsets --help')"
            )
        return show(args)
    sets = available_eval_sets()
    if args.json:
        print_json([{"name": s.name, "description": s.description} for s in sets.values()])
        return 0
    table = Table("name", "description", title="eval sets (also: a local file, or hf:org/name)")
    for item in sets.values():
        table.add_row(item.name, item.description)
    stdout().print(table)
    return 0


def show(args: argparse.Namespace) -> int:
    eval_set = load_eval_set(args.name, parse_field_map(args.field_map))
    categories = eval_set.categories()
    example = eval_set.prompts[0]
    if args.json:
        print_json(
            {
                "name": eval_set.name,
                "size": len(eval_set),
                "source": eval_set.source,
                "has_references": eval_set.has_references,
                "turns": max(p.n_turns for p in eval_set),
                "categories": dict(categories.most_common()),
                "example": example.model_dump(),
            }
        )
        return 0
    console = stdout()
    console.print(f"[bold]{eval_set.name}[/bold]: {len(eval_set)} prompts from {eval_set.source}")
    with_reference = sum(1 for p in eval_set if p.reference)
    references = (
        "yes"
        if eval_set.has_references
        else f"{with_reference} of {len(eval_set)}"
        if with_reference
        else "no"
    )
    turns = max(p.n_turns for p in eval_set)
    shape = f"; up to {turns} turns per prompt" if turns > 1 else ""
    console.print(f"references: {references}; {len(categories)} categories{shape}")
    table = Table("category", "prompts")
    for name, count in categories.most_common(15):
        table.add_row(name, str(count))
    if len(categories) > 15:
        table.add_row(f"… {len(categories) - 15} more", "")
    console.print(table)
    console.print("[bold]example[/bold]", example.id)
    console.print("instruction:", example.instruction, markup=False)
    if example.input:
        console.print("input:", example.input, markup=False)
    if example.reference:
        console.print("reference:", example.reference, markup=False)
    for number, follow_up in enumerate(example.follow_ups, start=2):
        console.print(f"turn {number}:", follow_up.message, markup=False)
    return 0
