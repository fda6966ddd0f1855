"""`alpaca-bench data fetch`: the public data the built-in eval sets and the tests read, from
where it is published, checksum-verified, into one folder with the layout of `../shared/data`.

Users do not have the shared data folder the project is developed against, so without this the
built-in eval sets only work after a download at first use, and the AlpacaEval / MT-Bench /
Arena-Hard files that the tests and benchmarks replay have no documented source at all. The
manifest pins every file to a checksum computed from the shared copy, so what a user fetches is
what the tests were written against, and a silently changed upstream file is refused instead of
skewing results.

JSON and JSONL files are checked on their parsed rows (the fields the shared copy has), so a
re-serialised or column-extended upstream copy still verifies; the AlpacaEval leaderboards are
checked on the rows of the models the annotations cover (the shared copies are those rows of
much larger published tables); anything else byte for byte.

The URLs below could not be reached from the machine this was written on (no network), so they
are the best knowledge of each project's layout, not a tested list. `ALPACA_BENCH_DATA_MIRROR`
points every file at `<mirror>/<relative path>` instead: a local copy, an internal mirror, or the
tests' server on 127.0.0.1.
"""

from __future__ import annotations

import csv
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, ServiceError
from ..files import read_json_rows
from ..paths import fetched_data_dir
from ..progress import progress_bar
from ._builtin import ALPACA_EVAL, SELF_INSTRUCT
from ._download import OFFLINE_ENV, RemoteFile, _download

logger = logging.getLogger(__name__)

MIRROR_ENV = "ALPACA_BENCH_DATA_MIRROR"
ATTEMPTS = 3  # one download and two retries: a truncated or garbled copy rarely repeats


@dataclass(frozen=True)
class JsonRows:
    """Fingerprint of a .json list or .jsonl file: each row's `fields`, in file order."""

    fields: tuple[str, ...]

    def __call__(self, path: Path) -> list[list[Any]]:
        return [[row.get(field) for field in self.fields] for row in read_json_rows(path)]


@dataclass(frozen=True)
class CsvRows:
    """Fingerprint of a CSV table keyed by its first column: the `keys` rows' `columns`.

    Numbers compare as numbers, so `307` and `307.0` agree; extra rows and columns (a newer
    leaderboard with more models) do not change it."""

    keys: tuple[str, ...]
    columns: tuple[str, ...]

    def __call__(self, path: Path) -> dict[str, list[Any]]:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            key = (reader.fieldnames or [""])[0]
            rows = {row[key]: row for row in reader}
        return {key: [_cell(rows[key][column]) for column in self.columns] for key in self.keys}


def _cell(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def _file(
    relative_path: str, url: str, sha256: str, fingerprint: JsonRows | CsvRows | None = None
) -> RemoteFile:
    return RemoteFile(relative_path, relative_path, url, sha256, fingerprint)


_SELF_INSTRUCT_URL = "https://raw.githubusercontent.com/yizhongw/self-instruct/main"
_ALPACA_EVAL_URL = "https://raw.githubusercontent.com/tatsu-lab/alpaca_eval/main"
_FASTCHAT_URL = "https://raw.githubusercontent.com/lm-sys/FastChat/main"
_ARENA_HARD_URL = "https://raw.githubusercontent.com/lmarena/arena-hard-auto/main"
# Arena-Hard keeps model answers in its Hugging Face dataset rather than in the git repository.
_ARENA_HARD_ANSWERS_URL = "https://huggingface.co/datasets/lmarena-ai/arena-hard-auto/resolve/main"

_PREDICTION_FIELDS = ("prompt", "instruction", "input", "response", "target")
_OUTPUT_FIELDS = ("instruction", "output", "generator", "dataset")
_ANNOTATION_FIELDS = (
    "instruction", "dataset", "annotator", "generator_1", "output_1", "generator_2", "output_2",
    "preference", "price_per_example", "time_per_example",
)  # fmt: skip
_WEIGHTED_ANNOTATION_FIELDS = (*_ANNOTATION_FIELDS, "raw_completion")
_LEADERBOARD_COLUMNS = (
    "win_rate", "standard_error", "n_wins", "n_wins_base", "n_draws", "n_total", "mode", "avg_length",
    "discrete_win_rate", "length_controlled_winrate",
)  # fmt: skip
_ARENA_ANSWER_FIELDS = ("uid", "ans_id", "model", "messages", "tstamp")

# self-instruct/predictions/<model>_predictions.jsonl
_SELF_INSTRUCT_PREDICTIONS = {
    "davinci": "f31c84b13f08e799b10a0c02d7440ad1d6f5b022999275769c9ddc92ae38e195",
    "davinci-self-instruct": "b8eec63b1102dc9aa583d3826d674357e4054aef22dfadea5e7d0693a4c7b726",
    "davinci-self-instruct-and-superni-ft": (
        "e8af599d337fb57628755358ba878b7beef7ca4eee1bce9b792b9806395bb486"
    ),
    "davinci-superni-ft": "da17492ab3068df9160d1d4d827e91ef70fc8b1ad7aca5f10219f639a7cf14ff",
    "davinci-t0-ft": "f8fbe9a6a57eb311041093863bd99ec472f3c121445df07b9203f345e19c1223",
    "text-davinci-001": "4bb11ceb2964ea64f2904868bdad9b0126739e4bde98e01486ca9b728640feca",
    "text-davinci-002": "dec1599e8db3ea26a3e47527215439638ea3505e482ab8b7e81b204e50fbc61a",
    "text-davinci-003": "501e8fe972ec0fbb1f0849b0f7c7fcc9993d403d654596e31229a0237eb21759",
}

# alpaca-eval/model_outputs/<model>.json, published as results/<model>/model_outputs.json
_ALPACA_EVAL_OUTPUTS = {
    "Meta-Llama-3-8B-Instruct": "59c44d5728ac0dd800c869529607a4d85c808c5147e33b09f43eb81e5a5b91c4",
    "Mistral-7B-Instruct-v0.2": "75c7786e826a45e31e6909940001fe5674c63a79d01465bdf6a65ad0862e481a",
    "Mixtral-8x7B-Instruct-v0.1": "6c7ce5a41a1b84c3b7a633cff32abf3b6aefd6a0d4397369da566db6b8ace68a",
    "Qwen1.5-72B-Chat": "98f10b2084be5eb7925ab855d9c7295263366c0e738a7b183d92762e305780d1",
    "Yi-34B-Chat": "2684b01b8499e2b3be983c1369ceb517310b5da6e80a1f2ac06c416d5d0eeea6",
    "alpaca-7b": "39d7735600854f52a42ae50ba0453a36d63e68a8365e5c32a9ee341dd9dff997",
    "alpaca-7b_concise": "d544a072219225083a6c93d4de41c35a76e5318521ec125d0a74f670d3425b11",
    "claude-3-opus-20240229": "c479bcc3de789a6f69fa66d2e05e23355f9899e45d6ef25e8b2ba80843b2e76c",
    "dbrx-instruct": "ec06bed1718abdfc258b7479e89e995e17dbc4cd82a34c4d099777b32ceb5d7a",
    "falcon-7b-instruct": "51ac8232a2c12324da3c38d8e0d118a3cc4db5b5cd50ad96d96eba73f43c4f93",
    "gemma-7b-it": "604324792df60329e87b59c131c14ab2f921126dd7bc3f55353857d5ae4dc65a",
    "gpt-3.5-turbo-0613": "7774edae4e62135dbbb012bb79545ae845a2bbe2e64d0c1567ce1e25e9f61599",
    "gpt-4o-2024-05-13": "fac19690d0caf720683285f08841c56806e60ac4ca2ca31a29fc45fe9e09970a",
    "gpt4_0613_verbose": "97499ba2fe5087b05de63a9dd5fbfd06e2d49cfb057edb9f51feb2fe0db39de2",
    "gpt4_1106_preview": "9a03acd583baf8dbe187d1c80fbfcf61cc333696a193b25eff0f72f65b202906",
    "guanaco-33b": "455f07dd81b70cd32117ac46871fea1384f520d970d0b37b914ef6ba8b575f82",
    "llama-2-13b-chat-hf": "e74c4621f64dfba7bf9d025d43a269c0379e91d495f349a9ff5508b3f35dace0",
    "mistral-large-2402": "d73c6b0b6962bbd15451acdc852fdc79ad74e2cb0ac5d6b9736397666fd7033b",
    "oasst-sft-pythia-12b": "211b969798e748be31449da0c6e1e7c2e06f897f1d860b1df58fc0810f4687c9",
    "phi-2": "c7635b128937187f656aaaca8fc6295894eafb7165e747912958984f34c675b2",
    "text_davinci_003": "5524b518cfb3a375f636563b9802ecbce5f4bde012c5aa72aa4c8d20ae6093bd",
    "tulu-2-dpo-70b": "2cc087e8e44958b903a98b44d17d77c5cac5346dbf012f21c7b2a29a92d19175",
    "wizardlm-13b": "ce4b94406a2d3060ee782b9dc301fd6c5d66080ac31e038d47117ac02a4d779f",
}

# alpaca-eval/annotations/<judge>/<model>.json, published as results/<model>/<judge>/annotations.json
_ALPACA_EVAL_ANNOTATIONS = {
    "alpaca_eval_gpt4": {
        "alpaca-7b": "d3ab5973c211ac7d9f57131a72ab64adbbebced7d31536443d4d3fd01e92d638",
        "falcon-7b-instruct": "447546d9067e70d956e844ee2645475c279c6a40314ca531739942859162216d",
        "text_davinci_001": "47017885c20e57e1840e72e0df354679c0a686b108f288fac979a2cf588d58ff",
    },
    "weighted_alpaca_eval_gpt4_turbo": {
        "alpaca-7b": "bc7bc5ff34028e69795bf93a419c5ddda6e29bbe63de83bf0137420dbc000606",
        "falcon-7b-instruct": "d3e0dee602abd9791bc292c8722c841c81bbc8cbbe353f2c8f43387ef0adc2a2",
        "text_davinci_003": "b4075f605ac18cdf2e08c2b9b7702edbf2acb2016e3ec51c9d05ab5ac1bc97ae",
    },
}

# arena-hard/v0.1/model_answer/<model>.jsonl
_ARENA_HARD_ANSWERS = {
    "gpt-3.5-turbo-0125": "6a5e4ed928d28f9b89e5641a9fd03c9c2e96e487700f493f78c56b3473ddea8e",
    "gpt-4-0314": "6eef90a359fa0f12d257fe51f1aeaec065f859f87f87019039b34f0b02fd1b3e",
    "gpt-4-0613": "9a29ebf583576c4f4014bb9bbaf2b5c00e35f1cff56615ce302912a982abe4bd",
}


def _manifest() -> tuple[RemoteFile, ...]:
    files = [
        SELF_INSTRUCT,
        _file(
            "self-instruct/seed_tasks.jsonl",
            f"{_SELF_INSTRUCT_URL}/data/seed_tasks.jsonl",
            "25f291bc67fc2efbc4e37c391b88d53e0d6329dc4eb2d2938112ee0265a63e0a",
            JsonRows(("id", "name", "instruction", "instances", "is_classification")),
        ),
        *(
            _file(
                f"self-instruct/predictions/{model}_predictions.jsonl",
                f"{_SELF_INSTRUCT_URL}/human_eval/predictions/{model}_predictions.jsonl",
                sha256,
                JsonRows(_PREDICTION_FIELDS),
            )
            for model, sha256 in _SELF_INSTRUCT_PREDICTIONS.items()
        ),
        _file(
            "self-instruct/LICENSE",
            f"{_SELF_INSTRUCT_URL}/LICENSE",
            "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
        ),
        ALPACA_EVAL,
        *(
            _file(
                f"alpaca-eval/model_outputs/{model}.json",
                f"{_ALPACA_EVAL_URL}/results/{model}/model_outputs.json",
                sha256,
                JsonRows(_OUTPUT_FIELDS),
            )
            for model, sha256 in _ALPACA_EVAL_OUTPUTS.items()
        ),
        *(
            _file(
                f"alpaca-eval/annotations/{judge}/{model}.json",
                f"{_ALPACA_EVAL_URL}/results/{model}/{judge}/annotations.json",
                sha256,
                JsonRows(_WEIGHTED_ANNOTATION_FIELDS if judge.startswith("weighted") else _ANNOTATION_FIELDS),
            )
            for judge, models in _ALPACA_EVAL_ANNOTATIONS.items()
            for model, sha256 in models.items()
        ),
        _file(
            "alpaca-eval/leaderboard_alpaca_eval_gpt4.csv",
            f"{_ALPACA_EVAL_URL}/src/alpaca_eval/leaderboards/data_AlpacaEval/alpaca_eval_gpt4_leaderboard.csv",
            "d8932968709f0860f7ce08f2c3daa4d1057764ce6c729ec6903fcb17f5161dae",
            CsvRows(
                ("text_davinci_003", "falcon-7b-instruct", "alpaca-7b", "text_davinci_001"),
                _LEADERBOARD_COLUMNS,
            ),
        ),
        _file(
            "alpaca-eval/leaderboard_weighted_alpaca_eval_gpt4_turbo.csv",
            f"{_ALPACA_EVAL_URL}/src/alpaca_eval/leaderboards/data_AlpacaEval_2/"
            "weighted_alpaca_eval_gpt4_turbo_leaderboard.csv",
            "8df5a8298f3f0428b12de800daa52302e06f536c9c1dab4c7123a77a10c31aab",
            CsvRows(("gpt4_1106_preview", "alpaca-7b", "falcon-7b-instruct"), _LEADERBOARD_COLUMNS),
        ),
        _file(
            "mt-bench/question.jsonl",
            f"{_FASTCHAT_URL}/fastchat/llm_judge/data/mt_bench/question.jsonl",
            "c6bf55753c375ed86878911ec9c5e60024b6c97fb7eee4dd89d498a8596ffce7",
            JsonRows(("question_id", "category", "turns", "reference")),
        ),
        _file(
            "mt-bench/reference_answer/gpt-4.jsonl",
            f"{_FASTCHAT_URL}/fastchat/llm_judge/data/mt_bench/reference_answer/gpt-4.jsonl",
            "59f8f5ed372e77cbc2da049f99dac1e2d49d030ff001892bbd086374b8550084",
            JsonRows(("question_id", "answer_id", "model_id", "choices", "tstamp")),
        ),
        _file(
            "mt-bench/LICENSE",
            f"{_FASTCHAT_URL}/LICENSE",
            "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
        ),
        _file(
            "arena-hard/v0.1/question.jsonl",
            f"{_ARENA_HARD_URL}/data/arena-hard-v0.1/question.jsonl",
            "c9976ba076b0124cbcdd028504f3e51aaa0eb1fadb04379a40447ea4ca0279e4",
            JsonRows(("uid", "category", "cluster", "prompt")),
        ),
        *(
            _file(
                f"arena-hard/v0.1/model_answer/{model}.jsonl",
                f"{_ARENA_HARD_ANSWERS_URL}/data/arena-hard-v0.1/model_answer/{model}.jsonl",
                sha256,
                JsonRows(_ARENA_ANSWER_FIELDS),
            )
            for model, sha256 in _ARENA_HARD_ANSWERS.items()
        ),
        _file(
            "arena-hard/v2.0/question.jsonl",
            f"{_ARENA_HARD_URL}/data/arena-hard-v2.0/question.jsonl",
            "58fe285785aefc29b345de3f338e4541bd284ba624d14fbc8b84090338bf3c29",
            JsonRows(("uid", "category", "subcategory", "prompt")),
        ),
        _file(
            "arena-hard/leaderboard_20240731.csv",
            f"{_ARENA_HARD_URL}/leaderboard/arena_hard_leaderboard_20240731.csv",
            "dcc532f251a307f9cb23cb9ac04711e142157f32b934ee752a5456d336a6fe33",
        ),
        _file(
            "arena-hard/LICENSE",
            f"{_ARENA_HARD_URL}/LICENSE",
            "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
        ),
    ]
    return tuple(files)


DATA_FILES: tuple[RemoteFile, ...] = _manifest()


@dataclass(frozen=True)
class FetchReport:
    """What a fetch did: the files it downloaded and those already there and verified."""

    dest: Path
    fetched: tuple[str, ...]
    present: tuple[str, ...]
    fetched_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "dest": str(self.dest),
            "fetched": list(self.fetched),
            "present": list(self.present),
            "fetched_bytes": self.fetched_bytes,
        }


def fetch_data(
    dest: Path | None = None, *, only: str | None = None, show_progress: bool = True
) -> FetchReport:
    """Make `dest` (default `<cache>/data`, which eval sets then read) hold every manifest file
    whose relative path starts with `only`, verified. Files already there and verified are left
    alone, so a re-run downloads only what is missing and an interrupted fetch resumes."""
    root = (dest or fetched_data_dir()).expanduser()
    wanted = _select(only)
    present: list[str] = []
    missing: list[RemoteFile] = []
    with progress_bar("checking data", len(wanted), show_progress) as bar:
        for remote in wanted:
            if _verified(remote, root):
                present.append(remote.relative_path)
            else:
                missing.append(remote)
            bar.advance()
    if missing and os.environ.get(OFFLINE_ENV):
        raise InputError(
            f"{_count(missing)} missing from {root} ({_names(missing)}) and {OFFLINE_ENV} is set; "
            f"unset it to download them"
        )
    mirror = os.environ.get(MIRROR_ENV, "").rstrip("/")
    fetched: list[str] = []
    size = 0
    with progress_bar("fetching data", len(missing), show_progress) as bar:
        for remote in missing:
            bar.describe(f"fetching {remote.relative_path}")
            target = root / remote.relative_path
            url = f"{mirror}/{remote.relative_path}" if mirror else remote.url
            reason = _download(remote, target, url=url, attempts=ATTEMPTS)
            if reason is not None:
                done = len(fetched)
                kept = f"; {done} fetched before it {'is' if done == 1 else 'are'} kept, re-run to resume"
                raise ServiceError(f"{remote.relative_path}: {reason}{kept if done else ''}")
            fetched.append(remote.relative_path)
            size += target.stat().st_size
            bar.advance()
    logger.info("data in %s: %d fetched, %d already there", root, len(fetched), len(present))
    return FetchReport(root, tuple(fetched), tuple(present), size)


def _select(only: str | None) -> list[RemoteFile]:
    if not only:
        return list(DATA_FILES)
    prefix = only.strip("/")
    chosen = [remote for remote in DATA_FILES if remote.relative_path.startswith(prefix)]
    if not chosen:
        folders = sorted({remote.relative_path.split("/", 1)[0] for remote in DATA_FILES})
        raise InputError(f"no data file starts with {only!r}; the folders are {', '.join(folders)}")
    return chosen


def _verified(remote: RemoteFile, root: Path) -> bool:
    path = root / remote.relative_path
    if not path.is_file():
        return False
    try:
        ok = remote.verify(path)
    except (InputError, OSError, ValueError, KeyError, TypeError, IndexError):
        ok = False
    if not ok:
        logger.warning("%s does not match its checksum; fetching it again", path)
    return ok


def _count(files: list[RemoteFile]) -> str:
    return f"{len(files)} data file" + ("" if len(files) == 1 else "s")


def _names(files: list[RemoteFile], shown: int = 3) -> str:
    names = ", ".join(remote.relative_path for remote in files[:shown])
    return names if len(files) <= shown else f"{names} and {len(files) - shown} more"
