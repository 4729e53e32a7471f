"""The native hub API: routes, ids and addressing (seed 001), group relay with except
(seed 002), zero-code routes, status, queue policies, sync and async event forms."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request

import pytest
import websockets as W

import omnisock
from omnisock.hub import Close, Message, Open, Route
from conftest import run


def test_routes_echo_broadcast_relay_without_python_code():
    async def go():
        async with omnisock.Hub(routes={"/echo": "echo", "/chat": "broadcast", "/relay": "relay"}) as hub:
            async with W.connect(hub.url("/echo")) as e:
                await e.send("back")
                assert await e.recv() == "back"
            a, b = await W.connect(hub.url("/chat")), await W.connect(hub.url("/chat"))
            for _ in range(100):
                if hub.status()["connections"] >= 2 if "connections" in hub.status() else hub.connection_count() >= 2:
                    break
                await asyncio.sleep(0.02)
            await a.send("all")
            assert await a.recv() == "all" and await b.recv() == "all"
            r1, r2 = await W.connect(hub.url("/relay")), await W.connect(hub.url("/relay"))
            await asyncio.sleep(0.1)
            await r1.send("others")
            assert await r2.recv() == "others"
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(r1.recv(), 0.3)  # relay skips the sender
            for c in (a, b, r1, r2):
                await c.close()

    run(go())


def test_host_route_ids_and_addressing_async():
    async def server(hub, stop):
        ids, n = {}, 0
        async for ev in hub.events():
            if isinstance(ev, Open):
                key = f"client{n}"
                n += 1
                ids[key] = ev.conn
                hub.send(ev.conn, "Your ID is: " + key)
            elif isinstance(ev, Message):
                to, _, body = ev.data.partition("/")
                if to in ids:
                    hub.send(ids[to], body)
            if stop.is_set():
                return

    async def go():
        hub = omnisock.Hub(routes={"/ids": "host"})
        stop = asyncio.Event()
        task = asyncio.create_task(server(hub, stop))
        a = await omnisock.connect(hub.url("/ids"))
        assert await a.recv() == "Your ID is: client0"
        b = await omnisock.connect(hub.url("/ids"))
        assert await b.recv() == "Your ID is: client1"
        await a.send("client1/hello")
        assert await b.recv() == "hello"
        await a.close()
        await b.close()
        stop.set()
        await hub.aclose()
        await asyncio.wait_for(task, 10)

    run(go())


def test_group_relay_with_except_and_counts():
    async def go():
        async with omnisock.Hub(routes=[Route("/ws/camera", "host")]) as hub:
            clients = [await W.connect(hub.url("/ws/camera")) for _ in range(3)]
            conns = []
            while len(conns) < 3:
                for ev in await hub.next_batch():
                    if isinstance(ev, Open):
                        conns.append(ev.conn)
                        hub.join(ev.conn, "Camera_group")
            assert hub.group_size("Camera_group") == 3
            await clients[0].send(json.dumps({"x": 1.0, "y": 2.0, "z": 3.0}))
            sender = None
            while sender is None:
                for ev in await hub.next_batch():
                    if isinstance(ev, Message):
                        sender = ev.conn
                        assert hub.publish("Camera_group", ev.data, exclude=ev.conn) == 2
            assert sender == conns[0]
            for c in clients[1:]:
                assert json.loads(await c.recv()) == {"x": 1.0, "y": 2.0, "z": 3.0}
            assert hub.leave(conns[2], "Camera_group") is True
            assert hub.group_size("Camera_group") == 2
            assert hub.publish("Camera_group", b"\x01") == 2
            assert await clients[0].recv() == b"\x01"
            assert hub.send_many(conns, "direct") == 3
            for c in clients:
                r = await c.recv()
                assert r == "direct" or r == b"\x01"
            with pytest.raises(omnisock.exceptions.NotFound):
                hub.send(999999, "nobody")
            with pytest.raises(ValueError):
                hub.join(conns[0], "")
            hub.close(conns[1], 4000, "kick")
            with pytest.raises(W.exceptions.ConnectionClosedError) as ei:
                while True:
                    await clients[1].recv()
            assert ei.value.rcvd.code == 4000
            closes = []
            while not closes:
                closes = [ev for ev in await hub.next_batch() if isinstance(ev, Close)]
            assert closes[0].conn == conns[1] and closes[0].code == 4000
            for c in (clients[0], clients[2]):
                await c.close()

    run(go())


def test_status_and_metrics_over_http_and_api():
    with omnisock.Hub(routes={"/echo": "echo"}) as hub:
        st = hub.status()
        assert isinstance(st, dict)
        with urllib.request.urlopen(f"http://127.0.0.1:{hub.port}/_omnisock/status", timeout=10) as r:
            assert json.loads(r.read()) .keys() == st.keys()
        assert "omnisock" in hub.metrics_text()


def test_overflow_policy_drop_newest_counts_drops():
    async def go():
        async with omnisock.Hub(routes=[Route("/slow", "host", queue_limit=1024, on_overflow="drop_newest")]) as hub:
            ws = await W.connect(hub.url("/slow"), max_queue=1)
            conn = None
            while conn is None:
                for ev in await hub.next_batch():
                    if isinstance(ev, Open):
                        conn = ev.conn
            dropped = 0
            for _ in range(5000):
                try:
                    hub.send(conn, b"x" * 1000)
                except omnisock.QueueFull:
                    dropped += 1
            assert dropped > 0, "a full queue drops with drop_newest and says so"
            await ws.close()

    run(go())


def test_sync_hub_iter_events_in_a_thread():
    hub = omnisock.Hub(routes={"/t": "host"})
    got = []

    def serve():
        for ev in hub.iter_events(timeout=20):
            got.append(type(ev).__name__)
            if isinstance(ev, Message):
                hub.send(ev.conn, ev.data.upper())
            if isinstance(ev, Close):
                return

    t = threading.Thread(target=serve)
    t.start()
    from omnisock.sync.client import connect

    with connect(hub.url("/t")) as ws:
        ws.send("shout")
        assert ws.recv(timeout=10) == "SHOUT"
    t.join(20)
    hub.shutdown()
    assert got[:3] == ["Open", "Message", "Close"]


def test_bad_route_config_is_a_clear_error():
    with pytest.raises(ValueError, match="kind"):
        omnisock.Hub(routes={"/x": "shout"})
    with pytest.raises(ValueError, match="start with"):
        omnisock.Hub(routes={"x": "echo"})
    with pytest.raises(OSError):
        with omnisock.Hub(routes={"/a": "echo"}) as h:
            omnisock.Hub(f"127.0.0.1:{h.port}", routes={"/a": "echo"})


def test_live_route_from_toml_snapshot_and_rate_cap():
    """A live stream configured in TOML: a joining viewer gets the newest value of every key
    first; the host caps a viewer's rate; a bad rate is a clear error."""

    async def go():
        hub = omnisock.Hub.from_toml(
            'listen = "127.0.0.1:0"\n[[route]]\npath = "/cam"\nkind = "host"\n[route.live]\nkey = "/id"\n'
        )
        for seq in range(6):
            hub.broadcast("/cam", json.dumps({"id": f"cam{seq % 3}", "seq": seq}))
        viewer = await W.connect(hub.url("/cam"))
        got = sorted([json.loads(await viewer.recv()) for _ in range(3)], key=lambda v: v["id"])
        assert got == [{"id": "cam0", "seq": 3}, {"id": "cam1", "seq": 4}, {"id": "cam2", "seq": 5}]
        conn = None
        while conn is None:
            for ev in await hub.next_batch():
                if isinstance(ev, Open):
                    conn = ev.conn
        hub.set_max_rate(conn, 5.0)
        with pytest.raises(ValueError, match="max_rate"):
            hub.set_max_rate(conn, -1.0)
        hub.set_max_rate(conn, None)
        assert hub.status()["routes"][0]["live"]["snapshot_sent"] == 3
        await viewer.close()
        await hub.aclose()

    run(go())
