"""`alpaca-bench rate` as a real process in a pseudo-terminal (80×24): ratings acknowledged on
screen are on disk, SIGKILL loses at most the rating being entered, and a new session resumes."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest
from test_rate_fixtures import human_records, make_run

from alpaca_bench.records import Judgment
from alpaca_bench.store import RunFolder

TIMEOUT_S = 60


class Terminal:
    """A child process on a pty, with everything it writes collected by a reader thread."""

    def __init__(self, *args: str | Path):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color"}
        self.child = subprocess.Popen(
            [sys.executable, "-m", "alpaca_bench", *map(str, args)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.master, self.output = master, bytearray()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.output.extend(data)

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while text.encode() not in self.output:
            if self.child.poll() is not None:
                self.reader.join(5)  # what the child wrote before it ended is still being read
                if text.encode() in self.output:
                    return
            if time.monotonic() > deadline or self.child.poll() is not None:
                tail = bytes(self.output[-2000:]).decode(errors="replace")
                pytest.fail(f"{text!r} never appeared (exit {self.child.poll()}); screen tail:\n{tail}")
            time.sleep(0.02)

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> None:
        if self.child.poll() is None:
            os.kill(self.child.pid, signal.SIGKILL)
        self.child.wait(10)
        os.close(self.master)


@pytest.mark.slow
def test_sigkill_loses_at_most_the_rating_being_entered(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    term = Terminal("rate", run_dir, "--rater", "kim")
    try:
        term.wait_for("kim: 0/19 rated")
        for count, key in enumerate("12tb21", start=1):
            term.send(key)
            term.wait_for(f"kim: {count}/19 rated")  # acknowledged on screen ...
            assert len(human_records(run_dir)) == count  # ... so already on disk
        term.send("1")  # the rating being entered when the kill lands
        os.kill(term.child.pid, signal.SIGKILL)
        assert term.child.wait(10) == -signal.SIGKILL
    finally:
        term.close()

    records = human_records(run_dir)
    assert len(records) in (6, 7)
    assert [r["verdict"] for r in records[:6]] == ["A>B", "B>A", "tie", "tie", "B>A", "A>B"]
    assert [r["flagged"] for r in records[:6]] == [False, False, False, True, False, False]
    assert all(r["rater"] == "kim" for r in records)
    assert len(RunFolder(run_dir).judgments.read(Judgment)) == 20 + len(records), "every line parses"

    resumed = Terminal("rate", run_dir, "--rater", "kim")
    try:
        resumed.wait_for(f"kim: {len(records)}/19 rated")
        resumed.send("\x03")  # ctrl+c leaves cleanly, like q
        assert resumed.child.wait(TIMEOUT_S) == 0
        resumed.wait_for(f"kim: {len(records)} of 19 pairs rated (0 now); run the same command to go on")
    finally:
        resumed.close()
    assert len(human_records(run_dir)) == len(records)
    for stream in (term.output, resumed.output):
        assert b"zebra" not in stream and b"okapi" not in stream, "a model name reached the terminal"
