"""Flags that set fields of a settings object: one table per settings type, defaults from the type.

A command-line flag here never carries its own default. Its value lands under a dotted
destination (`backend.timeout_s`) only when the user gives it, and `given(args, prefix)` hands
exactly those fields to the settings class, whose own defaults fill the rest. So a default is
written once, in the settings class, and the help text quotes it from there.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from ..errors import InputError

T = TypeVar("T")


@dataclass(frozen=True)
class Flag:
    """One flag setting one field; `kwargs` go to `add_argument` (type, choices, action, metavar)."""

    name: str
    field: str
    help: str
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class FlagTable:
    """The flags of one settings object, stored under `prefix.<field>` in the parsed namespace."""

    prefix: str
    flags: tuple[Flag, ...]

    def add(self, group: Any, defaults: object | None, only: tuple[str, ...] | None = None) -> None:
        """Add the flags (or the fields in `only`); help quotes the default from `defaults`
        (None: the group's title says where unset values come from)."""
        for flag in self.flags:
            if only is not None and flag.field not in only:
                continue
            value = None if defaults is None else getattr(defaults, flag.field)
            shown = "" if isinstance(value, bool) or value is None else f" (default {value})"
            kwargs = dict(flag.kwargs)
            if "action" not in kwargs and "choices" not in kwargs:
                kwargs.setdefault("metavar", flag.name.lstrip("-").upper().replace("-", "_"))
            group.add_argument(
                flag.name,
                dest=f"{self.prefix}.{flag.field}",
                default=argparse.SUPPRESS,
                help=flag.help + shown,
                **kwargs,
            )

    def build(self, settings: Callable[..., T], args: argparse.Namespace, **fixed: Any) -> T:
        """`settings(**fixed, **given flags)`; a value the type rejects is an InputError naming the flag."""
        try:
            return settings(**{**fixed, **self.given(args)})
        except ValidationError as exc:
            error = exc.errors()[0]
            names = {flag.field: flag.name for flag in self.flags}
            where = names.get(str(error["loc"][0]), str(error["loc"][0])) if error["loc"] else "option"
            message = str(error["msg"]).removeprefix("Value error, ")
            raise InputError(f"{where}: {message[:1].lower()}{message[1:]}") from None

    def given(self, args: argparse.Namespace) -> dict[str, Any]:
        """The fields whose flags were given on this command line."""
        start = self.prefix + "."
        return {key[len(start) :]: value for key, value in vars(args).items() if key.startswith(start)}
