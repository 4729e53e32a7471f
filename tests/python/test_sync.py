"""omnisock.sync: the threaded client and server (as websockets.sync)."""

from __future__ import annotations

import threading

import pytest
from websockets.sync.server import serve as w_sync_serve

import omnisock
from omnisock.sync.client import connect
from omnisock.sync.server import serve


def test_sync_server_and_client_echo():
    def handler(ws):
        for m in ws:
            ws.send(m)

    with serve(handler, "127.0.0.1", 0) as server:
        port = server.socket.getsockname()[1]
        with connect(f"ws://127.0.0.1:{port}/") as ws:
            ws.send("sync")
            assert ws.recv(timeout=10) == "sync"
            ws.send(b"\x00")
            assert ws.recv(timeout=10) == b"\x00"
            assert ws.ping(b"p").wait(10)
            with pytest.raises(TimeoutError):
                ws.recv(timeout=0.2)
        assert ws.close_code == 1000
        with pytest.raises(omnisock.ConnectionClosed):
            ws.send("after")


def test_sync_client_against_websockets_sync_server():
    def handler(ws):
        for m in ws:
            ws.send(m[::-1])

    with w_sync_serve(handler, "127.0.0.1", 0) as server:
        t = threading.Thread(target=server.serve_forever, daemon=True)
        t.start()
        port = server.socket.getsockname()[1]
        with connect(f"ws://127.0.0.1:{port}/") as ws:
            ws.send("abc")
            assert ws.recv(timeout=10) == "cba"
        server.shutdown()
        t.join(10)


def test_sync_legacy_handler_and_error_close():
    def handler(ws, path):
        ws.send(path)
        raise RuntimeError("sync handler failed")

    with serve(handler, "127.0.0.1", 0) as server:
        port = server.socket.getsockname()[1]
        with connect(f"ws://127.0.0.1:{port}/p") as ws:
            assert ws.recv(timeout=10) == "/p"
            with pytest.raises(omnisock.ConnectionClosedError) as ei:
                ws.recv(timeout=10)
            assert ei.value.rcvd.code == 1011


def test_sync_invalid_uri_and_refused():
    with pytest.raises(omnisock.InvalidURI):
        connect("http://nope/")
    from conftest import free_port

    with pytest.raises(OSError):
        connect(f"ws://127.0.0.1:{free_port()}/", open_timeout=5)
