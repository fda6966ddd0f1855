"""Arena-Hard-style scores: every model judged against one fixed baseline, scored jointly by a
Bradley–Terry (logistic) fit, optionally with the answers' style as shared covariates.

Why a separate scorer: Arena-Hard-Auto ranks models by their Bradley–Terry win rate against a
baseline, counts a strong verdict (A>>B) several times, and controls for style (length and
markdown) by adding the style differences of each battle to the same logistic fit. Reproducing
that here lets our judgments be read on Arena-Hard's scale.

The model, per battle i of model m(i) against the baseline:

    P(model wins) = sigmoid(theta_m(i) + gamma · style_i)

with the baseline fixed at theta = 0 and a tie a soft label of 0.5 (half a win each way).
Battles carry a weight (`strong_weight` for a strong verdict, 1 otherwise). Without style
control the fit separates by model and each theta is the log-odds of that model's weighted win
rate. With it, `style_i` holds, per feature (tokens, headers, lists, bold), the normalised
difference (model − baseline) / (model + baseline) (0 when both are 0), standardised over all
battles (mean 0, std 1; a column without spread stays 0 and its coefficient is reported as 0).
The standardisation is computed once on all battles and kept in every bootstrap round, so the
coefficients mean the same thing in every round. A model's score is sigmoid(theta_m): its win
rate at the average style of the battles, the style effect removed (the baseline scores 0.5).

The fit is the unregularised maximum-likelihood estimate (Newton's method with step halving)
wherever it exists. Where a model won, or lost, every battle its theta would be infinite: such a
model's theta alone gets a ridge penalty of `RIDGE`, which keeps it finite (a score just below
1 or above 0) and leaves every other model's estimate untouched. Should the estimate still not
exist (style columns that separate the outcomes or are collinear within a resample), the fit is
repeated with `RIDGE` on every parameter, which makes it strictly convex.

The confidence interval is the percentile interval of a bootstrap over prompts: each round draws
prompt ids with replacement and brings every battle of each drawn prompt along (all models,
both presentation orders), then refits. Judging each prompt twice therefore does not narrow it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from ..records import Judgment

Array = NDArray[np.float64]

RIDGE = 1e-3
STYLE_NAMES: tuple[str, ...] = ("tokens", "headers", "lists", "bold")
METHOD = "bootstrap over prompts (percentile)"

_MAX_ITERATIONS = 100
_STEP_TOLERANCE = 1e-10
_CONDITION = 1e-12  # smallest Hessian eigenvalue, relative to the largest, of an identified fit
_MIN_STD = 1e-12  # normalised differences lie in [-1, 1]; below this a column has no spread
_SEPARATED = 1e-12

# positional verdict -> (P(B, the answer shown second, is better), strong)
_VERDICTS: dict[str, tuple[float, bool]] = {
    "A>>B": (0.0, True),
    "A>B": (0.0, False),
    "tie": (0.5, False),
    "B>A": (1.0, False),
    "B>>A": (1.0, True),
}

_FENCE = re.compile(r"^\s*```")
_HEADER = re.compile(r"^ {0,3}#{1,6}(?:\s|$)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+\S")
_BOLD = re.compile(r"\*\*[^\s*](?:[^*\n]*?[^\s*])?\*\*|(?<!\w)__[^\s_](?:[^_\n]*?[^\s_])?__(?!\w)")
_INLINE_CODE = re.compile(r"`[^`\n]*`")


@dataclass(frozen=True)
class StyleFeatures:
    """Counts that describe an answer's style, as Arena-Hard's style control uses them."""

    tokens: int
    headers: int = 0
    lists: int = 0
    bold: int = 0

    def __post_init__(self) -> None:
        for name, value in zip(STYLE_NAMES, self.as_tuple(), strict=True):
            if value < 0:
                raise ValueError(f"style feature {name} must be a non-negative count, got {value}")

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.tokens, self.headers, self.lists, self.bold)


@dataclass(frozen=True)
class Battle:
    """One judgment of `model` against the fixed baseline on one prompt, from the model's side."""

    prompt_id: str
    model: str
    outcome: float  # 1.0 win, 0.5 tie, 0.0 loss (any value in [0, 1] is a soft label)
    strong: bool = False
    model_style: StyleFeatures | None = None
    baseline_style: StyleFeatures | None = None


@dataclass(frozen=True)
class ArenaScore:
    model: str
    score: float
    low: float
    high: float
    n_prompts: int
    n_battles: int
    is_baseline: bool


@dataclass(frozen=True)
class ArenaResult:
    baseline: str
    rows: list[ArenaScore]
    level: float
    n_boot: int
    method: str
    strong_weight: float
    style_control: bool
    style_coefficients: dict[str, float] = field(default_factory=dict)

    def label(self) -> str:
        """What the interval is, e.g. "95% CI, bootstrap over prompts (100 resamples)"."""
        return f"{_percent(self.level)} CI, bootstrap over prompts ({self.n_boot} resamples)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "level": self.level,
            "n_boot": self.n_boot,
            "method": self.method,
            "label": self.label(),
            "strong_weight": self.strong_weight,
            "style_control": self.style_control,
            "style_coefficients": dict(self.style_coefficients),
            "rows": [asdict(row) for row in self.rows],
        }


@dataclass(frozen=True)
class _Data:
    """Battles as arrays: model index (into `models`), prompt index (into sorted prompt ids),
    soft label, weight, and the standardised style columns that have spread."""

    models: list[str]
    model: NDArray[np.intp]
    prompt: NDArray[np.intp]
    outcome: Array
    weight: Array
    style: Array
    active: list[int]
    n_prompts: int


def style_features(text: str) -> StyleFeatures:
    """Style counts of an answer. Tokens are whitespace-separated words of the whole text (there
    is no tokenizer here). Markdown headers (`#`..`######` then a space, at line start), list
    items (`-`, `*`, `+` or `1.` then text, at line start, indented or not) and bold spans
    (`**x**`, `__x__`, not counting inline `code`) are counted outside ``` fenced blocks; an
    unclosed fence runs to the end of the text."""
    headers = lists = bold = 0
    in_code = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_code = not in_code
            continue
        if in_code:
            continue
        headers += bool(_HEADER.match(line))
        lists += bool(_LIST_ITEM.match(line))
        bold += len(_BOLD.findall(_INLINE_CODE.sub("", line)))
    return StyleFeatures(tokens=len(text.split()), headers=headers, lists=lists, bold=bold)


def battles_from_judgments(
    judgments: Iterable[Judgment],
    baseline: str,
    styles: Mapping[tuple[str, str], StyleFeatures] | None = None,
) -> list[Battle]:
    """One battle per scored judgment (unscored ones, `preference` None, are skipped). The
    verdict is positional (A is the answer shown first, `first_shown`); it gives the outcome
    and the strength. A judgment whose `candidate` is the baseline is turned round. `styles`
    maps (model, prompt id) to that model's answer features; missing ones stay None."""
    lookup = styles or {}
    battles = []
    for judgment in judgments:
        if judgment.preference is None:
            continue
        model, candidate_outcome, strong = _candidate_side(judgment, baseline)
        outcome = candidate_outcome if judgment.candidate == model else 1.0 - candidate_outcome
        battles.append(
            Battle(
                prompt_id=judgment.prompt_id,
                model=model,
                outcome=outcome,
                strong=strong,
                model_style=lookup.get((model, judgment.prompt_id)),
                baseline_style=lookup.get((baseline, judgment.prompt_id)),
            )
        )
    return battles


def arena_scores(
    battles: Iterable[Battle],
    baseline: str,
    *,
    strong_weight: float = 3.0,
    style_control: bool = False,
    n_boot: int = 100,
    level: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> ArenaResult:
    """Bradley–Terry win rate of every model against `baseline`, with a percentile interval from
    `n_boot` resamples of prompts. A battle with a strong verdict weighs `strong_weight`
    (Arena-Hard: 3; 1 turns weighting off). `style_control` adds the style differences as
    shared covariates and reports the scores with their effect removed."""
    items = list(battles)
    _check_options(items, baseline, strong_weight, n_boot, level)
    data = _data(items, strong_weight, style_control)
    theta, gamma = _fit(data, data.weight)
    boot = _bootstrap(data, np.concatenate([theta, gamma]), np.random.default_rng(seed), n_boot)
    low, high = _percentiles(boot, level)
    rows = _rows(data, items, baseline, expit(theta), low, high)
    coefficients = dict.fromkeys(STYLE_NAMES, 0.0) if style_control else {}
    for column, value in zip(data.active, gamma.tolist(), strict=True):
        coefficients[STYLE_NAMES[column]] = float(value)
    return ArenaResult(
        baseline=baseline,
        rows=rows,
        level=level,
        n_boot=n_boot,
        method=METHOD,
        strong_weight=strong_weight,
        style_control=style_control,
        style_coefficients=coefficients,
    )


def _prompt_draws(rng: np.random.Generator, n_prompts: int, n_boot: int) -> NDArray[np.int64]:
    """The prompts of each bootstrap round: row r holds `n_prompts` indices, drawn with
    replacement, into the sorted distinct prompt ids."""
    return rng.integers(0, n_prompts, size=(n_boot, n_prompts), dtype=np.int64)


def _bootstrap(data: _Data, start: Array, rng: np.random.Generator, n_boot: int) -> Array:
    """Rounds × models: each model's score refitted on a resample of prompts, where a prompt
    drawn k times brings all its battles along with k times their weight."""
    boot = np.empty((n_boot, len(data.models)))
    for round_, drawn in enumerate(_prompt_draws(rng, data.n_prompts, n_boot)):
        counts = np.bincount(drawn, minlength=data.n_prompts).astype(np.float64)
        boot[round_] = _scores(data, data.weight * counts[data.prompt], start)
    return boot


def _candidate_side(judgment: Judgment, baseline: str) -> tuple[str, float, bool]:
    """The model judged against `baseline`, the candidate's outcome and the verdict's strength."""
    if baseline not in (judgment.baseline, judgment.candidate):
        raise ValueError(
            f"judgment on prompt {judgment.prompt_id!r} compares {judgment.baseline!r} with "
            f"{judgment.candidate!r}; neither is the baseline {baseline!r}"
        )
    if judgment.baseline == judgment.candidate:
        raise ValueError(f"judgment on prompt {judgment.prompt_id!r} compares {baseline!r} with itself")
    model = judgment.candidate if judgment.baseline == baseline else judgment.baseline
    preference = float(judgment.preference if judgment.preference is not None else math.nan)
    by_preference = 1.0 if preference > 0.5 else 0.0 if preference < 0.5 else 0.5
    if judgment.verdict not in _VERDICTS:  # "unscored" with a preference: its class, not strong
        return model, by_preference, False
    p_b, strong = _VERDICTS[judgment.verdict]
    outcome = p_b if judgment.first_shown == "baseline" else 1.0 - p_b
    if outcome != by_preference:
        raise ValueError(
            f"judgment on prompt {judgment.prompt_id!r}: verdict {judgment.verdict} with "
            f"{judgment.first_shown} shown first contradicts the candidate's preference {preference}"
        )
    return model, outcome, strong


def _check_options(
    battles: Sequence[Battle], baseline: str, strong_weight: float, n_boot: int, level: float
) -> None:
    if not battles:
        raise ValueError("no battles to score")
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must lie strictly between 0 and 1, got {level}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not (math.isfinite(strong_weight) and strong_weight > 0.0):
        raise ValueError(f"strong_weight must be a positive number, got {strong_weight}")
    if not baseline:
        raise ValueError("baseline must be a model name")
    for battle in battles:
        if battle.model == baseline:
            raise ValueError(
                f"battle on prompt {battle.prompt_id!r} judges the baseline {baseline!r} against itself; "
                "each battle's model must be one of the baseline's opponents"
            )
        if not (math.isfinite(battle.outcome) and 0.0 <= battle.outcome <= 1.0):
            raise ValueError(
                f"battle of {battle.model!r} on prompt {battle.prompt_id!r}: outcome must lie in [0, 1] "
                f"(1 win, 0.5 tie, 0 loss), got {battle.outcome}"
            )


def _data(battles: Sequence[Battle], strong_weight: float, style_control: bool) -> _Data:
    models = sorted({b.model for b in battles})
    index = {name: i for i, name in enumerate(models)}
    prompt_ids = sorted({b.prompt_id for b in battles})
    prompt_index = {pid: i for i, pid in enumerate(prompt_ids)}
    style = _style_matrix(battles) if style_control else np.zeros((len(battles), 0))
    active = [j for j in range(style.shape[1]) if np.any(style[:, j] != 0.0)]
    return _Data(
        models=models,
        model=np.array([index[b.model] for b in battles], dtype=np.intp),
        prompt=np.array([prompt_index[b.prompt_id] for b in battles], dtype=np.intp),
        outcome=np.array([b.outcome for b in battles], dtype=np.float64),
        weight=np.array([strong_weight if b.strong else 1.0 for b in battles], dtype=np.float64),
        style=np.ascontiguousarray(style[:, active]),
        active=active,
        n_prompts=len(prompt_ids),
    )


def _style_matrix(battles: Sequence[Battle]) -> Array:
    """Battles × (tokens, headers, lists, bold): the normalised difference (model − baseline) /
    (model + baseline), 0 when both are 0, divided per column by its spread over the battles
    (population std); a column without spread is all 0.

    The columns are scaled but not centred, so 0 still means "the same style as the baseline" and
    a model's controlled score is its win rate at equal style. Centring (as Arena-Hard's code
    does) would make it the win rate at the battles' average style difference instead, which
    depends on the other models in the fit: with a terse and a wordy model judged together, a
    judge that likes length only would still leave the terse model above or below 50%."""
    pairs = [(b.model_style, b.baseline_style) for b in battles]
    model = np.array([ours.as_tuple() for ours, _ in pairs if ours is not None], dtype=np.float64)
    base = np.array([theirs.as_tuple() for _, theirs in pairs if theirs is not None], dtype=np.float64)
    if model.shape[0] != len(battles) or base.shape[0] != len(battles):
        missing = [b for b in battles if b.model_style is None or b.baseline_style is None]
        raise ValueError(
            f"style control needs the answer features of both sides of every battle; {len(missing)} of "
            f"{len(battles)} battles lack them (first: model {missing[0].model!r}, "
            f"prompt {missing[0].prompt_id!r})"
        )
    total = model + base
    diff = np.divide(model - base, total, out=np.zeros_like(total), where=total > 0.0)
    std = diff.std(axis=0)
    spread = std > _MIN_STD
    return np.where(spread, diff / np.where(spread, std, 1.0), 0.0)


def _scores(data: _Data, weight: Array, start: Array) -> Array:
    """Each model's score under these battle weights; NaN for a model with no battle in them."""
    theta, _ = _fit(data, weight, start)
    present = np.bincount(data.model, weight, len(data.models)) > 0.0
    return np.where(present, expit(theta), np.nan)


def _fit(data: _Data, weight: Array, start: Array | None = None) -> tuple[Array, Array]:
    """(theta per model, gamma per active style column): the MLE, with `RIDGE` on the theta of
    a model that won or lost everything (or is absent), and on everything if that is not enough."""
    n_models = len(data.models)
    totals = np.bincount(data.model, weight, n_models)
    wins = np.bincount(data.model, weight * data.outcome, n_models)
    separated = (wins <= _SEPARATED * totals) | (totals - wins <= _SEPARATED * totals)
    ridge = np.concatenate([np.where(separated, RIDGE, 0.0), np.zeros(data.style.shape[1])])
    params = _newton(data, weight, ridge, start, check=True)
    if params is None:
        params = _newton(data, weight, np.full(ridge.size, RIDGE), None, check=False)
    if params is None:
        raise ArithmeticError("the Bradley–Terry fit did not converge even with a ridge penalty")
    return params[:n_models], params[n_models:]


def _newton(data: _Data, weight: Array, ridge: Array, start: Array | None, *, check: bool) -> Array | None:
    """Penalised logistic fit by Newton's method with step halving; None when the Hessian is
    (numerically) singular under `check`, or the fit does not converge."""
    params = np.zeros(ridge.size) if start is None else start.astype(np.float64).copy()
    current = _loss(data, weight, ridge, params)
    for _ in range(_MAX_ITERATIONS):
        grad, hess = _derivatives(data, weight, ridge, params)
        if check and not _well_conditioned(hess):
            return None
        step = np.linalg.solve(hess, grad)
        if not np.all(np.isfinite(step)):
            return None
        if np.abs(step).max() < _STEP_TOLERANCE:
            return params - step
        size = 1.0
        while True:
            candidate = params - size * step
            value = _loss(data, weight, ridge, candidate)
            if value <= current + 1e-12 * max(1.0, abs(current)):
                break
            size /= 2.0
            if size < 1e-8:
                return None
        params, current = candidate, value
    return None


def _loss(data: _Data, weight: Array, ridge: Array, params: Array) -> float:
    eta = _linear_predictor(data, params)
    nll = np.sum(weight * (np.logaddexp(0.0, eta) - data.outcome * eta))
    return float(nll + 0.5 * np.sum(ridge * params * params))


def _derivatives(data: _Data, weight: Array, ridge: Array, params: Array) -> tuple[Array, Array]:
    n_models = len(data.models)
    prob = expit(_linear_predictor(data, params))
    resid = weight * (prob - data.outcome)
    grad = np.concatenate([np.bincount(data.model, resid, n_models), data.style.T @ resid]) + ridge * params
    curv = weight * prob * (1.0 - prob)
    cross = np.zeros((n_models, data.style.shape[1]))
    for j in range(data.style.shape[1]):
        cross[:, j] = np.bincount(data.model, curv * data.style[:, j], n_models)
    hess = np.block(
        [
            [np.diag(np.bincount(data.model, curv, n_models)), cross],
            [cross.T, data.style.T @ (curv[:, None] * data.style)],
        ]
    )
    return grad, hess + np.diag(ridge)


def _linear_predictor(data: _Data, params: Array) -> Array:
    n_models = len(data.models)
    eta: Array = params[data.model] + data.style @ params[n_models:]
    return eta


def _well_conditioned(hess: Array) -> bool:
    eigenvalues = np.linalg.eigvalsh(hess)
    return bool(eigenvalues[-1] > 0.0 and eigenvalues[0] > _CONDITION * eigenvalues[-1])


def _percentiles(boot: Array, level: float) -> tuple[Array, Array]:
    """Central `level` interval of each column, over the rounds in which the model took part."""
    tail = (1.0 - level) / 2.0
    low, high = np.full(boot.shape[1], np.nan), np.full(boot.shape[1], np.nan)
    for column in range(boot.shape[1]):
        values = boot[:, column]
        values = values[np.isfinite(values)]
        if values.size:
            low[column], high[column] = np.quantile(values, [tail, 1.0 - tail])
    return low, high


def _rows(
    data: _Data,
    battles: Sequence[Battle],
    baseline: str,
    scores: Array,
    low: Array,
    high: Array,
) -> list[ArenaScore]:
    """One row per model and the baseline, best first (ties by name)."""
    prompts: dict[str, set[str]] = {name: set() for name in data.models}
    for battle in battles:
        prompts[battle.model].add(battle.prompt_id)
    counts = np.bincount(data.model, minlength=len(data.models))
    rows = [
        ArenaScore(
            model=name,
            score=float(scores[i]),
            low=float(low[i]),
            high=float(high[i]),
            n_prompts=len(prompts[name]),
            n_battles=int(counts[i]),
            is_baseline=False,
        )
        for i, name in enumerate(data.models)
    ]
    rows.append(ArenaScore(baseline, 0.5, 0.5, 0.5, data.n_prompts, len(battles), is_baseline=True))
    return sorted(rows, key=lambda row: (-row.score, row.model))


def _percent(level: float) -> str:
    return f"{round(level * 100.0, 6):g}%"
