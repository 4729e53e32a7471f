"""Shared helpers for the Python suite: event-loop runner, free ports, PNG frames made with
zlib, a TLS test CA (openssl), the seed-000 C client, and a headless Chromium driver."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SEEDS = HERE / "seeds"


def run(coro, timeout: float = 60.0):
    """Runs a coroutine on a new default asyncio loop, bounded in time."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 15.0) -> None:
    """Waits until something accepts on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def wait_port_free(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
                return
            except OSError:
                time.sleep(0.1)
    raise RuntimeError(f"port {port} stays busy; the seed programs need it")


def make_png(width: int, height: int, seed: int) -> bytes:
    """A real RGB PNG (zlib + CRC chunks), different for each seed."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes(((x * 7 + seed * 13) & 255, (y * 5 + seed * 29) & 255, ((x ^ y) + seed * 3) & 255))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b"")


class Lines:
    """Collects a child's stdout lines in a thread; ``expect`` waits for a matching one."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.q: "queue.Queue[str]" = queue.Queue()
        self.all: list = []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.all.append(line)
            self.q.put(line)

    def expect(self, pred, timeout: float = 20.0, what: str = "") -> str:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what or pred}; output so far:\n" + "\n".join(self.all[-40:]))
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if (line.startswith(pred) if isinstance(pred, str) else pred(line)):
                return line


class Browser:
    """One headless Chromium page driven by browser.js."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", str(HERE / "browser.js")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            cwd=str(HERE),
        )
        self.lines = Lines(self.proc)
        self._seen: dict = {}
        self.lines.expect("READY", 60, "Chromium to start")

    def cmd(self, line: str, reply: str, timeout: float = 30.0) -> str:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        got = self.lines.expect(lambda l: l.startswith(reply) or l.startswith("ERROR") or l.startswith("FATAL"), timeout, reply)
        assert got.startswith(reply), f"browser: {line!r} -> {got}"
        return got[len(reply):].strip()

    def eval(self, js: str):
        return json.loads(self.cmd("EVAL " + js, "EVAL"))

    def wait(self, js: str, ms: int = 20000) -> None:
        self.proc.stdin.write(f"WAIT {js} {ms}\n")
        self.proc.stdin.flush()
        got = self.lines.expect(lambda l: l in ("WAITED", "TIMEOUT") or l.startswith("ERROR"), ms / 1000 + 10, "WAIT")
        assert got == "WAITED", f"browser: condition never true: {js}\n" + "\n".join(self.lines.all[-20:])

    def expect_alert(self, text: str, timeout: float = 20.0) -> None:
        """Waits for one more alert(text) than already expected (alerts may come in any order
        relative to command replies, so this looks at the whole output)."""
        target = "ALERT " + json.dumps(text, ensure_ascii=False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.lines.all.count(target) > self._seen.get(target, 0):
                self._seen[target] = self._seen.get(target, 0) + 1
                return
            time.sleep(0.02)
        raise AssertionError(f"no {target} within {timeout}s; output:\n" + "\n".join(self.lines.all[-30:]))

    def alert_texts(self) -> list:
        return [json.loads(l[6:]) for l in self.lines.all if l.startswith("ALERT ")]

    def close(self) -> None:
        try:
            self.proc.stdin.write("EXIT\n")
            self.proc.stdin.flush()
            self.proc.wait(20)
        except Exception:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def browser():
    b = Browser()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """A test CA and a server certificate for localhost / 127.0.0.1 (openssl)."""
    d = tmp_path_factory.mktemp("tls")

    def ossl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=omnisock test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
         "-days", "2", "-extfile", "ext.cnf")
    return {"ca": str(d / "ca.pem"), "cert": str(d / "server.pem"), "key": str(d / "server.key")}


def mmdagent_client() -> str:
    path = os.environ.get("OMNISOCK_MMDAGENT_CLIENT")
    assert path and Path(path).exists(), "OMNISOCK_MMDAGENT_CLIENT is not built: run tests/python/run.sh"
    return path


def python_child(script: Path, *args: str, cwd: Path = HERE) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        cwd=str(cwd),
        env=env,
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
