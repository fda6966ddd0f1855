"""At most 1% of the outputs of every real outputs file are flagged.

All 23 AlpacaEval model files and all 8 self-instruct prediction files in the shared data, each
scanned with its eval set's prompts, as `alpaca-bench scan` does. A file that is itself an
attack (AlpacaEval's NullModel outputs, should the data ever carry one) must instead be
flagged on at least 95% of its outputs. The per-file table is printed and kept in the failure
message: it is where the false-positive rates quoted in the README come from.
"""

from __future__ import annotations

from scan_data import EXPECTED_FILES, is_published_attack, outputs, prompts, real_files

from alpaca_bench.scan import scan_outputs

MAX_FALSE_POSITIVES = 0.01
MIN_ATTACK_RECALL = 0.95


def test_false_positives_at_most_one_percent_on_every_real_file(data_dir):
    files = real_files()
    counts = {name: sum(1 for e, _ in files if e == name) for name in EXPECTED_FILES}
    assert counts == EXPECTED_FILES, f"the shared data changed: {counts}"
    rows = []
    failures = []
    for eval_set_name, path in files:
        report = scan_outputs(outputs(path, eval_set_name), prompts(eval_set_name))
        attack = is_published_attack(path)
        reasons = ", ".join(f"{r} {n}" for r, n in report.by_reason().most_common()) or "-"
        rows.append(
            f"{path.name:58s} {report.total:4d} {len(report.flags):4d} {report.share:7.2%} "
            f"{report.missing:3d}  {'ATTACK ' if attack else ''}{reasons}"
        )
        ok = report.share >= MIN_ATTACK_RECALL if attack else report.share <= MAX_FALSE_POSITIVES
        if not ok:
            failures.append(path.name)
    table = "\n".join([f"{'file':58s} {'n':>4s} {'flag':>4s} {'share':>7s} {'mis':>3s}  reasons", *rows])
    print("\n" + table)
    assert not failures, (
        f"over {MAX_FALSE_POSITIVES:.0%} flagged (or an attack under-flagged): {failures}\n{table}"
    )
