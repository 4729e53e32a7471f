"""Shared fixtures: the omnisock binary, a running hub on a free loopback port."""

import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
OMNISOCK = Path(os.environ.get("OMNISOCK_BIN") or TARGET / "release" / "omnisock")

HUB_START_TIMEOUT = 30.0
URL_RE = re.compile(r"http://127\.0\.0\.1:(\d+)")


class Hub:
    """A `omnisock hub` child process listening on 127.0.0.1:<port>."""

    def __init__(self, extra_args=()):
        if not OMNISOCK.exists():
            raise RuntimeError(f"{OMNISOCK} is missing: run `cargo build --release` first")
        self.lines = []
        self._ready = threading.Event()
        self.port = None
        self.proc = subprocess.Popen(
            [str(OMNISOCK), "hub", "--listen", "127.0.0.1:0", *extra_args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        if not self._ready.wait(HUB_START_TIMEOUT) or self.port is None:
            self.stop()
            raise RuntimeError("hub did not report `listening on`:\n" + "".join(self.lines))

    def _drain(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            if self.port is None and "listening on" in line:
                m = URL_RE.search(line)
                if m:
                    self.port = int(m.group(1))
                    self._ready.set()
        self._ready.set()

    @property
    def http(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self):
        return f"ws://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(5)

    def output(self):
        return "".join(self.lines)


@pytest.fixture
def hub():
    h = Hub()
    try:
        yield h
    finally:
        # A hub that died on its own during the test (a panic, say) is a failure too.
        died = h.proc.poll()
        h.stop()
        assert died is None, f"hub exited with {died} during the test:\n{h.output()}"


def wait_until(pred, timeout=10.0, interval=0.05):
    """Polls `pred` until it returns a truthy value (returned) or `timeout` passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)
