"""The recipe config: one pydantic model, loaded from YAML, adjusted by `key=value` overrides.

A recipe holds the hyperparameters; the command line adds what to train (model, data, output
folder). Overrides are validated by the same model as the file, so a typo or a wrong type fails
before any process starts, with a message naming the key (exit 2).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alpaca_bench.errors import InputError

from ._schedules import SCHEDULES

RECIPE_SUFFIXES = (".yaml", ".yml")

# Keys that may differ between a run and its resumption: they change bookkeeping, not the math.
RESUMABLE_KEYS = frozenset(
    {"save_every_steps", "keep_checkpoints", "log_every_steps", "tensorboard", "device", "output_dir"}
)


class LoraSettings(BaseModel):
    """Low-rank adapters through peft; merged into the weights when the model is saved."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    rank: int = Field(default=8, ge=1)
    alpha: int = Field(default=16, ge=1)
    dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])

    @field_validator("target_modules", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


class SFTConfig(BaseModel):
    """Everything that determines a fine-tuning run. Field docs are what `--help` users read."""

    model_config = ConfigDict(extra="forbid")

    # What to train: normally given on the command line rather than in a recipe.
    model: str = ""
    data: list[str] = Field(default_factory=list)
    output_dir: str = ""

    # Optimisation.
    epochs: int = Field(3, ge=1)
    max_steps: int | None = Field(None, ge=1, description="cap on optimizer steps (the schedule spans it)")
    global_batch_size: int = Field(128, ge=1, description="examples per optimizer step, all processes")
    micro_batch_size: int = Field(4, ge=1, description="examples per forward pass, per process")
    lr: float = Field(2e-5, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = Field(1e-8, gt=0)
    lr_scheduler: str = "cosine"
    warmup_ratio: float = Field(0.03, ge=0, le=1)
    max_grad_norm: float | None = Field(1.0, gt=0)

    # Data.
    max_length: int = Field(512, ge=8)
    packing: bool = False
    seed: int = 42

    # Precision and memory.
    dtype: Literal["bf16", "fp32"] = "bf16"
    activation_checkpointing: bool = False
    lora: LoraSettings = Field(default_factory=lambda: LoraSettings())
    device: Literal["auto", "cpu", "cuda"] = "auto"

    # Checkpoints and logs.
    save_every_steps: int | None = Field(None, ge=1)
    keep_checkpoints: int = Field(2, ge=1)
    log_every_steps: int = Field(1, ge=1)
    tensorboard: bool = True

    @field_validator("lr_scheduler")
    @classmethod
    def _known_scheduler(cls, value: str) -> str:
        if value not in SCHEDULES:
            raise ValueError(f"unknown scheduler {value!r} (known: {', '.join(sorted(SCHEDULES))})")
        return value

    @field_validator("data", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _batch_fits(self) -> SFTConfig:
        if self.micro_batch_size > self.global_batch_size:
            raise ValueError(
                f"micro_batch_size ({self.micro_batch_size}) exceeds global_batch_size "
                f"({self.global_batch_size})"
            )
        return self

    def math_differences(self, other: SFTConfig) -> list[str]:
        """Keys whose values differ and would change the result of a resumed run."""
        mine, theirs = self.model_dump(mode="json"), other.model_dump(mode="json")
        return sorted(k for k in mine if k not in RESUMABLE_KEYS and mine[k] != theirs.get(k))


def available_recipes() -> list[str]:
    """Names of the recipes shipped in `alpaca_bench.sft/recipes/`."""
    folder = resources.files(__package__).joinpath("recipes")
    return sorted(Path(entry.name).stem for entry in folder.iterdir() if entry.name.endswith(RECIPE_SUFFIXES))


def _recipe_text(name_or_path: str) -> tuple[str, str]:
    """The YAML text of a recipe and the label to name it by in errors."""
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix in RECIPE_SUFFIXES or candidate.exists():
        if not candidate.is_file():
            raise InputError("recipe file not found", candidate)
        try:
            return candidate.read_text(encoding="utf-8"), str(candidate)
        except UnicodeDecodeError as exc:
            raise InputError(f"not valid UTF-8 (byte {exc.start})", candidate) from None
    if name_or_path not in available_recipes():
        raise InputError(
            f"unknown recipe {name_or_path!r} (shipped: {', '.join(available_recipes())}; "
            "or give a .yaml file)"
        )
    entry = resources.files(__package__).joinpath("recipes", f"{name_or_path}.yaml")
    return entry.read_text(encoding="utf-8"), f"recipe {name_or_path}"


def read_recipe(name_or_path: str) -> tuple[dict[str, Any], str]:
    """A recipe's raw mapping (not yet validated) and its label."""
    text, label = _recipe_text(name_or_path)
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise InputError(f"invalid YAML{where}: {problem}", label) from None
    if value is None:
        raise InputError("recipe is empty", label)
    if not isinstance(value, dict):
        raise InputError(f"expected a mapping of recipe keys, got {type(value).__name__}", label)
    return value, label


def _parse_value(text: str) -> Any:
    """JSON where it parses (numbers, true/false, null, lists), else the raw string."""
    if text.strip().lower() in ("none", "null"):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _check_key(path: list[str], override: str) -> None:
    model: type[BaseModel] = SFTConfig
    for depth, part in enumerate(path):
        if part not in model.model_fields:
            known = sorted(model.model_fields)
            close = difflib.get_close_matches(part, known, n=1)
            hint = f"; did you mean {'.'.join([*path[:depth], close[0]])!r}?" if close else ""
            raise InputError(
                f"override {override!r}: unknown recipe key {'.'.join(path[: depth + 1])!r}{hint}"
            )
        annotation = model.model_fields[part].annotation
        if depth < len(path) - 1:
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                raise InputError(f"override {override!r}: {'.'.join(path[: depth + 1])!r} has no sub-keys")
            model = annotation


def apply_overrides(
    raw: Mapping[str, Any], overrides: Iterable[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """`raw` with each `a.b=value` set; also returns which override set which dotted key."""
    result: dict[str, Any] = json.loads(json.dumps(dict(raw), default=str))
    origin: dict[str, str] = {}
    for override in overrides:
        key, sep, value = override.partition("=")
        if not sep or not key.strip():
            raise InputError(f"bad override {override!r}: expected key=value")
        path = key.strip().split(".")
        _check_key(path, override)
        target = result
        for part in path[:-1]:
            nested = target.get(part)
            target[part] = nested = dict(nested) if isinstance(nested, dict) else {}
            target = nested
        target[path[-1]] = _parse_value(value)
        origin[".".join(path)] = override
    return result, origin


def _describe(exc: ValidationError, label: str, origin: Mapping[str, str]) -> InputError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"] if not isinstance(p, int))
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        known = sorted(SFTConfig.model_fields)
        close = difflib.get_close_matches(loc.split(".")[-1], known, n=1)
        message = "unknown recipe key" + (f"; did you mean {close[0]!r}?" if close else "")
    if loc in origin:
        return InputError(f"override {origin[loc]!r}: {loc}: {message}")
    where = f"{label} with overrides {' '.join(origin.values())}" if origin and not loc else label
    return InputError(f"{loc}: {message}" if loc else message, where)


def build_config(
    recipe: str,
    overrides: Sequence[str] = (),
    **fields: Any,
) -> SFTConfig:
    """Recipe file or name → overrides → command-line fields → a validated SFTConfig."""
    raw, label = read_recipe(recipe)
    merged, origin = apply_overrides(raw, overrides)
    merged.update({k: v for k, v in fields.items() if v is not None})
    try:
        return SFTConfig.model_validate(merged)
    except ValidationError as exc:
        raise _describe(exc, label, origin) from None


def validate_recipe(name_or_path: str) -> SFTConfig:
    """Load a recipe on its own (no overrides), as the tests do for every shipped one."""
    return build_config(name_or_path)
