"""The websockets-compatible asyncio API: serve/connect forms, handlers, connection
attributes, close codes, ping, broadcast, exceptions, bad input, uvloop, wss."""

from __future__ import annotations

import asyncio
import logging
import ssl

import pytest
import websockets

import omnisock
from omnisock.exceptions import WebSocketException
from conftest import run


async def echo(ws):
    async for m in ws:
        await ws.send(m)


def port_of(server) -> int:
    return server.sockets[0].getsockname()[1]


def test_import_and_version():
    assert omnisock.__version__
    for name in ("serve", "connect", "broadcast", "Hub", "ConnectionClosed", "InvalidStatus", "PayloadTooBig"):
        assert hasattr(omnisock, name), name


def test_exception_hierarchy_matches_websockets():
    import websockets.exceptions as W
    import omnisock.exceptions as O

    for name in ("ConnectionClosed", "ConnectionClosedOK", "ConnectionClosedError", "InvalidURI", "InvalidHandshake",
                 "InvalidStatus", "PayloadTooBig", "ProtocolError", "InvalidState", "ConcurrencyError", "InvalidOrigin",
                 "InvalidHeader", "NegotiationError", "SecurityError", "InvalidMessage"):
        ours, theirs = getattr(O, name), getattr(W, name)
        assert issubclass(ours, O.WebSocketException), name
        for base in theirs.__mro__:
            if base.__module__.startswith("websockets") and base is not theirs:
                assert issubclass(ours, getattr(O, base.__name__)), f"{name} should subclass {base.__name__}"


def test_serve_async_with_and_echo():
    async def go():
        async with omnisock.serve(echo, "localhost", 0) as server:
            assert isinstance(server, omnisock.Server)
            async with omnisock.connect(f"ws://localhost:{port_of(server)}/echo?x=1") as ws:
                await ws.send("héllo")
                assert await ws.recv() == "héllo"
                await ws.send(b"\x00\xff" * 1000)
                assert await ws.recv() == b"\x00\xff" * 1000
                await ws.send(bytearray(b"ab"))
                assert await ws.recv() == b"ab"
                await ws.send(["fr", "ag"])
                assert await ws.recv() == "frag"
                await ws.send("as bytes", text=False)
                assert await ws.recv() == b"as bytes"
                await ws.send("t")
                assert await ws.recv(decode=False) == b"t"
                assert ws.state is omnisock.State.OPEN and ws.open and not ws.closed
                assert ws.request.path == "/echo?x=1"
                assert ws.response.status_code == 101
                assert ws.remote_address[1] == port_of(server)
            assert ws.state is omnisock.State.CLOSED and ws.close_code == 1000

    run(go())


def test_awaitable_serve_and_connect_and_attributes():
    seen = {}

    async def handler(ws):
        seen["path"] = ws.request.path
        seen["legacy_path"] = ws.path
        seen["ua"] = ws.request.headers["User-Agent"]
        seen["custom"] = ws.request.headers.get("X-Custom")
        seen["remote"] = ws.remote_address
        seen["local"] = ws.local_address
        seen["id"] = ws.id
        seen["open"] = ws.open
        await ws.send(str(ws.state.name))
        await ws.wait_closed()
        seen["code"], seen["reason"] = ws.close_code, ws.close_reason

    async def go():
        server = await omnisock.serve(handler, "127.0.0.1", 0)
        port = port_of(server)
        ws = await omnisock.connect(f"ws://127.0.0.1:{port}/a/b?q=1", additional_headers={"X-Custom": "yes"})
        assert await ws.recv() == "OPEN"
        await ws.close(4001, "bye now")
        assert ws.close_code == 4001 and ws.close_reason == "bye now"
        for _ in range(100):
            if "code" in seen:
                break
            await asyncio.sleep(0.05)
        server.close()
        await server.wait_closed()
        return port

    port = run(go())
    assert seen["path"] == "/a/b?q=1" and seen["legacy_path"] == "/a/b?q=1"
    assert seen["ua"].startswith("Python/") and seen["custom"] == "yes"
    assert seen["remote"][0] == "127.0.0.1" and seen["local"] == ("127.0.0.1", port)
    assert seen["open"] is True
    assert (seen["code"], seen["reason"]) == (4001, "bye now")


def test_legacy_two_argument_handler():
    async def handler(websocket, path):
        await websocket.send(path)

    async def go():
        async with omnisock.serve(handler, "localhost", 0) as server:
            async with omnisock.connect(f"ws://localhost:{port_of(server)}/chat") as ws:
                assert await ws.recv() == "/chat"

    run(go())


def test_async_for_ends_on_clean_close_and_raises_on_error_close():
    async def closer(ws):
        await ws.send("one")
        msg = await ws.recv()
        if msg == "ok":
            await ws.close()
        else:
            await ws.close(1011, "bad")

    async def go():
        async with omnisock.serve(closer, "localhost", 0) as server:
            url = f"ws://localhost:{port_of(server)}/"
            async with omnisock.connect(url) as ws:
                got = []
                await ws.send("ok")
                async for m in ws:
                    got.append(m)
                assert got == ["one"]
                assert ws.close_code == 1000
            async with omnisock.connect(url) as ws:
                await ws.send("no")
                with pytest.raises(omnisock.ConnectionClosedError) as ei:
                    async for m in ws:
                        pass
                assert ei.value.rcvd.code == 1011 and ei.value.rcvd.reason == "bad"

    run(go())


def test_send_after_close_raises_connection_closed():
    async def handler(ws):
        await ws.wait_closed()
        with pytest.raises(omnisock.ConnectionClosed):
            await ws.send("late")
        with pytest.raises(omnisock.ConnectionClosed):
            await ws.recv()

    results = []

    async def checked(ws):
        try:
            await handler(ws)
            results.append("server ok")
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            results.append(repr(exc))

    async def go():
        async with omnisock.serve(checked, "localhost", 0) as server:
            ws = await omnisock.connect(f"ws://localhost:{port_of(server)}/")
            await ws.close()
            with pytest.raises(omnisock.ConnectionClosedOK):
                await ws.send("after close")
            with pytest.raises(omnisock.ConnectionClosed):
                await ws.recv()
            with pytest.raises(omnisock.ConnectionClosed):
                await ws.ping()
            for _ in range(100):
                if results:
                    break
                await asyncio.sleep(0.05)

    run(go())
    assert results == ["server ok"]


def test_oversize_message_closes_1009_both_ways():
    async def go():
        async with omnisock.serve(echo, "localhost", 0, max_size=1024) as server:
            url = f"ws://localhost:{port_of(server)}/"
            async with omnisock.connect(url, max_size=1 << 20) as ws:
                await ws.send("x" * 2048)
                with pytest.raises(omnisock.ConnectionClosedError) as ei:
                    await ws.recv()
                assert ei.value.rcvd.code == 1009
        # a client with a small max_size receiving a big message
        async def big(ws):
            await ws.send(b"y" * 4096)
            await ws.wait_closed()

        async with omnisock.serve(big, "localhost", 0) as server:
            async with omnisock.connect(f"ws://localhost:{port_of(server)}/", max_size=1000) as ws:
                with pytest.raises(omnisock.ConnectionClosedError) as ei:
                    await ws.recv()
                assert ei.value.sent.code == 1009
                assert isinstance(ei.value.__cause__, omnisock.PayloadTooBig)

    run(go())


def test_invalid_uri():
    async def go():
        for uri in ("http://localhost/", "ws://", "wss://:80/x", "localhost:80"):
            with pytest.raises(omnisock.InvalidURI):
                await omnisock.connect(uri)

    run(go())


def test_connection_refused_is_oserror():
    from conftest import free_port

    async def go():
        with pytest.raises(OSError):
            await omnisock.connect(f"ws://127.0.0.1:{free_port()}/", open_timeout=5)

    run(go())


def test_process_request_refuses_with_invalid_status():
    async def process_request(connection, request):
        if request.headers.get("Authorization") != "Bearer secret":
            return connection.respond(403, "go away\n")
        return None

    async def go():
        async with omnisock.serve(echo, "localhost", 0, process_request=process_request) as server:
            url = f"ws://localhost:{port_of(server)}/"
            with pytest.raises(omnisock.InvalidStatus) as ei:
                await omnisock.connect(url)
            assert ei.value.response.status_code == 403
            assert isinstance(ei.value, omnisock.InvalidHandshake)
            async with omnisock.connect(url, additional_headers=[("Authorization", "Bearer secret")]) as ws:
                await ws.send("in")
                assert await ws.recv() == "in"

    run(go())


def test_handler_exception_logged_1011_and_server_keeps_serving(caplog):
    async def handler(ws):
        async for m in ws:
            if m == "boom":
                raise RuntimeError("handler blew up")
            await ws.send(m)

    async def go():
        async with omnisock.serve(handler, "localhost", 0) as server:
            url = f"ws://localhost:{port_of(server)}/"
            async with omnisock.connect(url) as a, omnisock.connect(url) as b:
                await a.send("boom")
                with pytest.raises(omnisock.ConnectionClosedError) as ei:
                    await a.recv()
                assert ei.value.rcvd.code == 1011
                await b.send("still here")
                assert await b.recv() == "still here"
            async with omnisock.connect(url) as c:
                await c.send("new one")
                assert await c.recv() == "new one"

    with caplog.at_level(logging.ERROR):
        run(go())
    assert any("connection handler failed" in r.message and r.exc_info and "handler blew up" in str(r.exc_info[1])
               for r in caplog.records)


def test_ping_pong_both_sides():
    latencies = []

    async def handler(ws):
        waiter = await ws.ping(b"from-server")
        latencies.append(await asyncio.wait_for(waiter, 10))
        await ws.send("pinged")
        await ws.wait_closed()

    async def go():
        async with omnisock.serve(handler, "localhost", 0) as server:
            async with omnisock.connect(f"ws://localhost:{port_of(server)}/") as ws:
                assert await ws.recv() == "pinged"
                w1 = await ws.ping()
                w2 = await ws.ping("custom")
                assert await asyncio.wait_for(w2, 10) >= 0
                assert w1.done(), "a pong answers every earlier ping too"
                with pytest.raises(omnisock.ConcurrencyError):
                    w3 = await ws.ping(b"same")
                    await ws.ping(b"same")
                await asyncio.wait_for(w3, 10)

    run(go())
    assert len(latencies) == 1 and latencies[0] >= 0


def test_broadcast_reaches_every_open_connection():
    conns = set()
    ready = asyncio.Event

    async def handler(ws):
        conns.add(ws)
        try:
            await ws.wait_closed()
        finally:
            conns.discard(ws)

    async def go():
        async with omnisock.serve(handler, "localhost", 0) as server:
            url = f"ws://localhost:{port_of(server)}/"
            clients = [await omnisock.connect(url) for _ in range(20)]
            for _ in range(100):
                if len(conns) == 20:
                    break
                await asyncio.sleep(0.02)
            assert len(conns) == 20
            omnisock.broadcast(conns, "to all")
            omnisock.broadcast(conns, b"\x01binary")
            for c in clients:
                assert await c.recv() == "to all"
                assert await c.recv() == b"\x01binary"
            with pytest.raises(TypeError):
                omnisock.broadcast(conns, 42)
            for c in clients:
                await c.close()

    run(go())


def test_subprotocol_negotiation():
    async def handler(ws):
        await ws.send(ws.subprotocol or "none")

    async def go():
        async with omnisock.serve(handler, "localhost", 0, subprotocols=["chat.v2", "chat.v1"]) as server:
            url = f"ws://localhost:{port_of(server)}/"
            async with omnisock.connect(url, subprotocols=["chat.v1"]) as ws:
                assert ws.subprotocol == "chat.v1"
                assert await ws.recv() == "chat.v1"
            async with websockets.connect(url, subprotocols=["other"]) as ws:
                assert ws.subprotocol is None
                assert await ws.recv() == "none"

    run(go())


def test_origins_are_checked():
    async def go():
        async with omnisock.serve(echo, "localhost", 0, origins=["https://good.example"]) as server:
            url = f"ws://localhost:{port_of(server)}/"
            with pytest.raises(omnisock.InvalidStatus) as ei:
                await omnisock.connect(url, origin="https://evil.example")
            assert ei.value.response.status_code == 403
            async with omnisock.connect(url, origin="https://good.example") as ws:
                await ws.send("ok")
                assert await ws.recv() == "ok"

    run(go())


def test_concurrent_recv_is_a_concurrency_error():
    async def go():
        async with omnisock.serve(echo, "localhost", 0) as server:
            async with omnisock.connect(f"ws://localhost:{port_of(server)}/") as ws:
                t = asyncio.create_task(ws.recv())
                await asyncio.sleep(0.05)
                with pytest.raises(omnisock.ConcurrencyError):
                    await ws.recv()
                await ws.send("x")
                assert await t == "x"

    run(go())


def test_max_queue_back_pressure_keeps_every_message():
    n = 500

    async def producer(ws):
        for i in range(n):
            await ws.send(str(i))
        await ws.wait_closed()

    async def go():
        async with omnisock.serve(producer, "localhost", 0) as server:
            async with omnisock.connect(f"ws://localhost:{port_of(server)}/", max_queue=4) as ws:
                await asyncio.sleep(0.3)  # let the queue fill: reading pauses, nothing is lost
                got = [await ws.recv() for _ in range(n)]
                assert got == [str(i) for i in range(n)]

    run(go())


def test_reconnecting_async_for():
    count = {"n": 0}

    async def handler(ws):
        count["n"] += 1
        await ws.send(f"connection {count['n']}")
        if count["n"] < 3:
            await ws.close(4000, "restart")
        else:
            await ws.wait_closed()

    async def go():
        async with omnisock.serve(handler, "localhost", 0) as server:
            seen = []
            async for ws in omnisock.connect(f"ws://localhost:{port_of(server)}/", reconnect_delay=0.05):
                try:
                    seen.append(await ws.recv())
                    if len(seen) >= 3:
                        await ws.close()
                        break
                    await ws.recv()  # the server closes: ConnectionClosed, then a new connection
                except omnisock.ConnectionClosed:
                    continue
            assert seen == ["connection 1", "connection 2", "connection 3"]

    run(go())


def test_fallback_urls_reach_another_node_when_the_first_refuses():
    async def go():
        async with omnisock.serve(echo, "127.0.0.1", 0) as server:
            live = f"ws://127.0.0.1:{port_of(server)}/"
            # Port 1 refuses: the reconnecting form moves on to the fallback URL.
            async for ws in omnisock.connect("ws://127.0.0.1:1/", fallback_urls=[live], reconnect_delay=0.01):
                await ws.send("via fallback")
                assert await ws.recv() == "via fallback"
                await ws.close()
                break

    run(asyncio.wait_for(go(), 30))


def test_wss_with_a_test_ca(tls):
    async def go():
        async with omnisock.serve(echo, "localhost", 0, ssl=omnisock.server_ssl_context(tls["cert"], tls["key"])) as server:
            url = f"wss://localhost:{port_of(server)}/"
            ctx = ssl.create_default_context(cafile=tls["ca"])
            async with omnisock.connect(url, ssl=ctx) as ws:
                await ws.send("secure")
                assert await ws.recv() == "secure"
            with pytest.raises(ssl.SSLError):
                await omnisock.connect(url)  # the test CA is not trusted by default

    run(go())


def test_uvloop_echo_and_broadcast():
    uvloop = pytest.importorskip("uvloop")  # installed by run.sh: never skipped there

    async def go():
        assert "uvloop" in type(asyncio.get_running_loop()).__module__
        async with omnisock.serve(echo, "localhost", 0) as server:
            async with omnisock.connect(f"ws://localhost:{port_of(server)}/") as ws:
                for i in range(200):
                    await ws.send(f"m{i}")
                got = [await ws.recv() for _ in range(200)]
                assert got == [f"m{i}" for i in range(200)]

    uvloop.run(asyncio.wait_for(go(), 30))


def test_server_close_closes_connections_with_1001():
    async def go():
        server = await omnisock.serve(echo, "localhost", 0)
        ws = await omnisock.connect(f"ws://localhost:{port_of(server)}/")
        server.close()
        await server.wait_closed()
        with pytest.raises(omnisock.ConnectionClosed) as ei:
            await ws.recv()
        assert ei.value.rcvd.code == 1001

    run(go())


def test_many_messages_in_order_both_ways():
    async def go():
        async with omnisock.serve(echo, "localhost", 0) as server:
            async with omnisock.connect(f"ws://localhost:{port_of(server)}/") as ws:
                n = 5000

                async def sender():
                    for i in range(n):
                        await ws.send(i.to_bytes(4, "big"))

                t = asyncio.create_task(sender())
                for i in range(n):
                    assert await ws.recv() == i.to_bytes(4, "big")
                await t

    run(go())


def test_all_exceptions_are_websocket_exceptions():
    assert issubclass(omnisock.ConnectionClosedOK, WebSocketException)
    assert issubclass(omnisock.InvalidStatus, omnisock.InvalidHandshake)
