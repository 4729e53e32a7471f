"""Interop with the real ``websockets`` library, both ways: its client against our server and
our client against its server — text, binary, 10 MiB messages, close codes, ping."""

from __future__ import annotations

import asyncio

import pytest
import websockets as W
from websockets.asyncio.server import serve as w_serve

import omnisock
from conftest import run

BIG = 10 * 1024 * 1024 + 7


def test_websockets_client_against_omnisock_server():
    async def handler(ws):
        async for m in ws:
            if m == "close-please":
                await ws.close(4002, "as you wish")
                return
            await ws.send(m)

    async def go():
        async with omnisock.serve(handler, "127.0.0.1", 0, max_size=16 << 20) as server:
            url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
            async with W.connect(url, max_size=16 << 20) as ws:
                await ws.send("text ✓")
                assert await ws.recv() == "text ✓"
                await ws.send(b"\x00\x01\x02")
                assert await ws.recv() == b"\x00\x01\x02"
                big = bytes(range(256)) * (BIG // 256) + b"tail"
                await ws.send(big)
                assert await ws.recv() == big
                big_text = "é" * (BIG // 2)
                await ws.send(big_text)
                assert await ws.recv() == big_text
                latency = await asyncio.wait_for(await ws.ping(b"hi"), 10)
                assert latency >= 0
                await ws.send("close-please")
                with pytest.raises(W.exceptions.ConnectionClosedError) as ei:
                    await ws.recv()
                assert ei.value.rcvd.code == 4002 and ei.value.rcvd.reason == "as you wish"
            # normal close from the websockets side
            async with W.connect(url) as ws:
                await ws.send("x")
                assert await ws.recv() == "x"
            assert ws.close_code == 1000

    run(go(), 120)


def test_serve_compression_negotiates_like_websockets():
    async def handler(ws):
        async for m in ws:
            await ws.send(m)

    async def go():
        text = "".join(f'{{"id":{i},"pos":[{i % 7},{i % 11}]}}' for i in range(2000))
        answers = {}
        for compression in ("deflate", None):
            async with omnisock.serve(handler, "127.0.0.1", 0, compression=compression, max_size=16 << 20) as server:
                url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
                async with W.connect(url, max_size=16 << 20) as ws:
                    answers[compression] = ws.response.headers.get("Sec-WebSocket-Extensions")
                    for _ in range(3):
                        await ws.send(text)
                        assert await ws.recv() == text
        async with w_serve(handler, "127.0.0.1", 0) as peer:
            url = f"ws://127.0.0.1:{peer.sockets[0].getsockname()[1]}/"
            async with W.connect(url) as ws:
                reference = ws.response.headers.get("Sec-WebSocket-Extensions")
        assert answers["deflate"] == reference == "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
        assert answers[None] is None
        with pytest.raises(ValueError):
            omnisock.serve(handler, "127.0.0.1", 0, compression="brotli")

    run(go(), 60)


def test_omnisock_client_against_websockets_server():
    server_pings = []

    async def handler(ws):
        async for m in ws:
            if m == "ping-me":
                server_pings.append(await asyncio.wait_for(await ws.ping(b"srv"), 10))
                await ws.send("pinged")
            elif m == "close-please":
                await ws.close(4003, "from websockets")
                return
            else:
                await ws.send(m)

    async def go():
        async with w_serve(handler, "127.0.0.1", 0, max_size=16 << 20) as server:
            port = server.sockets[0].getsockname()[1]
            url = f"ws://127.0.0.1:{port}/path"
            async with omnisock.connect(url, max_size=16 << 20) as ws:
                assert ws.response.headers["Upgrade"].lower() == "websocket"
                await ws.send("hello")
                assert await ws.recv() == "hello"
                big = bytes(range(256)) * (BIG // 256)
                await ws.send(big)
                assert await ws.recv() == big
                assert await asyncio.wait_for(await ws.ping(b"cli"), 10) >= 0
                await ws.send("ping-me")
                assert await ws.recv() == "pinged"
                await ws.send("close-please")
                with pytest.raises(omnisock.ConnectionClosedError) as ei:
                    await ws.recv()
                assert ei.value.rcvd.code == 4003 and ei.value.rcvd.reason == "from websockets"
            async with omnisock.connect(url) as ws:
                await ws.close(1001, "going")
            assert ws.close_code == 1001

    run(go(), 120)
    assert len(server_pings) == 1


def test_websockets_server_refusal_is_invalid_status():
    def process_request(connection, request):
        return connection.respond(401, "no\n")

    async def go():
        async with w_serve(lambda ws: None, "127.0.0.1", 0, process_request=process_request) as server:
            port = server.sockets[0].getsockname()[1]
            with pytest.raises(omnisock.InvalidStatus) as ei:
                await omnisock.connect(f"ws://127.0.0.1:{port}/")
            assert ei.value.response.status_code == 401

    run(go())


def test_websockets_client_sees_1009_from_omnisock_server():
    async def go():
        async with omnisock.serve(lambda ws: ws.wait_closed(), "127.0.0.1", 0, max_size=1000) as server:
            url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
            async with W.connect(url) as ws:
                await ws.send("z" * 5000)
                with pytest.raises(W.exceptions.ConnectionClosedError) as ei:
                    await ws.recv()
                assert ei.value.rcvd.code == 1009

    run(go())


def test_websockets_client_refused_by_process_request():
    async def go():
        async with omnisock.serve(lambda ws: ws.wait_closed(), "127.0.0.1", 0,
                                  process_request=lambda c, r: c.respond(418, "teapot\n")) as server:
            url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
            with pytest.raises(W.exceptions.InvalidStatus) as ei:
                await W.connect(url)
            assert ei.value.response.status_code == 418

    run(go())


def test_omnisock_client_compression_with_websockets_server():
    negotiated = []

    async def handler(ws):
        negotiated.append([type(e).__name__ for e in ws.protocol.extensions])
        async for m in ws:
            await ws.send(m)

    async def go():
        # websockets' serve() accepts permessage-deflate by default; connect() offers it by default.
        async with w_serve(handler, "127.0.0.1", 0, max_size=16 << 20) as server:
            url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
            async with omnisock.connect(url, max_size=16 << 20) as ws:
                assert "permessage-deflate" in ws.response.headers["Sec-WebSocket-Extensions"]
                text = "compressible JSON-ish text, " * 20000
                for m in [text, text.encode(), "short", text[::-1]]:
                    await ws.send(m)
                    assert await ws.recv() == m
            async with omnisock.connect(url, compression=None) as ws:
                assert "Sec-WebSocket-Extensions" not in ws.response.headers
                await ws.send("plain")
                assert await ws.recv() == "plain"
            with pytest.raises(ValueError):
                omnisock.connect(url, compression="brotli")

    run(go(), 120)
    assert negotiated == [["PerMessageDeflate"], []]
