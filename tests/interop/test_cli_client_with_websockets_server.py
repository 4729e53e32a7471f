"""`omnisock connect` as a client of a server written with the Python `websockets` library."""

import asyncio
import queue
import subprocess
import threading

import pytest
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from conftest import OMNISOCK

LINE_TIMEOUT = 15.0


class Server:
    """A `websockets` server on 127.0.0.1:<free port>, run on its own event loop thread.

    `handler(ws, record)` serves each connection; `record` collects what it wants to report
    (received messages, request headers, close codes) for the test to assert on.
    """

    def __init__(self, handler, **serve_kwargs):
        self.events = queue.Queue()
        self._handler = handler
        self._serve_kwargs = serve_kwargs
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._started.wait(10), "websockets server did not start"

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self):
        self._stop = asyncio.Event()

        async def handler(ws):
            try:
                await self._handler(ws, self.events.put)
            finally:
                self.events.put(("closed", ws.close_code, ws.close_reason))

        async with serve(handler, "127.0.0.1", 0, **self._serve_kwargs) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._started.set()
            await self._stop.wait()

    def next_event(self, timeout=LINE_TIMEOUT):
        return self.events.get(timeout=timeout)

    def stop(self):
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


class Client:
    """An `omnisock connect` child process with a line-by-line view of its stdout."""

    def __init__(self, url, *args):
        self.proc = subprocess.Popen(
            [str(OMNISOCK), "connect", url, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read_out(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _read_err(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def send_line(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect_line(self):
        try:
            line = self.lines.get(timeout=LINE_TIMEOUT)
        except queue.Empty:
            raise AssertionError("no output line in time; stderr:\n" + "".join(self.stderr))
        assert line is not None, "stdout closed early; stderr:\n" + "".join(self.stderr)
        return line

    def close_stdin(self):
        self.proc.stdin.close()

    def wait(self, timeout=LINE_TIMEOUT):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("omnisock connect did not exit; stderr:\n" + "".join(self.stderr))

    def rest_of_stdout(self):
        out = []
        while True:
            line = self.lines.get(timeout=LINE_TIMEOUT)
            if line is None:
                return out
            out.append(line)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def cleanup():
    things = []
    yield things
    for t in reversed(things):
        (t.kill if isinstance(t, Client) else t.stop)()


async def prefix_echo(ws, record):
    record(("headers", {k.lower(): v for k, v in ws.request.headers.raw_items()}, ws.request.path, ws.subprotocol))
    async for msg in ws:
        record(("message", msg))
        if isinstance(msg, bytes):
            await ws.send(b"echo: " + msg)
        else:
            await ws.send("echo: " + msg)


def test_connect_sends_stdin_lines_and_prints_replies(cleanup):
    server = Server(prefix_echo)
    cleanup.append(server)
    client = Client(f"ws://127.0.0.1:{server.port}/x")
    cleanup.append(client)

    kind, headers, path, _ = server.next_event()
    assert kind == "headers" and path == "/x"
    for word in ["one", "two words", "ünïcødé ✓"]:
        client.send_line(word)
        assert client.expect_line() == "echo: " + word
        assert server.next_event() == ("message", word)
    client.close_stdin()
    assert client.wait() == 0
    assert client.rest_of_stdout() == []
    # Closing stdin closes the connection normally.
    assert server.next_event() == ("closed", 1000, "")


def test_connect_sends_headers_and_subprotocol(cleanup):
    server = Server(prefix_echo, subprotocols=["omni.v2", "omni.v1"])
    cleanup.append(server)
    client = Client(
        f"ws://127.0.0.1:{server.port}/with/headers?q=1",
        "-H", "X-Omni-Test: hello",
        "-H", "Authorization: Bearer t0ken",
        "--protocol", "omni.v1",
    )
    cleanup.append(client)
    kind, headers, path, subprotocol = server.next_event()
    assert kind == "headers"
    assert path == "/with/headers?q=1"
    assert headers.get("x-omni-test") == "hello"
    assert headers.get("authorization") == "Bearer t0ken"
    assert subprotocol == "omni.v1"
    client.send_line("ping")
    assert client.expect_line() == "echo: ping"
    client.close_stdin()
    assert client.wait() == 0


def test_connect_prints_binary_as_size_and_exits_when_server_closes(cleanup):
    async def handler(ws, record):
        await ws.send("text first")
        await ws.send(bytes(range(5)))
        await ws.send(b"")
        await ws.send("text last")
        await ws.close(1000, "done")

    server = Server(handler)
    cleanup.append(server)
    client = Client(f"ws://127.0.0.1:{server.port}/")
    cleanup.append(client)
    # stdin stays open: the server's close alone must end the client.
    assert client.expect_line() == "text first"
    assert client.expect_line() == "<binary 5 bytes>"
    assert client.expect_line() == "<binary 0 bytes>"
    assert client.expect_line() == "text last"
    assert client.wait() == 0, "".join(client.stderr)
    assert server.next_event() == ("closed", 1000, "done")


def test_connect_to_refusing_path_fails(cleanup):
    async def reject(connection, request):
        return connection.respond(403, "no\n")

    async def handler(ws, record):
        pass

    server = Server(handler, process_request=reject)
    cleanup.append(server)
    client = Client(f"ws://127.0.0.1:{server.port}/forbidden")
    cleanup.append(client)
    # stdin stays open: the refused handshake alone must end the client, with an error.
    assert client.wait() != 0
    assert "403" in "".join(client.stderr)


def test_line_framing(cleanup):
    async def handler(ws, record):
        await ws.send("a\nb\n")
        async for msg in ws:
            record(("message", msg))
            if msg == "hello\n":
                await ws.send("partial ")
                await ws.send("line\nnext\n")

    server = Server(handler)
    cleanup.append(server)
    client = Client(f"ws://127.0.0.1:{server.port}/line", "--line")
    cleanup.append(client)
    # One message with two lines prints two lines.
    assert client.expect_line() == "a"
    assert client.expect_line() == "b"
    # A sent line carries its "\n".
    client.send_line("hello")
    assert server.next_event() == ("message", "hello\n")
    # A line split over two messages is printed once whole.
    assert client.expect_line() == "partial line"
    assert client.expect_line() == "next"
    client.close_stdin()
    assert client.wait() == 0
    assert server.next_event() == ("closed", 1000, "")


def test_connect_against_hub_echo(hub, cleanup):
    client = Client(hub.ws + "/echo")
    cleanup.append(client)
    for i in range(20):
        client.send_line(f"line {i}")
        assert client.expect_line() == f"line {i}"
    client.close_stdin()
    assert client.wait() == 0


def test_two_cli_clients_on_hub_chat(hub, cleanup):
    # Each client's own message comes back (broadcast includes the sender), which also shows
    # it is registered on the route. b starts only then, so it cannot see "a here".
    a = Client(hub.ws + "/chat")
    cleanup.append(a)
    a.send_line("a here")
    assert a.expect_line() == "a here"
    b = Client(hub.ws + "/chat")
    cleanup.append(b)
    b.send_line("b here")
    assert b.expect_line() == "b here"
    assert a.expect_line() == "b here"
    a.send_line("to all")
    assert a.expect_line() == "to all"
    assert b.expect_line() == "to all"
    a.close_stdin()
    b.close_stdin()
    assert a.wait() == 0 and b.wait() == 0


def test_piped_stdin_is_sent_before_closing(hub):
    # The usual shell use: all input at once, then EOF. Every line must be sent (and its echo
    # printed) before the client closes with 1000 and exits.
    lines = [f"piped {i}" for i in range(5)]
    proc = subprocess.run(
        [str(OMNISOCK), "connect", hub.ws + "/echo"],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == lines, proc.stderr


def test_piped_stdin_to_websockets_server(cleanup):
    server = Server(prefix_echo)
    cleanup.append(server)
    proc = subprocess.run(
        [str(OMNISOCK), "connect", f"ws://127.0.0.1:{server.port}/piped"],
        input="first\nsecond\n",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    events = [server.next_event() for _ in range(4)]
    assert events[0][0] == "headers"
    assert events[1:] == [("message", "first"), ("message", "second"), ("closed", 1000, "")]
