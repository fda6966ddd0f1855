import asyncio

import pytest

from alpaca_bench.errors import InputError
from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.judges import JudgeOptions, PairTask, load_judge
from alpaca_bench.models._base import BackendOptions
from alpaca_bench.records import Prompt


def _judge_all(judge, tasks):
    async def run():
        return [r async for r in judge.judge(tasks)]

    return asyncio.run(run())


PROMPT = Prompt(id="p", instruction="Name the largest planet.", reference="Jupiter is the largest planet.")


def test_rouge_prefers_the_output_closer_to_the_reference():
    judge = load_judge("rouge")
    tasks = [
        PairTask("1", PROMPT, "Jupiter is the largest planet.", "Saturn has rings.", "baseline"),
        PairTask("2", PROMPT, "Mars.", "The largest planet is Jupiter.", "candidate"),
        PairTask("3", PROMPT, "jupiter is the largest planet", "Jupiter is the largest planet!", "baseline"),
    ]
    results = {r.key: r for r in _judge_all(judge, tasks)}
    assert (results["1"].verdict, results["1"].p_b) == ("A>B", 0.0)
    assert (results["2"].verdict, results["2"].p_b) == ("B>A", 1.0)
    assert results["3"].verdict == "tie"  # same tokens: within the tie margin
    assert results["1"].raw["score_a"] == 1.0


def test_tie_margin_is_configurable():
    tasks = [PairTask("1", PROMPT, "Jupiter is big.", "Jupiter is the big one.", "baseline")]
    assert _judge_all(load_judge("rouge", JudgeOptions(tie_margin=0.5)), tasks)[0].verdict == "tie"
    assert _judge_all(load_judge("rouge", JudgeOptions(tie_margin=0.0)), tasks)[0].verdict != "tie"


def test_reference_judges_need_references(data_dir):
    with pytest.raises(InputError, match=r"needs reference answers.*805 prompts"):
        load_judge("rouge").check(load_eval_set("alpaca-eval"))
    load_judge("rouge").check(load_eval_set("self-instruct"))


def test_embedding_judge_with_a_tiny_local_model(tmp_path, tiny_model_dir):
    import sentence_transformers as st
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    word = Transformer(str(tiny_model_dir))
    pooling = Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    st.SentenceTransformer(modules=[word, pooling], device="cpu").save(str(tmp_path / "emb"))
    judge = load_judge(f"embedding:{tmp_path / 'emb'}", JudgeOptions(backend=BackendOptions(device="cpu")))
    tasks = [PairTask("1", PROMPT, PROMPT.reference, "completely different words here", "baseline")]
    [result] = _judge_all(judge, tasks)
    assert result.raw["score_a"] == pytest.approx(1.0, abs=1e-5)
    assert result.verdict == "A>B"


def test_unknown_judge_scheme():
    with pytest.raises(InputError, match="unknown judge"):
        load_judge("bleu")
