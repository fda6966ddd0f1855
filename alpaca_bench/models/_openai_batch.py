"""`openai:MODEL[@URL]` through the OpenAI Batch API: half the price, answers within 24 hours.

Each request becomes one line of a batch input file (``custom_id``, ``POST``,
``/v1/chat/completions``, and the body the synchronous backend would send). The backend uploads
the lines in as many batches as the API's limits need, polls until each batch ends, and yields a
`Completion` for every answered line as soon as its batch's results are downloaded, so the call
cache (`CachedBackend`) stores them the moment they arrive, exactly as for ordinary calls: both
backends have the same identity and share one cache.

Nothing is paid for twice. Every batch is appended to a state file (`BatchOptions.state`, the
run folder's ``batches.jsonl``) the moment it exists, and a later run polls the recorded batch
instead of sending its lines again, so a killed run, or one that did not wait, resumes where it
stopped. State records are JSON objects: the first for a batch is ``{batch_id, input_file_id,
custom_ids, created_at, status, model, base_url}``; later ones for the same ``batch_id`` update
its ``status`` (with ``output_file_id``, ``error_file_id``, ``request_counts``) and finally add
``collected_at`` once every answer of it that a stream was waiting for has been handed over
(and so cached). A reader merges the records of each batch in order, later fields winning.

A ``custom_id`` is ``KEY~HASH~N``: the request's key (its first 44 characters), a 12-hex hash
of the key, the backend's identity and the request's cache payload (a changed prompt or judge
never picks up an old answer), and N, a per-key attempt counter that grows each time the line is
sent again (failed lines, parse retries), continuing from the attempts the state file records.

Lines that fail (in the error file, a non-200 status in the output, missing from a batch that
ended, or the whole batch failed, expired or was cancelled; expired batches keep the answers
they had) are sent again in a new batch, up to `max_rounds` times, or as ordinary calls when
``fallback="sync"``; what is still unanswered is not yielded (the caller sees no answer and a
re-run asks again).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ..errors import InputError
from ..records import CallCounts, Prompt, Usage, stable_hash
from ._base import BackendOptions, ChatRequest, Completion

if TYPE_CHECKING:
    from ..progress import Bar
    from ._openai_api import OpenAIBackend

logger = logging.getLogger(__name__)

T = TypeVar("T")

ENDPOINT = "/v1/chat/completions"
DEAD = frozenset({"failed", "expired", "cancelled"})
TERMINAL = DEAD | {"completed"}
BATCH_PRICE_FACTOR = 0.5
"""What a batch call costs relative to the same call made synchronously."""
KEY_CHARS = 44
COALESCE_S = 2.0
"""Lines asked for within this long of each other (parse retries arriving together) share a batch."""
FILE_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class BatchOptions:
    """How judge calls go through the Batch API.

    `max_rounds` is how many times a failed line is sent again in a new batch before it is
    given up (with ``fallback="sync"`` a failed line is asked once as an ordinary call instead).
    `show_progress` lets the backend describe its batches on the progress bar of the work it
    serves (`alpaca_bench.progress.live_bar`); it never draws a display of its own.
    """

    wait: bool = True  # False: submit, record, and return without answers (re-run collects)
    poll_s: float = 30.0  # seconds between polls of pending batches
    # failed/expired/missing lines: a new batch, or ordinary calls
    fallback: Literal["batch", "sync"] = "batch"
    max_rounds: int = 3  # batch rounds for failed lines before they are given up (returned unanswered)
    completion_window: str = "24h"
    max_requests: int = 50_000  # the API's per-batch limits
    max_bytes: int = 200_000_000
    # JSONL file recording every batch as soon as it exists (the run folder's batches.jsonl)
    state: Path | None = None
    show_progress: bool = True

    def __post_init__(self) -> None:
        if self.poll_s < 0:
            raise InputError(f"batch poll interval must be >= 0 seconds, got {self.poll_s:g}")
        if self.fallback not in ("batch", "sync"):
            raise InputError(f"batch fallback must be 'batch' or 'sync', got {self.fallback!r}")
        if self.max_rounds < 0:
            raise InputError(f"batch rounds must be >= 0, got {self.max_rounds}")
        if self.max_requests < 1 or self.max_bytes < 1:
            raise InputError("batch limits (requests, bytes) must be at least 1")


@dataclass(frozen=True)
class _Line:
    request: ChatRequest
    base: str  # KEY~HASH
    attempt: int

    @property
    def custom_id(self) -> str:
        return f"{self.base}~{self.attempt}"


@dataclass
class _Outcome:
    """What one ended batch answered (by custom_id) and why the rest failed."""

    status: str
    answers: dict[str, Completion]
    failed: dict[str, str]


@dataclass
class _Answer:
    completion: Completion
    batch_id: str | None  # None: answered by an ordinary call


@dataclass
class _Failure:
    batch_id: str  # a line of this batch will not be answered by it


class _Gone(Exception):
    """The service no longer knows the batch or file (404)."""


def split_custom_id(custom_id: str) -> tuple[str, int]:
    """`KEY~HASH~N` -> (`KEY~HASH`, N); an id not written by this backend has attempt -1."""
    base, sep, attempt = custom_id.rpartition("~")
    if not sep or not attempt.isdigit():
        return custom_id, -1
    return base, int(attempt)


def read_state(path: Path) -> dict[str, dict[str, Any]]:
    """Every batch a state file records: batch id -> its records merged in order."""
    from ..files import JsonlLog

    merged: dict[str, dict[str, Any]] = {}
    for record in JsonlLog(path).read_dicts():
        batch_id = record.get("batch_id")
        if isinstance(batch_id, str):
            merged.setdefault(batch_id, {}).update(record)
    return merged


class OpenAIBatchBackend:
    """The `openai:` backend's requests as Batch API lines (see the module docstring)."""

    cacheable = True

    def __init__(self, rest: str, options: BackendOptions, batch: BatchOptions):
        from ._openai_api import OpenAIBackend

        # the synchronous backend builds the client, the request bodies and the error messages,
        # and answers the fallback calls; the spend cap is applied here, when lines are sent
        self.sync: OpenAIBackend = OpenAIBackend(rest, replace(options, admission=None))
        self.options = options
        self.batch = batch
        self.name = self.sync.name
        self.counts: CallCounts = self.sync.counts
        self._members: dict[str, set[str]] = {}  # batch id -> its custom ids
        self._created: dict[str, float] = {}
        self._status: dict[str, tuple[str, int, int]] = {}  # batch id -> status, total, completed
        self._recorded_status: dict[str, str] = {}
        self._collected: set[str] = set()
        self._owed: Counter[str] = Counter()  # batch id -> lines a stream still waits to hand over
        self._delivered: set[str] = set()
        self._attempts: dict[str, int] = {}
        self._loaded: Path | None = None
        self._trackers: dict[str, asyncio.Task[_Outcome | None]] = {}
        self._outbox: list[_Line] = []
        self._flush: asyncio.Future[dict[str, str]] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bar: Bar | None = None

    def identity(self) -> dict[str, Any]:
        return self.sync.identity()

    def prepare(self, prompts: Sequence[Prompt]) -> Sequence[Prompt]:
        return prompts

    def record_to(self, path: Path) -> None:
        """Keep the state in `path` from now on (read again by the next stream)."""
        self.batch = replace(self.batch, state=path)

    # --- the stream ---

    async def stream(self, requests: Sequence[ChatRequest]) -> AsyncIterator[Completion]:
        """Answers of recorded batches and of new ones, each as soon as its batch is downloaded."""
        if not requests:
            return
        import openai

        from ..progress import live_bar

        self._bind_loop()
        self.sync._get_client()
        bar = live_bar()
        self._bar = bar if bar is not None and bar.shown and self.batch.show_progress else None
        out: asyncio.Queue[_Answer | _Failure | BaseException | None] = asyncio.Queue()
        workers: set[asyncio.Task[None]] = set()
        open_workers = 0
        pending: set[str] = set()
        given_up: dict[str, str] = {}

        def spawn(work: Awaitable[None]) -> None:
            nonlocal open_workers
            open_workers += 1
            workers.add(asyncio.create_task(guarded(work)))

        async def guarded(work: Awaitable[None]) -> None:
            try:
                await work
            except openai.OpenAIError as exc:
                await out.put(self.sync.fatal(exc))
            except Exception as exc:
                await out.put(exc)
            finally:
                await out.put(None)

        async def follow(batch_id: str, lines: list[_Line], round_: int) -> None:
            if self.batch.wait:
                outcome = await self._tracker(batch_id)
            else:
                outcome = await self._poll(batch_id, once=True)
            if outcome is None:
                pending.add(batch_id)
                return
            failed: list[_Line] = []
            for line in lines:
                answer = outcome.answers.get(line.custom_id)
                if answer is None:
                    failed.append(line)
                    given_up[line.custom_id] = outcome.failed.get(line.custom_id, "no answer")
                    await out.put(_Failure(batch_id))
                else:
                    await out.put(_Answer(replace(answer, key=line.request.key), batch_id))
            if failed:
                send_again(failed, round_ + 1)

        def send_again(lines: list[_Line], round_: int) -> None:
            if self.batch.fallback == "sync":
                spawn(ask_sync(lines))
            elif round_ <= self.batch.max_rounds:
                for line in lines:
                    given_up.pop(line.custom_id, None)
                self.counts.retries += len(lines)
                spawn(submit([self._again(line) for line in lines], round_))
            else:
                spawn(self._release(lines))

        async def submit(lines: list[_Line], round_: int) -> None:
            sent = await self._submit(lines)
            groups: dict[str, list[_Line]] = {}
            for line in lines:
                groups.setdefault(sent[line.custom_id], []).append(line)
            for batch_id, group in groups.items():
                if self.batch.wait:
                    spawn(follow(batch_id, group, round_))
                else:
                    pending.add(batch_id)

        async def ask_sync(lines: list[_Line]) -> None:
            for line in lines:
                given_up.pop(line.custom_id, None)
            async for completion in self.sync.stream([line.request for line in lines]):
                await out.put(_Answer(completion, None))

        async def admit_then_submit(lines: list[_Line]) -> None:
            ready: list[_Line] = []
            async for line, fits in self._admit(lines):
                if not fits:
                    if ready:
                        await submit(ready, 0)
                        ready = []
                    continue
                ready.append(line)
            if ready:
                await submit(ready, 0)

        resumed, fresh = self._resume(requests)
        for batch_id, group in resumed.items():
            self._owed[batch_id] += len(group)
            spawn(follow(batch_id, group, 0))
        if fresh:
            spawn(admit_then_submit(fresh))
        try:
            while open_workers:
                item = await out.get()
                if item is None:
                    open_workers -= 1
                elif isinstance(item, BaseException):
                    raise item
                elif isinstance(item, _Failure):
                    self._handed_over(item.batch_id)
                else:
                    if item.batch_id is not None:
                        self._delivered.add(item.completion.key)
                    yield item.completion
                    if item.batch_id is not None:  # the consumer has it (cached) now
                        self._handed_over(item.batch_id)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        if given_up:
            reasons = Counter(given_up.values()).most_common(1)[0][0]
            logger.warning(
                "%s: %d of %d lines got no answer from the Batch API, sent again %d time(s) (e.g. %s); "
                "re-run the same command to ask for them again",
                self.name,
                len(given_up),
                len(requests),
                self.batch.max_rounds,
                reasons,
            )
        if pending:
            logger.info(
                "%s: %d batch(es) pending (%s); re-run the same command to collect them",
                self.name,
                len(pending),
                ", ".join(sorted(pending)),
            )

    def _handed_over(self, batch_id: str) -> None:
        """One line a stream owed from this batch is settled; the last one marks it collected."""
        self._owed[batch_id] -= 1
        if self._owed[batch_id] <= 0 and batch_id not in self._collected:
            del self._owed[batch_id]
            self._collected.add(batch_id)
            self._record({"batch_id": batch_id, "collected_at": time.time()})

    def _bind_loop(self) -> None:
        """Trackers and the coalescing future belong to one event loop; a new loop starts afresh."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            self._trackers.clear()
            self._outbox = []
            self._flush = None
            self._flusher = None

    # --- which lines are already in a batch ---

    def _base(self, request: ChatRequest) -> str:
        payload = {"key": request.key, "model": self.identity(), "request": request.cache_payload()}
        return f"{request.key[:KEY_CHARS]}~{stable_hash(payload, 12)}"

    def _next_attempt(self, base: str) -> int:
        attempt = self._attempts.get(base, -1) + 1
        self._attempts[base] = attempt
        return attempt

    def _again(self, line: _Line) -> _Line:
        return _Line(line.request, line.base, self._next_attempt(line.base))

    def _load_state(self) -> None:
        path = self.batch.state
        if path is None or path == self._loaded:
            return
        self._loaded = path
        for batch_id, record in read_state(path).items():
            ids = [str(i) for i in record.get("custom_ids") or []]
            self._members.setdefault(batch_id, set()).update(ids)
            self._created.setdefault(batch_id, float(record.get("created_at") or time.time()))
            if isinstance(record.get("status"), str):
                self._recorded_status[batch_id] = record["status"]
            if record.get("collected_at"):
                self._collected.add(batch_id)
            for custom_id in ids:
                base, attempt = split_custom_id(custom_id)
                self._attempts[base] = max(self._attempts.get(base, -1), attempt)

    def _resume(self, requests: Sequence[ChatRequest]) -> tuple[dict[str, list[_Line]], list[_Line]]:
        """Lines already in a batch not yet collected (batch id -> lines), and lines to send."""
        self._load_state()
        latest: dict[str, tuple[int, str]] = {}  # base -> (attempt, batch id)
        for batch_id, ids in self._members.items():
            if batch_id in self._collected:
                continue
            for custom_id in ids:
                base, attempt = split_custom_id(custom_id)
                if attempt > latest.get(base, (-2, ""))[0]:
                    latest[base] = (attempt, batch_id)
        resumed: dict[str, list[_Line]] = {}
        fresh: list[_Line] = []
        for request in requests:
            base = self._base(request)
            found = latest.get(base)
            # a fresh ask (use_cache=False) never takes an answer this process handed over
            if found is not None and (request.use_cache or request.key not in self._delivered):
                resumed.setdefault(found[1], []).append(_Line(request, base, found[0]))
            else:
                fresh.append(_Line(request, base, self._next_attempt(base)))
        return resumed, fresh

    async def _admit(self, lines: list[_Line]) -> AsyncIterator[tuple[_Line, bool]]:
        """Each line with whether it may go into the batch being filled now.

        A spend cap (`BackendOptions.admission`) admits a line only when, with everything in
        flight at its worst case, spend stays under the cap; when a line would have to wait for
        answers to settle, (line, False) says: send what is ready first (its answers settle the
        budget), and the line is then admitted or, once the cap is reached, it and the rest are
        dropped (not yielded at all)."""
        admission = self.options.admission
        for line in lines:
            if admission is None:
                yield line, True
                continue
            chars = sum(len(m["content"]) for m in line.request.messages)
            decision = asyncio.ensure_future(
                admission.admit(line.request.key, chars, line.request.max_tokens)
            )
            for _ in range(3):  # an admission that need not wait decides at once
                if decision.done():
                    break
                await asyncio.sleep(0)
            if not decision.done():
                if not self.batch.wait:  # nothing settles before this run ends: a re-run sends the rest
                    decision.cancel()
                    return
                yield line, False
            if not await decision:
                return
            yield line, True

    async def _release(self, lines: list[_Line]) -> None:
        """Free the spend cap's hold on lines given up (no answer will ever settle them)."""
        settle = getattr(self.options.admission, "settle", None)
        if settle is not None:
            for line in lines:
                await settle(line.request.key, 0.0)

    # --- sending ---

    async def _submit(self, lines: list[_Line]) -> dict[str, str]:
        """Put lines into the next batches; returns custom id -> batch id for everything sent
        with them. Lines asked for within `COALESCE_S` of each other go out together."""
        self._outbox.extend(lines)
        if self._flush is None:
            self._flush = asyncio.get_running_loop().create_future()
            self._flusher = asyncio.create_task(self._flush_soon(self._flush))
        return await asyncio.shield(self._flush)

    async def _flush_soon(self, done: asyncio.Future[dict[str, str]]) -> None:
        await asyncio.sleep(min(COALESCE_S, self.batch.poll_s))
        lines, self._outbox, self._flush = self._outbox, [], None
        try:
            sent: dict[str, str] = {}
            for chunk in self._chunks(lines):
                batch_id = await self._create(chunk)
                sent.update(dict.fromkeys((line.custom_id for line, _ in chunk), batch_id))
        except Exception as exc:
            done.set_exception(exc)
        except BaseException:
            done.cancel()
            raise
        else:
            done.set_result(sent)

    def _encode(self, line: _Line) -> bytes:
        body = self.sync._request_kwargs(line.request)
        row = {"custom_id": line.custom_id, "method": "POST", "url": ENDPOINT, "body": body}
        return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")

    def _chunks(self, lines: list[_Line]) -> list[list[tuple[_Line, bytes]]]:
        """Lines split into batches within `max_requests` and `max_bytes`."""
        chunks: list[list[tuple[_Line, bytes]]] = []
        size = 0
        for line in lines:
            blob = self._encode(line)
            full = bool(chunks) and (
                len(chunks[-1]) >= self.batch.max_requests or size + len(blob) > self.batch.max_bytes
            )
            if not chunks or full:
                chunks.append([])
                size = 0
            chunks[-1].append((line, blob))
            size += len(blob)
        return chunks

    async def _create(self, chunk: list[tuple[_Line, bytes]]) -> str:
        """Upload one batch input file, create its batch, and record it at once."""
        client = self.sync._get_client()
        ids = [line.custom_id for line, _ in chunk]
        data = b"".join(blob for _, blob in chunk)
        name = f"alpaca-bench-{stable_hash(ids, 12)}.jsonl"
        uploaded = await self._api(
            lambda: client.files.create(
                file=(name, data, "application/jsonl"), purpose="batch", timeout=FILE_TIMEOUT_S
            )
        )
        created = await self._api(
            lambda: client.batches.create(
                input_file_id=uploaded.id,
                endpoint=ENDPOINT,
                completion_window=self.batch.completion_window,
            )
        )
        batch_id = str(created.id)
        created_at = float(getattr(created, "created_at", None) or time.time())
        self._record(
            {
                "batch_id": batch_id,
                "input_file_id": uploaded.id,
                "custom_ids": ids,
                "created_at": created_at,
                "status": created.status,
                "model": self.sync.model,
                "base_url": self.sync.base_url or "api.openai.com",
            }
        )
        self._recorded_status[batch_id] = str(created.status)
        self._members[batch_id] = set(ids)
        self._created[batch_id] = created_at
        self._owed[batch_id] += len(ids)
        self.counts.sent += len(ids)
        logger.info("%s: batch %s created with %d lines", self.name, batch_id, len(ids))
        self._note(batch_id, str(created.status), len(ids), 0)
        return batch_id

    # --- waiting and collecting ---

    def _tracker(self, batch_id: str) -> asyncio.Task[_Outcome | None]:
        """The one task polling this batch until it ends, shared by every stream that waits on it."""
        task = self._trackers.get(batch_id)
        if task is None:
            task = self._trackers[batch_id] = asyncio.create_task(self._poll(batch_id, once=False))
        return task

    async def _poll(self, batch_id: str, once: bool) -> _Outcome | None:
        """Poll until the batch ends and collect it; with `once`, None if it has not ended yet."""
        client = self.sync._get_client()
        while True:
            try:
                batch = await self._api(lambda: client.batches.retrieve(batch_id), gone=True)
            except _Gone:
                logger.warning(
                    "%s: batch %s is unknown to the service; its lines are sent again", self.name, batch_id
                )
                return _Outcome("missing", {}, {})
            status = str(batch.status)
            counts = getattr(batch, "request_counts", None)
            total = getattr(counts, "total", None) or len(self._members.get(batch_id, ()))
            self._note(batch_id, status, total, getattr(counts, "completed", 0) or 0)
            if status != self._recorded_status.get(batch_id):
                self._recorded_status[batch_id] = status
                self._record(
                    {
                        "batch_id": batch_id,
                        "status": status,
                        "output_file_id": batch.output_file_id,
                        "error_file_id": batch.error_file_id,
                        "request_counts": counts.model_dump() if counts is not None else None,
                        "updated_at": time.time(),
                    }
                )
            if status in TERMINAL:
                return await self._collect(batch)
            if once:
                return None
            await asyncio.sleep(self.batch.poll_s)

    async def _collect(self, batch: Any) -> _Outcome:
        """Download an ended batch's output and error files."""
        client = self.sync._get_client()
        batch_id, status = str(batch.id), str(batch.status)
        latency = max(0.0, time.time() - self._created.get(batch_id, time.time()))
        answers: dict[str, Completion] = {}
        failed: dict[str, str] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            try:
                download = functools.partial(client.files.content, file_id, timeout=FILE_TIMEOUT_S)
                content = await self._api(download, gone=True)
            except _Gone:
                logger.warning("%s: results file %s of batch %s is gone", self.name, file_id, batch_id)
                continue
            for row in _rows(content.content):
                custom_id = str(row.get("custom_id"))
                completion, reason = _completion(row, latency)
                if completion is not None:
                    answers[custom_id] = completion
                else:
                    failed.setdefault(custom_id, reason)
        for custom_id in self._members.get(batch_id, set()) - answers.keys() - failed.keys():
            failed[custom_id] = f"missing from the results of a {status} batch"
        if status in DEAD or failed:
            errors = getattr(getattr(batch, "errors", None), "data", None) or []
            why = f" ({errors[0].message})" if errors and getattr(errors[0], "message", None) else ""
            logger.warning(
                "%s: batch %s %s%s: %d lines answered, %d failed",
                self.name,
                batch_id,
                status,
                why,
                len(answers),
                len(failed),
            )
        return _Outcome(status, answers, failed)

    async def _api(self, call: Callable[[], Awaitable[T]], gone: bool = False) -> T:
        """One API call, transient failures retried like the synchronous backend's; an OpenAI
        error becomes its one-line ServiceError (404 is `_Gone` when `gone`)."""
        import openai

        from ._retry import with_backoff

        try:
            return await with_backoff(call, self.sync._classify, self.sync.policy, self.sync._give_up)
        except openai.NotFoundError as exc:
            if gone:
                raise _Gone() from None
            raise self.sync.fatal(exc) from None
        except openai.OpenAIError as exc:
            raise self.sync.fatal(exc) from None

    # --- reporting ---

    def _record(self, record: dict[str, Any]) -> None:
        if self.batch.state is not None:
            from ..files import JsonlLog

            JsonlLog(self.batch.state).append(record)

    def _note(self, batch_id: str, status: str, total: int, completed: int) -> None:
        """A batch's state as last seen: logged when it changes, shown on the live bar."""
        before = self._status.get(batch_id)
        self._status[batch_id] = (status, total, completed)
        if before is None or before[0] != status:
            logger.info("%s: batch %s %s (%d/%d lines done)", self.name, batch_id, status, completed, total)
        if self._bar is not None:
            self._bar.describe(self.describe())

    def describe(self) -> str:
        """E.g. 'gpt-4o-mini batches: 1 completed, 2 in_progress · 400/805 lines done'."""
        states = Counter(status for status, _, _ in self._status.values())
        done = sum(completed for _, _, completed in self._status.values())
        total = sum(total for _, total, _ in self._status.values())
        shown = ", ".join(f"{count} {status}" for status, count in sorted(states.items()))
        return f"{self.name} batches: {shown} · {done}/{total} lines done"

    async def aclose(self) -> None:
        tasks = [*self._trackers.values(), *([self._flusher] if self._flusher else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._trackers.clear()
        self._flusher = None
        await self.sync.aclose()


def _rows(data: bytes) -> list[dict[str, Any]]:
    rows = []
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue  # its line is then missing, and sent again
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _completion(row: dict[str, Any], latency_s: float) -> tuple[Completion | None, str]:
    """One result line as a completion (keyed later), or why it is not one."""
    from openai.types.chat import ChatCompletion
    from pydantic import ValidationError

    from ._openai_api import _first_token_logprobs

    error = row.get("error")
    if error:
        code = error.get("code") if isinstance(error, dict) else None
        return None, str(code or "error")
    response = row.get("response") or {}
    status = response.get("status_code") if isinstance(response, dict) else None
    if status != 200:
        return None, f"HTTP {status}"
    try:
        parsed = ChatCompletion.model_validate(response.get("body"))
    except ValidationError:
        return None, "malformed response body"
    if not parsed.choices:
        return None, "response has no choices"
    choice = parsed.choices[0]
    usage = parsed.usage
    return (
        Completion(
            key="",
            text=(choice.message.content or "") if choice.message else "",
            usage=Usage(
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
            ),
            latency_s=latency_s,
            top_logprobs=_first_token_logprobs(choice),
            finish_reason=choice.finish_reason,
        ),
        "",
    )
