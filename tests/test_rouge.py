"""ROUGE-L must equal the rouge-score package exactly (the reference implementation)."""

import random

from rouge_score import rouge_scorer

from alpaca_bench.evalsets import load_eval_set
from alpaca_bench.rouge import rouge_l, tokenize


def test_identical_to_rouge_score_on_real_text(data_dir):
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    prompts = load_eval_set("self-instruct").prompts
    rng = random.Random(0)
    texts = (
        [p.instruction for p in prompts]
        + [p.reference or "" for p in prompts]
        + ["", "!!!", "Ünïcödé straße"]
    )
    for _ in range(1500):
        a, b = rng.choice(texts), rng.choice(texts)
        assert rouge_l(a, b) == scorer.score(a, b)["rougeL"].fmeasure


def test_tokenizer_matches_reference_edge_cases():
    from rouge_score import tokenize as reference

    for text in [
        "Hello, World!",
        "don't stop",
        "C++ and C#",
        "ÀÉÎ õü",
        "tab\tand\nnewline",
        "İstanbul",
        "1.5e3",
    ]:
        assert tokenize(text) == reference.tokenize(text, None)
