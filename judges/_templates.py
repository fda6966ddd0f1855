"""Judge templates: YAML files that say what the judge is asked and how its answer is read.

Schema (users write their own):

    name: my-judge                       # required
    kind: pairwise                       # or grade (one answer scored, `alpaca-bench grade`)
    system: "..."                        # optional Jinja2
    user: "..."          # required Jinja2 over instruction, input, output_a, output_b, reference
    decoding: {temperature: 0, max_tokens: 16}
    parser: {type: regex, pattern: "Verdict:\\s*(A|B|tie)", verdicts: {A: "A>B", B: "B>A", tie: "tie"}}
        or: {type: logprobs, a_token: "A", b_token: "B"}
        or, for kind grade: {type: score, pattern: "Rating:\\s*\\[\\[(\\d+)\\]\\]", min: 1, max: 10}

Conversations (multi-turn prompts) reach a template as lists, one item per turn: `turns` (the
user's messages), `answers_a`/`answers_b` (each assistant's replies; `output_a`/`output_b` are
their last ones) and `references` ("" where a turn has none). A grade template sees `answer`
(the reply graded), `turns`/`answers`/`references` up to and including its turn, `turn` (its
number, from 1) and `reference` (that turn's reference, "" if none). A pairwise template that
uses none of the lists shows one answer, so it is refused for an eval set with multi-turn prompts.

Validation happens before any call: unknown variables (which also keeps model names out of the
prompt), a regex without exactly one capture group, verdicts outside the five allowed, missing
parser, a `fence()` whose tag name is not a literal. `{{ output_a }}` and the other variables are
inserted verbatim: no HTML escaping, no trimming.

Fencing. Every value above is untrusted (outputs come from the models being judged; instruction,
input and reference from data files), and a value that contains the template's own closing tag
could otherwise end its block and go on in the template's voice (fake rules, a fake verdict).
So templates get two helpers besides the variables:

- `{{ fence("response_A", output_a) }}` renders

      <response_A id="3f9c1a2b4d5e6f70">
      VALUE
      </response_A id="3f9c1a2b4d5e6f70">

- `{{ boundary }}` is that id, for telling the judge which tags are real.

The id is an HMAC-SHA256, keyed by the template's text, over all five values, cut to 16 hex
digits. It is deterministic, so identical inputs render identical messages and the call cache
serves a re-run without a single call; and no value can contain it, because it is a hash of that
very value (and of the other output, which its author never sees). A random nonce would break
the cache; a fixed marker could be guessed.

Inside a fenced value, every `<` that opens a reserved tag name (a `fence()` name, a tag written
literally in the template, or one of the built-in templates' tags, which no output may fake even
where a template does not use them; any case, spaces allowed, opening or closing) becomes
`&lt;`, so even a guessed plain `</response_A>` closes nothing. `&lt;` rather than a zero-width
break: it is visible in logs and reviews, it is what both people and models read as "a literal
<", and tools that strip invisible characters (or normalise Unicode) cannot undo it. Nothing else
in the value changes. Templates that do not call `fence()` render exactly as before.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import importlib.resources
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alpaca_bench.errors import InputError
from alpaca_bench.files import first_error, read_text_strict
from alpaca_bench.prompt_format import user_message

from ._base import VERDICT_P_B, VERDICTS, verdict_from_p_b

TemplateKind = Literal["pairwise", "grade"]
CONVERSATION = frozenset({"turns", "answers_a", "answers_b", "answers", "references"})
VARIABLES_OF: dict[str, frozenset[str]] = {
    "pairwise": frozenset(
        {
            "instruction",
            "input",
            "output_a",
            "output_b",
            "reference",
            "turns",
            "answers_a",
            "answers_b",
            "references",
        }
    ),
    "grade": frozenset(
        {"instruction", "input", "answer", "reference", "turns", "answers", "references", "turn"}
    ),
}
VARIABLES = VARIABLES_OF["pairwise"]
# Provided by the renderer, not by the data: see "Fencing" above.
HELPERS = frozenset({"fence", "boundary"})
BOUNDARY_HEX_DIGITS = 16
FENCE_VERSION = 1  # part of content_hash() for templates that fence: bump when fencing changes

# Escaped inside every fenced value even where a template does not use them, so an output cannot
# open a block the judge might take for a real one (a fake "reference_answer" in a pairwise prompt).
BUILTIN_TAGS = frozenset(
    {
        "request",
        "context",
        "reference_answer",
        "response_A",
        "response_B",
        "user",
        "assistant",
        "assistant_A",
        "assistant_B",
        "reply",
        "conversation_A",
        "conversation_B",
    }
)
TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
_LITERAL_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9_.-]*)(?:\s[^<>]*)?/?>")
_GAP = r"[\s\u200b-\u200f\u2060\ufeff]*"  # spaces and invisible characters a model may skip over


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


class ScoreParser(BaseModel):
    """A number from the last match of `pattern`; outside [min, max] it is unreadable (None)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["score"]
    pattern: str
    min: float = 1.0
    max: float = 10.0

    @field_validator("pattern")
    @classmethod
    def _one_group(cls, value: str) -> str:
        return RegexParser._one_group(value)

    @model_validator(mode="after")
    def _range(self) -> ScoreParser:
        if not self.min < self.max:
            raise ValueError(f"score range min {self.min:g} must be below max {self.max:g}")
        return self

    def parse(self, text: str, top_logprobs: dict[str, float] | None) -> float | None:
        matches = re.findall(self.pattern, text, re.IGNORECASE | re.MULTILINE)
        if not matches:
            return None
        try:
            score = float(str(matches[-1]).strip())
        except ValueError:
            return None
        return score if self.min <= score <= self.max and math.isfinite(score) else None


Parser = Annotated[RegexParser | LogprobsParser | ScoreParser, Field(discriminator="type")]


class JudgeTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    kind: TemplateKind = "pairwise"
    system: str | None = None
    user: str = Field(min_length=1)
    decoding: Decoding = Field(default_factory=Decoding)
    parser: Parser

    @model_validator(mode="after")
    def _variables_known(self) -> JudgeTemplate:
        allowed = VARIABLES_OF[self.kind]
        for field_name in ("system", "user"):
            source = getattr(self, field_name)
            if source is not None:
                unknown = template_variables(source) - allowed - HELPERS
                if unknown:
                    raise ValueError(
                        f"{field_name} uses unknown variable(s) {', '.join(sorted(unknown))}; "
                        f"allowed in a {self.kind} template: {', '.join(sorted(allowed))} "
                        "(and the helpers fence(), boundary)"
                    )
                fence_names(source)  # raises on a fence() without a literal tag name
        return self

    @model_validator(mode="after")
    def _parser_fits_kind(self) -> JudgeTemplate:
        scores = isinstance(self.parser, ScoreParser)
        if scores != (self.kind == "grade"):
            wanted = "a score parser (type: score)" if self.kind == "grade" else "a regex or logprobs parser"
            raise ValueError(f"a {self.kind} template needs {wanted}")
        return self

    def _variables(self) -> set[str]:
        return set().union(*(template_variables(s) for s in (self.system, self.user) if s))

    @property
    def needs_reference(self) -> bool:
        """Whether every prompt must have a reference. A grade template shows one where a prompt
        has it (MT-Bench's math, reasoning and coding questions) and grades without elsewhere."""
        return self.kind == "pairwise" and "reference" in self._variables()

    @property
    def conversational(self) -> bool:
        """Whether this template shows whole conversations (the per-turn lists), so that it can
        judge multi-turn prompts; a grade template always sees its turn's history."""
        return self.kind == "grade" or bool(self._variables() & CONVERSATION)

    @property
    def fences(self) -> bool:
        """Whether this template uses the fencing helpers (all built-in templates do)."""
        return any(template_variables(s) & HELPERS for s in (self.system, self.user) if s)

    def content_hash(self) -> str:
        blob = self.model_dump_json()
        if self.fences:  # the rendered text also depends on how fence() works
            blob += f"\nfence-v{FENCE_VERSION}"
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def boundary(self, values: Mapping[str, Any]) -> str:
        """This render's fence id: an HMAC keyed by the template text over every value (the
        per-turn lists only where the template shows them, so a template that shows one answer
        renders exactly as it did before conversations existed, and its cached answers hold)."""
        if not self.conversational:
            values = {k: v for k, v in values.items() if k not in CONVERSATION}
        key = json.dumps([FENCE_VERSION, self.name, self.system, self.user]).encode()
        message = json.dumps(sorted((str(k), str(v)) for k, v in values.items())).encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()[:BOUNDARY_HEX_DIGITS]

    def neutralise(self, value: str) -> str:
        """`value` with every `<` that opens a reserved tag name turned into `&lt;` (see Fencing)."""
        return _reserved_tags(self.system or "", self.user).sub("&lt;", value)

    def render(self, values: Mapping[str, Any]) -> list[dict[str, str]]:
        env = _environment()
        values = self._one_turn_defaults(values)
        mark = self.boundary(values)

        def fence(name: str, value: object) -> str:
            if not isinstance(name, str) or TAG_NAME.fullmatch(name) is None:
                raise ValueError(f"fence() needs a tag name like 'response_A', got {name!r}")
            return f'<{name} id="{mark}">\n{self.neutralise(str(value))}\n</{name} id="{mark}">'

        context: dict[str, Any] = {**values, "fence": fence, "boundary": mark}
        messages = []
        if self.system:
            messages.append({"role": "system", "content": env.from_string(self.system).render(context)})
        messages.append({"role": "user", "content": env.from_string(self.user).render(context)})
        return messages

    def _one_turn_defaults(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` with the per-turn lists a caller left out made from the single-turn values,
        so that a conversation template also renders a plain one-turn pair."""
        filled = dict(values)
        first = user_message(str(values.get("instruction", "")), str(values.get("input", "")))
        filled.setdefault("turns", [first])
        filled.setdefault("references", [values.get("reference", "")])
        if self.kind == "pairwise":
            filled.setdefault("answers_a", [values.get("output_a", "")])
            filled.setdefault("answers_b", [values.get("output_b", "")])
        else:
            filled.setdefault("answers", [values.get("answer", "")])
            filled.setdefault("turn", "1")
        return filled

    def parse(self, text: str, top_logprobs: dict[str, float] | None) -> tuple[str, float] | None:
        """A pairwise verdict and P(B better), or None when the answer cannot be read."""
        if isinstance(self.parser, ScoreParser):
            raise TypeError(f"{self.name} is a grade template: use score()")
        return self.parser.parse(text, top_logprobs)

    def score(self, text: str) -> float | None:
        """A grade template's score, or None when the answer cannot be read."""
        if not isinstance(self.parser, ScoreParser):
            raise TypeError(f"{self.name} is a pairwise template: use parse()")
        return self.parser.parse(text, None)


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def _parse_source(source: str) -> Any:
    import jinja2

    try:
        return _environment().parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"Jinja2 syntax error on line {exc.lineno}: {exc.message}") from None


def template_variables(source: str) -> set[str]:
    from jinja2 import meta

    return set(meta.find_undeclared_variables(_parse_source(source)))


def fence_names(source: str) -> set[str]:
    """The tag names of the `fence(NAME, value)` calls in a template source."""
    from jinja2 import nodes

    names = set()
    for call in _parse_source(source).find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name == "fence"):
            continue
        first = call.args[0] if call.args else None
        if (
            len(call.args) != 2
            or call.kwargs
            or call.dyn_args
            or call.dyn_kwargs
            or not isinstance(first, nodes.Const)
            or not isinstance(first.value, str)
            or TAG_NAME.fullmatch(first.value) is None
        ):
            raise ValueError(
                f"line {call.lineno}: fence() takes a literal tag name and a value, "
                "e.g. fence('response_A', output_a)"
            )
        names.add(first.value)
    return names


def literal_tags(source: str) -> set[str]:
    """Tag names written as tags in a template's own text (outside Jinja expressions)."""
    from jinja2 import nodes

    return {
        match.group(1)
        for data in _parse_source(source).find_all(nodes.TemplateData)
        for match in _LITERAL_TAG.finditer(data.data)
    }


@functools.lru_cache(maxsize=64)
def _reserved_tags(system: str, user: str) -> re.Pattern[str]:
    """`<` (then spaces or invisible characters, an optional `/`, more of them) opening a reserved
    tag name, case-insensitively; the name must not run on into more word characters."""
    names = set(BUILTIN_TAGS)
    for source in (system, user):
        if source:
            names |= fence_names(source) | literal_tags(source)
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
    return re.compile(f"<(?={_GAP}/?{_GAP}(?:{alternatives})(?!\\w))", re.IGNORECASE)


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
