"""The file formats of FastChat's MT-Bench and of Arena-Hard-Auto, read and written here only.

Users coming from those tools have answer files and expect judgments in the shape their scripts
read; everything else in alpaca-bench sees `Prompt`, `Generation` and `Judgment` records.

- FastChat model answers (`model_answer/<model>.jsonl`, also MT-Bench's reference answers):
  `{"question_id": 81, "model_id": …, "choices": [{"index": 0, "turns": ["…", "…"]}]}`.
- Arena-Hard model answers: `{"uid": …, "model": …, "messages": [{"role": "user", "content":
  "…"}, {"role": "assistant", "content": {"answer": "…"}}]}` (older files: a plain string).
- FastChat pair judgments (`model_judgment/<judge>_pair.jsonl`): one line per question and turn
  with both orders, `g1` showing model_1 first and `g2` the swap; winners are `model_1`,
  `model_2`, `tie` or `error`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from .records import Judgment, Position


def row_answers(row: Mapping[str, Any]) -> tuple[str, list[str]] | None:
    """(prompt id, every assistant turn's answer) of a FastChat or Arena-Hard answer row; None
    for a row in neither format. Raises ValueError for a row in one of them that is malformed."""
    if "choices" in row and "question_id" in row:
        choices = row["choices"]
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
            raise ValueError("'choices' must be a list of objects with 'turns'")
        turns = choices[0].get("turns")
        if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
            raise ValueError("'choices[0].turns' must be a non-empty list of texts")
        return str(row["question_id"]), list(turns)
    if "messages" in row and "uid" in row:
        messages = row["messages"]
        if not isinstance(messages, list):
            raise ValueError("'messages' must be a list")
        answers = [
            _assistant_text(m) for m in messages if isinstance(m, Mapping) and m.get("role") == "assistant"
        ]
        if not answers:
            raise ValueError("'messages' has no assistant turn")
        return str(row["uid"]), answers
    return None


def _assistant_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, Mapping):
        content = content.get("answer")
    if not isinstance(content, str):
        raise ValueError("an assistant message's content must be text or {'answer': text}")
    return content


def row_model(row: Mapping[str, Any]) -> str | None:
    """The model name an answer row carries, if any."""
    for key in ("model_id", "model", "generator"):
        value = row.get(key)
        if isinstance(value, str) and value:
            return value
    return None


_WINNER: dict[tuple[Position, str], str] = {
    # (which model of the pair was shown first, the positional winner) -> FastChat's winner
    ("baseline", "A"): "model_1",
    ("baseline", "B"): "model_2",
    ("candidate", "A"): "model_2",
    ("candidate", "B"): "model_1",
}


def _positional_winner(judgment: Judgment) -> str:
    if judgment.verdict == "unscored":
        return "error"
    if judgment.verdict == "tie":
        return "tie"
    return "A" if judgment.verdict.startswith("A") else "B"


def _judgment_text(judgment: Judgment) -> str:
    raw = judgment.raw
    if isinstance(raw, Mapping) and isinstance(raw.get("text"), str):
        return str(raw["text"])
    return ""


def fastchat_pair_rows(
    judgments: Iterable[Judgment], judge: tuple[str, str], turn: int = 1
) -> list[dict[str, Any]]:
    """FastChat pair-judgment rows of one run's judgments: model_1 is the baseline, g1 the order
    that showed it first. A prompt judged in one order only has "error" for the other (what
    FastChat writes for a game it could not play). `judge` is (judge model, template name)."""
    games: dict[tuple[str, str, str], dict[Position, Judgment]] = defaultdict(dict)
    for j in judgments:
        games[(j.prompt_id, j.baseline, j.candidate)][j.first_shown] = j
    rows = []
    for (prompt_id, baseline, candidate), by_order in sorted(games.items(), key=lambda kv: _id_key(kv[0][0])):
        row: dict[str, Any] = {
            "question_id": int(prompt_id) if prompt_id.isdigit() else prompt_id,
            "model_1": baseline,
            "model_2": candidate,
        }
        games_of: tuple[tuple[str, Position], ...] = (("g1", "baseline"), ("g2", "candidate"))
        for game, order in games_of:
            found = by_order.get(order)
            if found is None:
                row[f"{game}_winner"], row[f"{game}_judgment"] = "error", ""
                continue
            positional = _positional_winner(found)
            row[f"{game}_winner"] = _WINNER.get((order, positional), positional)  # tie, error as they are
            row[f"{game}_judgment"] = _judgment_text(found)
        row["judge"] = list(judge)
        row["turn"] = turn
        latest = max(j.created_at for j in by_order.values())
        row["tstamp"] = latest.timestamp()
        rows.append(row)
    return rows


def _id_key(prompt_id: str) -> tuple[int, int | str]:
    return (0, int(prompt_id)) if prompt_id.isdigit() else (1, prompt_id)
