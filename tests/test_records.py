import json

import pytest
from pydantic import ValidationError

from alpaca_bench.files import JsonlLog
from alpaca_bench.records import (
    SCHEMA_VERSION,
    ComparisonSummary,
    Generation,
    GenerationConfig,
    Interval,
    JudgeIdentity,
    Judgment,
    Prompt,
    Usage,
)


def examples():
    return [
        Prompt(id="p1", instruction="Say hi", input="", reference="hi", category="greet"),
        Generation(
            prompt_id="p1",
            model="m",
            output="héllo ✓",
            generation_config=GenerationConfig().model_dump(),
            config_hash="c0ffee",
            usage=Usage(prompt_tokens=3, completion_tokens=2),
            latency_s=0.1,
        ),
        Judgment(
            prompt_id="p1",
            baseline="a",
            candidate="b",
            judge=JudgeIdentity(name="j", config_hash="x"),
            first_shown="candidate",
            verdict="A>B",
            preference=1.0,
            raw={"text": "A"},
            rater=None,
        ),
        ComparisonSummary(
            baseline="a",
            candidate="b",
            eval_set="demo",
            judge="j",
            n=1,
            wins=1,
            losses=0,
            ties=0,
            unscored=0,
            win_rate=1.0,
            ci=Interval(level=0.95, method="bca", low=0.5, high=1.0),
        ),
    ]


@pytest.mark.parametrize("record", examples(), ids=lambda r: type(r).__name__)
def test_json_round_trip(record):
    text = record.to_json()
    assert json.loads(text)["schema_version"] == SCHEMA_VERSION
    assert type(record).from_json(text) == record


def test_jsonl_round_trip(tmp_path):
    log = JsonlLog(tmp_path / "g.jsonl")
    gens = [examples()[1].model_copy(update={"prompt_id": f"p{i}"}) for i in range(5)]
    for g in gens:
        log.append(g)
    assert log.read(Generation) == gens


def test_unknown_fields_and_bad_preferences_are_rejected():
    with pytest.raises(ValidationError):
        Prompt(id="p", instruction="x", colour="red")
    with pytest.raises(ValidationError):
        Judgment(
            prompt_id="p",
            baseline="a",
            candidate="b",
            judge=JudgeIdentity(name="j"),
            first_shown="baseline",
            verdict="tie",
            preference=1.5,
        )
    with pytest.raises(ValidationError):
        Prompt(id="  ", instruction="x")


def test_usage_adds():
    assert (Usage(prompt_tokens=1, completion_tokens=2) + Usage(prompt_tokens=3)).total_tokens == 6
