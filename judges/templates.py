"""Judge templates: YAML files that say what the judge is asked and how its answer is read.

Schema (users write their own):

    name: my-judge                       # required
    system: "..."                        # optional Jinja2
    user: "..."          # required Jinja2 over instruction, input, output_a, output_b, reference
    decoding: {temperature: 0, max_tokens: 16}
    parser: {type: regex, pattern: "Verdict:\\s*(A|B|tie)", verdicts: {A: "A>B", B: "B>A", tie: "tie"}}
        or: {type: logprobs, a_token: "A", b_token: "B"}

Validation happens before any call: unknown variables (which also keeps model names out of the
prompt), a regex without exactly one capture group, verdicts outside the five allowed, missing
parser. Outputs are inserted verbatim: no HTML escaping, no trimming.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alpaca_bench.errors import InputError
from alpaca_bench.files import first_error, read_text_strict

from .base import VERDICT_P_B, VERDICTS, verdict_from_p_b

VARIABLES = frozenset({"instruction", "input", "output_a", "output_b", "reference"})


class Decoding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(default=0.0, ge=0.0)
    max_tokens: int = Field(default=16, ge=1)


class RegexParser(BaseModel):
    """The last match of `pattern` wins (reasoning may quote the format before the real verdict)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["regex"]
    pattern: str
    verdicts: dict[str, str]
    ignore_case: bool = True

    @field_validator("pattern")
    @classmethod
    def _one_group(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regex: {exc}") from None
        if compiled.groups != 1:
            raise ValueError(f"pattern must have exactly one capture group, has {compiled.groups}")
        return value

    @field_validator("verdicts")
    @classmethod
    def _known_verdicts(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(set(value.values()) - set(VERDICTS))
        if bad or not value:
            raise ValueError(f"verdicts must map to {', '.join(VERDICTS)}; got {bad or 'nothing'}")
        return value

    def parse(self, text: str, top_logprobs: dict[str, float] | None) -> tuple[str, float] | None:
        flags = re.IGNORECASE if self.ignore_case else 0
        matches = re.findall(self.pattern, text, flags | re.MULTILINE)
        if not matches:
            return None
        captured = str(matches[-1]).strip()
        lookup = {k.lower(): v for k, v in self.verdicts.items()} if self.ignore_case else self.verdicts
        verdict = lookup.get(captured.lower() if self.ignore_case else captured)
        return None if verdict is None else (verdict, VERDICT_P_B[verdict])


class LogprobsParser(BaseModel):
    """P(B) from the two verdict tokens' top logprobs; falls back to the text when the server
    returns no logprobs."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["logprobs"]
    a_token: str = Field(min_length=1)
    b_token: str = Field(min_length=1)

    def parse(self, text: str, top_logprobs: dict[str, float] | None) -> tuple[str, float] | None:
        if top_logprobs:
            mass = {self.a_token: 0.0, self.b_token: 0.0}
            for token, logprob in top_logprobs.items():
                stripped = token.strip()
                if stripped in mass:
                    mass[stripped] += math.exp(logprob)
            total = mass[self.a_token] + mass[self.b_token]
            if total > 0:
                p_b = mass[self.b_token] / total
                return verdict_from_p_b(p_b), p_b
        first = re.match(r"\W*([^\s.,:;!)\]]+)", text)
        word = first.group(1) if first else ""
        if word == self.a_token:
            return "A>B", 0.0
        if word == self.b_token:
            return "B>A", 1.0
        return None


Parser = Annotated[RegexParser | LogprobsParser, Field(discriminator="type")]


class JudgeTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    system: str | None = None
    user: str = Field(min_length=1)
    decoding: Decoding = Field(default_factory=Decoding)
    parser: Parser

    @model_validator(mode="after")
    def _variables_known(self) -> JudgeTemplate:
        for field_name in ("system", "user"):
            source = getattr(self, field_name)
            if source is not None:
                unknown = template_variables(source) - VARIABLES
                if unknown:
                    raise ValueError(
                        f"{field_name} uses unknown variable(s) {', '.join(sorted(unknown))}; "
                        f"allowed: {', '.join(sorted(VARIABLES))}"
                    )
        return self

    @property
    def needs_reference(self) -> bool:
        return any("reference" in template_variables(s) for s in (self.system, self.user) if s)

    def content_hash(self) -> str:
        blob = self.model_dump_json().encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def render(self, values: dict[str, str]) -> list[dict[str, str]]:
        env = _environment()
        messages = []
        if self.system:
            messages.append({"role": "system", "content": env.from_string(self.system).render(**values)})
        messages.append({"role": "user", "content": env.from_string(self.user).render(**values)})
        return messages

    def parse(self, text: str, top_logprobs: dict[str, float] | None) -> tuple[str, float] | None:
        return self.parser.parse(text, top_logprobs)


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def template_variables(source: str) -> set[str]:
    import jinja2
    from jinja2 import meta

    try:
        parsed = _environment().parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"Jinja2 syntax error on line {exc.lineno}: {exc.message}") from None
    return set(meta.find_undeclared_variables(parsed))


def builtin_templates() -> list[str]:
    folder = importlib.resources.files("alpaca_bench.judges") / "templates"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_template(name_or_file: str) -> JudgeTemplate:
    """A built-in template by name, or a user's YAML file."""
    if name_or_file in builtin_templates():
        resource = importlib.resources.files("alpaca_bench.judges") / "templates" / f"{name_or_file}.yaml"
        return _parse(resource.read_text(encoding="utf-8"), f"judges/templates/{name_or_file}.yaml")
    path = Path(name_or_file).expanduser()
    if path.suffix.lower() not in (".yaml", ".yml") and not path.exists():
        names = ", ".join(builtin_templates())
        raise InputError(f"unknown judge template {name_or_file!r}: use one of {names} or a .yaml file")
    return _parse(read_text_strict(path), str(path))


def _parse(text: str, source: str) -> JudgeTemplate:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"invalid YAML ({getattr(exc, 'problem', exc)})", source, line) from None
    if not isinstance(data, dict):
        raise InputError("a judge template must be a YAML mapping", source)
    try:
        return JudgeTemplate.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"invalid judge template: {first_error(exc)}", source) from None
