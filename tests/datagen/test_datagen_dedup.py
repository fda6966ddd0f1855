"""Dedup decisions must be exactly the rouge-score package's (the reference implementation).

The reference is rouge-score's own tokenizer and LCS scorer in the greedy loop Alpaca uses. On
the large set it is checked by induction rather than by rescoring every pair: each rejected
instruction's reported witness must score above the threshold with rouge-score, and each kept
one must score at most the threshold against every reference and earlier kept instruction. If
both hold for every instruction, the kept sets after each step coincide with the reference loop's,
so every decision does; it needs far fewer reference calls than the plain loop (which is also
run, on a subset).
"""

import json
import random

import pytest
from rouge_score import rouge_scorer

from alpaca_bench.datagen import RougeIndex, check_threshold, deduplicate
from alpaca_bench.datagen import _dedup as dedup_module
from alpaca_bench.datagen._perturb import near_duplicates
from alpaca_bench.errors import InputError
from alpaca_bench.evalsets import load_eval_set

SCORER = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)


def tokens(text):
    return SCORER._tokenizer.tokenize(text)


def reference_score(a_tokens, b_tokens):
    return rouge_scorer._score_lcs(a_tokens, b_tokens).fmeasure


def reference_greedy(texts, threshold, references=()):
    """The straightforward loop: keep a text when no kept or reference text beats the threshold."""
    kept = [tokens(r) for r in references]
    decisions = []
    for text in texts:
        candidate = tokens(text)
        keep = all(reference_score(candidate, k) <= threshold for k in kept)
        decisions.append(keep)
        if keep:
            kept.append(candidate)
    return decisions


def verify_by_induction(texts, decisions, threshold, references=()):
    """Assert the decisions equal the reference loop's; return (kept near, rejected near) counts."""
    kept_tokens = [tokens(r) for r in references]
    kept_texts = set(references)
    near_kept = near_rejected = 0
    for text, decision in zip(texts, decisions, strict=True):
        candidate = tokens(text)
        if decision.kept:
            best = max((reference_score(candidate, k) for k in kept_tokens), default=0.0)
            assert best <= threshold, (text, best)
            near_kept += best > threshold - 0.1
            kept_tokens.append(candidate)
            kept_texts.add(text)
        else:
            assert decision.similar_to in kept_texts, text
            score = reference_score(candidate, tokens(decision.similar_to))
            assert score == decision.score > threshold, (text, decision)
            near_rejected += score <= threshold + 0.1
    return near_kept, near_rejected


@pytest.fixture(scope="module")
def real_instructions(data_dir):
    seeds = [json.loads(line)["instruction"] for line in (data_dir / "self-instruct/seed_tasks.jsonl").open()]
    evals = [p.instruction for p in load_eval_set("self-instruct").prompts]
    assert (len(seeds), len(evals)) == (175, 252)
    return seeds, evals


def test_the_reference_shortcut_is_rouge_score(real_instructions):
    seeds, evals = real_instructions
    rng = random.Random(3)
    for _ in range(300):
        a, b = rng.choice(seeds + evals), rng.choice(seeds + evals)
        assert reference_score(tokens(a), tokens(b)) == SCORER.score(a, b)["rougeL"].fmeasure


def test_identical_to_rouge_score_on_2000_real_and_perturbed_instructions(real_instructions):
    seeds, evals = real_instructions
    texts = near_duplicates(seeds + evals, 1700, seed=0, max_edits=4)
    assert len(texts) >= 2000
    decisions = deduplicate(texts, 0.7)
    kept = sum(d.kept for d in decisions)
    assert 400 < kept < len(texts) - 1000, "both decisions must be common"
    near_kept, near_rejected = verify_by_induction(texts, decisions, 0.7)
    assert near_kept >= 50 and near_rejected >= 100, "many pairs must sit near the threshold"


def test_plain_reference_loop_agrees_with_seeds_as_references(real_instructions):
    seeds, evals = real_instructions
    texts = near_duplicates(evals[:100], 200, seed=1, max_edits=5)
    ours = [d.kept for d in deduplicate(texts, 0.7, references=seeds[:60])]
    assert ours == reference_greedy(texts, 0.7, references=seeds[:60])
    assert 0 < sum(ours) < len(texts)


@pytest.mark.parametrize("threshold", [0.0, 0.35, 0.5, 0.9])
def test_other_thresholds(real_instructions, threshold):
    seeds, evals = real_instructions
    texts = near_duplicates(evals[:40], 160, seed=2, max_edits=6)
    decisions = deduplicate(texts, threshold, references=seeds[:40])
    verify_by_induction(texts, decisions, threshold, references=seeds[:40])


def test_edge_cases_match_the_reference():
    texts = [
        "",
        "!!! ???",
        "Ünïcödé straße test",
        "unicode strasse test",
        "İstanbul is big",
        "istanbul is big",
        "a",
        "A.",
        "a a a a",
        "a b a b",
        "b a b a",
        "tab\tand\nnewline here",
        "tab and newline here",
    ]
    for threshold in (0.0, 0.5, 0.7, 0.99, 1.0):
        ours = [d.kept for d in deduplicate(texts, threshold)]
        assert ours == reference_greedy(texts, threshold), threshold
    assert all(d.kept for d in deduplicate(texts + texts, 1.0)), "nothing scores above 1"


def test_block_size_and_threads_do_not_change_decisions(real_instructions, monkeypatch):
    seeds, evals = real_instructions
    texts = near_duplicates(seeds + evals, 400, seed=4)
    expected = deduplicate(texts, 0.7, block_size=len(texts))
    for block_size in (1, 7, 64):
        assert deduplicate(texts, 0.7, block_size=block_size) == expected
    monkeypatch.setattr(dedup_module, "PARALLEL_MIN_PAIRS", 0)
    assert deduplicate(texts, 0.7, workers=2, block_size=128) == expected


def test_incremental_index_equals_one_pass(real_instructions):
    seeds, evals = real_instructions
    texts = near_duplicates(evals, 300, seed=5)
    index = RougeIndex(0.7)
    index.add(seeds)
    incremental = []
    for start in range(0, len(texts), 20):
        incremental += index.screen(texts[start : start + 20])
    assert incremental == deduplicate(texts, 0.7, references=seeds)
    assert len(index) == len(seeds) + sum(d.kept for d in incremental)


@pytest.mark.parametrize("value", ["abc", "1.5", "-0.1", "nan", ""])
def test_bad_threshold_is_an_input_error(value):
    with pytest.raises(InputError, match="threshold"):
        check_threshold(value)


@pytest.mark.parametrize("threshold", [0.0, 0.35, 0.5, 0.7, 0.9, 1.0])
def test_lcs_thresholds_equal_the_f_measure_rule(threshold):
    """`need` (the LCS at which F1 first exceeds the threshold) is exact for every length pair."""
    import numpy as np

    from alpaca_bench.rouge import f_measure

    lengths = np.arange(0, 41)
    need = dedup_module.lcs_needed(lengths[:, None], lengths[None, :], threshold)
    for la in range(41):
        for lb in range(41):
            exceeds = [f_measure(k, la, lb) > threshold for k in range(min(la, lb) + 1)]
            first = exceeds.index(True) if True in exceeds else min(la, lb) + 1
            assert need[la, lb] == first, (la, lb)
            assert all(exceeds[first:]), "F1 must grow with the LCS"
