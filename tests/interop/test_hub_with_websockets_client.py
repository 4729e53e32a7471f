"""The Python `websockets` library (asyncio API) as a client of `omnisock hub`."""

import asyncio
import json
import re
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from conftest import wait_until

RECV_TIMEOUT = 10.0


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), RECV_TIMEOUT)


def http_get(url):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, resp.headers, resp.read().decode("utf-8")


def status(hub):
    code, headers, body = http_get(hub.http + "/_omnisock/status")
    assert code == 200
    assert "json" in headers.get("Content-Type", "")
    return json.loads(body)


def open_connections(st):
    """The number of open connections in a status document."""
    conns = st["connections"]
    if isinstance(conns, list):
        return len(conns)
    if isinstance(conns, dict):
        for key in ("open", "current", "active", "total"):
            if key in conns:
                return conns[key]
    return conns


def route_connections(st, path):
    """The number of connections on route `path` in a status document."""
    for route in st["routes"]:
        if route.get("path") == path:
            for key in ("connections", "open", "clients"):
                if key in route:
                    value = route[key]
                    return len(value) if isinstance(value, list) else value
    raise AssertionError(f"route {path} missing from status: {st}")


def wait_route_connections(hub, path, n):
    got = wait_until(lambda: route_connections(status(hub), path) == n, timeout=10)
    assert got, f"route {path} never showed {n} connections: {status(hub)}"


def test_echo_text_and_binary(hub):
    async def main():
        async with connect(hub.ws + "/echo") as ws:
            await ws.send("hello omnisock")
            assert await recv(ws) == "hello omnisock"

            text = "ünïcødé ✓ 日本語 🎉"
            await ws.send(text)
            assert await recv(ws) == text

            payload = bytes(range(256)) * 4
            await ws.send(payload)
            got = await recv(ws)
            assert isinstance(got, bytes)
            assert got == payload

            await ws.send(b"")
            got = await recv(ws)
            assert got == b"" and isinstance(got, bytes)

            big = bytes((i * 7) & 0xFF for i in range(1 << 20))  # 1 MiB
            await ws.send(big)
            got = await recv(ws)
            assert got == big

            # A fragmented text message is reassembled before it is echoed.
            await ws.send(iter(["frag", "mented ", "message"]))
            assert await recv(ws) == "fragmented message"

            # Many messages keep their order.
            for i in range(200):
                await ws.send(f"m{i}")
            for i in range(200):
                assert await recv(ws) == f"m{i}"

            # Ping is answered (websockets waits for the pong).
            pong = await ws.ping(b"p")
            await asyncio.wait_for(pong, RECV_TIMEOUT)

    run(main())


def test_broadcast_reaches_every_client_including_sender(hub):
    async def main():
        async with connect(hub.ws + "/chat") as a, connect(hub.ws + "/chat") as b:
            wait_route_connections(hub, "/chat", 2)
            await a.send("hello from a")
            assert await recv(a) == "hello from a"
            assert await recv(b) == "hello from a"
            await b.send(b"\x01\x02binary from b")
            assert await recv(a) == b"\x01\x02binary from b"
            assert await recv(b) == b"\x01\x02binary from b"
            # A client on another route hears nothing of /chat: its echo comes back first.
            async with connect(hub.ws + "/echo") as c:
                await a.send("only chat")
                await c.send("echo only")
                assert await recv(c) == "echo only"
                assert await recv(a) == "only chat"
                assert await recv(b) == "only chat"

    run(main())


def test_relay_does_not_echo_to_sender(hub):
    async def main():
        async with connect(hub.ws + "/ws/camera") as a, connect(hub.ws + "/ws/camera") as b:
            wait_route_connections(hub, "/ws/camera", 2)
            await a.send("frame-1")
            assert await recv(b) == "frame-1"
            await b.send("ack-1")
            # Had the hub relayed frame-1 back to a, it would arrive before b's ack.
            assert await recv(a) == "ack-1"
            await a.send(b"\xff\x00jpeg")
            assert await recv(b) == b"\xff\x00jpeg"
            await b.send("ack-2")
            assert await recv(a) == "ack-2"

    run(main())


def test_client_close_code_and_reason(hub):
    async def main():
        ws = await connect(hub.ws + "/echo")
        await ws.send("before close")
        assert await recv(ws) == "before close"
        await ws.close(code=4001, reason="bye now")
        assert ws.close_code == 4001
        assert ws.close_reason == "bye now"
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
        assert info.value.rcvd is not None and info.value.rcvd.code == 4001

        ws = await connect(hub.ws + "/echo")
        await ws.close()
        assert ws.close_code == 1000

    run(main())
    got = wait_until(lambda: open_connections(status(hub)) == 0, timeout=10)
    assert got, f"connections still counted after close: {status(hub)}"


def test_unknown_path_is_404(hub):
    async def main():
        with pytest.raises(InvalidStatus) as info:
            async with connect(hub.ws + "/no/such/route"):
                pass
        assert info.value.response.status_code == 404

    run(main())


def test_status_counts_connections(hub):
    st = status(hub)
    assert open_connections(st) == 0
    paths = {r.get("path") for r in st["routes"]}
    assert {"/echo", "/chat", "/ws/camera"} <= paths

    async def main():
        async with connect(hub.ws + "/echo") as e, connect(hub.ws + "/chat") as c:
            await e.send("x")
            assert await recv(e) == "x"
            await c.send("y")
            assert await recv(c) == "y"
            st = status(hub)
            assert open_connections(st) == 2, st
            assert route_connections(st, "/echo") == 1
            assert route_connections(st, "/chat") == 1
            assert route_connections(st, "/ws/camera") == 0

    run(main())
    got = wait_until(lambda: open_connections(status(hub)) == 0, timeout=10)
    assert got, f"connections still counted after close: {status(hub)}"


METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)( -?\d+)?$")


def parse_metrics(text):
    samples = {}
    types = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            types[name] = kind
            continue
        if line.startswith("#"):
            continue
        m = METRIC_LINE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return types, samples


def test_metrics_prometheus_text(hub):
    code, headers, body = http_get(hub.http + "/metrics")
    assert code == 200
    assert headers.get("Content-Type", "").startswith("text/plain")
    types, before = parse_metrics(body)
    assert types, "no # TYPE lines"
    assert set(types.values()) <= {"counter", "gauge", "histogram", "summary", "untyped"}
    assert before, "no samples"

    async def main():
        async with connect(hub.ws + "/echo") as ws:
            for i in range(5):
                await ws.send(f"metric {i}")
                assert await recv(ws) == f"metric {i}"

    run(main())
    _, after = parse_metrics(http_get(hub.http + "/metrics")[2])
    grown = [k for k in after if types.get(k.split("{")[0]) == "counter" and after[k] >= before.get(k, 0) + 5]
    assert grown, f"no counter grew by the 5 messages:\nbefore={before}\nafter={after}"
