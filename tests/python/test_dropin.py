"""The `websockets` behaviours a program relies on beyond the basics: plain HTTP requests
reaching `process_request` (health checks, redirects), `process_response` and the `Server`
header, server shutdown details, TLS from `ssl.SSLContext` objects, the reconnect loop's
`process_exception`, credentials in the URI, an explicit host/port, User-Agent, keepalive
latency, logger names and the argument checks. Every check here is written for omnisock."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import http
import logging
import ssl
import subprocess

import pytest

import omnisock
from omnisock.asyncio.client import connect, unix_connect
from omnisock.asyncio.server import basic_auth, serve, unix_serve
from omnisock.exceptions import InvalidHandshake, InvalidProxy, InvalidStatus, NegotiationError

from conftest import run


def port_of(server) -> int:
    return server.sockets[0].getsockname()[1]


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def raw_get(port: int, target: str, method: str = "GET") -> bytes:
    """One plain HTTP/1.1 request; the whole answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{method} {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return data


def test_plain_requests_reach_process_request():
    seen = []

    def health(connection, request):
        seen.append(request.path)
        if request.path == "/healthz":
            response = connection.respond(http.HTTPStatus.OK, "OK\n")
            response.headers["X-Health"] = "green"
            return response
        if request.path == "/old":
            response = connection.respond(http.HTTPStatus.FOUND, "")
            response.headers["Location"] = "/new"
            return response
        if request.path == "/teapot":
            return connection.respond(418, "short and stout")
        return None  # continue: a WebSocket handshake, or 426 for a plain request

    async def go():
        async with serve(echo, "localhost", 0, process_request=health) as server:
            port = port_of(server)
            ok = await raw_get(port, "/healthz")
            assert ok.startswith(b"HTTP/1.1 200 OK\r\n"), ok
            assert b"\r\nX-Health: green\r\n" in ok and ok.endswith(b"\r\n\r\nOK\n")
            moved = await raw_get(port, "/old")
            assert moved.startswith(b"HTTP/1.1 302 Found\r\n") and b"\r\nLocation: /new\r\n" in moved
            teapot = await raw_get(port, "/teapot")
            assert teapot.startswith(b"HTTP/1.1 418 I'm a Teapot\r\n") and teapot.endswith(b"short and stout")
            head = await raw_get(port, "/healthz", "HEAD")
            assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n"), "HEAD has no body"
            plain = await raw_get(port, "/chat")
            assert plain.startswith(b"HTTP/1.1 426 "), plain
            # A WebSocket client still connects where process_request returns None.
            async with connect(f"ws://localhost:{port}/chat") as ws:
                await ws.send("hi")
                assert await ws.recv() == "hi"
            # A 200 answered to a WebSocket client is a refusal it can read.
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"ws://localhost:{port}/healthz"):
                    pass
            assert refused.value.response.status_code == 200
        assert seen[:5] == ["/healthz", "/old", "/teapot", "/healthz", "/chat"]

    run(go())


def test_process_request_failure_is_500_and_logged_as_websockets(caplog):
    def broken(connection, request):
        raise RuntimeError("no database")

    async def go():
        async with serve(echo, "localhost", 0, process_request=broken) as server:
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"ws://localhost:{port_of(server)}/"):
                    pass
            assert str(refused.value) == "server rejected WebSocket connection: HTTP 500"

    with caplog.at_level(logging.ERROR, logger="websockets"):
        run(go())
    failed = [r for r in caplog.records if r.getMessage() == "process_request failed"]
    assert failed and failed[0].name == "websockets.server" and "no database" in str(failed[0].exc_info[1])


def test_process_response_and_server_header():
    def add_header(connection, request, response):
        response.headers["X-Added"] = "yes"

    def replace(connection, request, response):
        headers = response.headers.copy()
        headers["X-Replaced"] = "yes"
        return dataclasses.replace(response, headers=headers)

    def refuse(connection, request, response):
        raise RuntimeError("no")

    async def go():
        async with serve(echo, "localhost", 0, process_response=add_header, server_header="Test/1") as server:
            async with connect(f"ws://localhost:{port_of(server)}/") as ws:
                assert ws.response.headers["X-Added"] == "yes"
                assert ws.response.headers["Server"] == "Test/1"
        async with serve(echo, "localhost", 0, process_response=replace) as server:
            async with connect(f"ws://localhost:{port_of(server)}/") as ws:
                assert ws.response.headers["X-Replaced"] == "yes"
                assert "Server" not in ws.response.headers
        async with serve(echo, "localhost", 0, process_response=refuse) as server:
            with pytest.raises(InvalidStatus):
                async with connect(f"ws://localhost:{port_of(server)}/"):
                    pass

    run(go())


def test_select_subprotocol_negotiation_error_is_400():
    def select(connection, offered):
        raise NegotiationError("nothing in common")

    async def go():
        async with serve(echo, "localhost", 0, select_subprotocol=select) as server:
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"ws://localhost:{port_of(server)}/", subprotocols=["x"]):
                    pass
            assert refused.value.response.status_code == 400

    run(go())


def test_server_close_with_code_and_reason_start_serving_and_sockets():
    async def go():
        server = await serve(echo, "localhost", 0, start_serving=False)
        assert not server.is_serving()
        await server.start_serving()
        assert server.is_serving()
        async with connect(f"ws://localhost:{port_of(server)}/") as ws:
            server.close(code=1012, reason="restarting")
            with pytest.raises(omnisock.ConnectionClosedError) as closed:
                await ws.recv()
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1012, "restarting")
        await server.wait_closed()
        assert server.sockets == ()
        assert not server.is_serving()

        async with serve(echo, "localhost", 0) as server:
            async with connect(f"ws://localhost:{port_of(server)}/") as ws:
                server.close()
                with pytest.raises(omnisock.ConnectionClosedOK) as closed:
                    await ws.recv()
                assert str(closed.value) == "received 1001 (going away); then sent 1001 (going away)"

    run(go())


def test_handshake_in_progress_gets_503_while_closing():
    entered = asyncio.Event

    async def go():
        started = entered()

        async def slow(connection, request):
            started.set()
            while connection.server.is_serving():
                await asyncio.sleep(0.01)

        async with serve(echo, "localhost", 0, process_request=slow) as server:
            async def closer():
                await started.wait()
                server.close()

            task = asyncio.ensure_future(closer())
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"ws://localhost:{port_of(server)}/"):
                    pass
            await task
            assert str(refused.value) == "server rejected WebSocket connection: HTTP 503"

    run(go())


def self_signed(tmp_path) -> str:
    """A self-signed localhost certificate (not a CA) with its key, in one PEM file."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem",
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-addext", "basicConstraints=critical,CA:FALSE"],
        cwd=tmp_path, check=True, capture_output=True, timeout=60,
    )
    both = tmp_path / "both.pem"
    both.write_bytes((tmp_path / "key.pem").read_bytes() + (tmp_path / "cert.pem").read_bytes())
    return str(both)


def test_ssl_contexts_as_in_websockets(tmp_path):
    pem = self_signed(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(pem)
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(pem)  # the self-signed certificate is the trust anchor

    async def go():
        async with serve(echo, "localhost", 0, ssl=server_ctx) as server:
            uri = f"wss://localhost:{port_of(server)}/"
            async with connect(uri, ssl=client_ctx) as ws:
                await ws.send("secret")
                assert await ws.recv() == "secret"
            with pytest.raises(ssl.SSLCertVerificationError):
                async with connect(uri):  # default trust: webpki roots only
                    pass
        with pytest.raises(ValueError, match="ssl=None is incompatible with a wss:// URI"):
            connect(uri, ssl=None)
        in_memory = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with pytest.raises(TypeError, match="load_cert_chain"):
            await serve(echo, "localhost", 0, ssl=in_memory)

    run(go())


def test_reconnect_loop_honours_process_exception():
    attempts = []

    def refuse(connection, request):
        attempts.append(request.path)
        if len(attempts) == 1:
            return connection.respond(503, "busy")
        return connection.respond(418, "teapot")

    def quick():
        while True:
            yield 0.01

    def fatal_teapot(exc):
        if isinstance(exc, InvalidStatus) and exc.response.status_code == 418:
            return RuntimeError("gave up on a teapot")
        return None

    async def go():
        async with serve(echo, "localhost", 0, process_request=refuse) as server:
            uri = f"ws://localhost:{port_of(server)}/"
            with pytest.raises(RuntimeError, match="gave up on a teapot"):
                async for _ in connect(uri, process_exception=fatal_teapot, reconnect_delays=quick):
                    pytest.fail("no connection opens")
            assert len(attempts) == 2
            # The default rule: a 4xx other than a 5xx refusal is fatal at once.
            attempts.clear()
            attempts.append("skip the 503")
            with pytest.raises(InvalidStatus):
                async for _ in connect(uri, reconnect_delays=quick):
                    pytest.fail("no connection opens")
            assert len(attempts) == 2

    run(go())


def test_credentials_in_uri_host_port_and_user_agent():
    async def go():
        async with serve(echo, "localhost", 0, process_request=basic_auth(credentials=("ann", "s3cret"))) as server:
            port = port_of(server)
            async with connect(f"ws://ann:s3cret@localhost:{port}/") as ws:
                expected = "Basic " + base64.b64encode(b"ann:s3cret").decode()
                assert ws.request.headers["Authorization"] == expected
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"ws://ann:wrong@localhost:{port}/"):
                    pass
            assert refused.value.response.status_code == 401
        async with serve(echo, "localhost", 0) as server:
            async with connect("ws://unreachable.invalid/", host="127.0.0.1", port=port_of(server)) as ws:
                await ws.send("via host/port")
                assert await ws.recv() == "via host/port"
            async with connect(f"ws://localhost:{port_of(server)}/", additional_headers={"User-Agent": "Smith"}) as ws:
                assert ws.request.headers.get_all("User-Agent") == ["Smith"]
            async with connect(f"ws://localhost:{port_of(server)}/", user_agent_header=None) as ws:
                assert "User-Agent" not in ws.request.headers

    run(go())


def test_keepalive_measures_latency_on_both_sides():
    server_side = []

    async def keep(ws):
        server_side.append(ws)
        await ws.wait_closed()

    async def go():
        async with serve(keep, "localhost", 0, ping_interval=0.05) as server:
            async with connect(f"ws://localhost:{port_of(server)}/", ping_interval=0.05) as ws:
                assert ws.latency == 0
                for _ in range(400):  # bounded: at most 4 s
                    if ws.latency > 0 and server_side and server_side[0].latency > 0:
                        break
                    await asyncio.sleep(0.01)
                assert ws.latency > 0
                assert server_side[0].latency > 0

    run(go())


def test_argument_checks_match_websockets():
    async def go():
        with pytest.raises(TypeError, match="subprotocols must be a list, not a str"):
            connect("ws://localhost/", subprotocols="chat")
        with pytest.raises(ValueError, match="unsupported compression: False"):
            connect("ws://localhost/", compression=False)
        with pytest.raises(InvalidProxy, match="scheme other isn't supported"):
            connect("ws://localhost/", proxy="other://localhost:1080")
        with pytest.raises(ValueError, match="proxy_ssl argument is incompatible with an http:// proxy"):
            connect("ws://localhost/", proxy="http://localhost:8080", proxy_ssl=True)
        with pytest.raises(TypeError, match="subprotocols must be a list, not a str"):
            serve(echo, "localhost", 0, subprotocols="chat")
        with pytest.raises(ValueError, match="provide either credentials or check_credentials"):
            basic_auth()
        with pytest.raises(TypeError, match=r"invalid credentials argument: \[42\]"):
            basic_auth(credentials=[42])
        async with serve(echo, "localhost", 0) as server:
            connecter = connect(f"ws://localhost:{port_of(server)}/")
            async with connecter:
                with pytest.raises(RuntimeError, match="connect\\(\\) isn't reentrant"):
                    async with connecter:
                        pass

    run(go())


def test_timeout_and_custom_connection_classes():
    made = []

    def make_server_conn(*args, **kwargs):
        c = omnisock.ServerConnection(*args, **kwargs)
        made.append("server")
        return c

    def make_client_conn(*args, **kwargs):
        c = omnisock.ClientConnection(*args, **kwargs)
        made.append("client")
        return c

    async def go():
        silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = silent.sockets[0].getsockname()[1]
        with pytest.raises(TimeoutError, match="timed out during opening handshake"):
            async with connect(f"ws://127.0.0.1:{port}/", open_timeout=0.2):
                pass
        silent.close()
        async with serve(echo, "localhost", 0, create_connection=make_server_conn) as server:
            async with connect(f"ws://localhost:{port_of(server)}/", create_connection=make_client_conn) as ws:
                await ws.send("x")
                assert await ws.recv() == "x"
        assert sorted(made) == ["client", "server"]

    run(go())


def test_handshake_errors_are_invalid_handshake_subclasses():
    assert issubclass(NegotiationError, InvalidHandshake)
    assert issubclass(omnisock.exceptions.InvalidProxyStatus, omnisock.exceptions.ProxyError)


def test_websockets_transport_arguments_map_onto_the_core_options():
    """proxy=True, the redirect limit and compression="deflate" (websockets' defaults) reach
    the core as its options; an explicit proxy URL or Unix socket path is passed on as given."""
    import json

    from omnisock._config import client_config

    cfg = json.loads(client_config("ws://localhost/", headers=[], proxy=True, max_redirects=10, compression="deflate"))
    for key, value in [("proxy_from_env", True), ("max_redirects", 10), ("compression", True)]:
        assert cfg.get(key) == value, key
    none = json.loads(client_config("ws://localhost/", headers=[], proxy=None, compression=None))
    assert "proxy_from_env" not in none and "proxy" not in none and not none.get("compression")
    for key, value in [("proxy", "http://127.0.0.1:3128"), ("unix_socket", "/tmp/omnisock-test.sock")]:
        assert json.loads(client_config("ws://localhost/", headers=[], **{key: value}))[key] == value
    with pytest.raises(TypeError, match="proxy must be"):
        client_config("ws://localhost/", headers=[], proxy=42)


def test_legacy_basic_auth_factory_and_legacy_handler():
    from omnisock.legacy.auth import basic_auth_protocol_factory
    from omnisock.legacy.client import connect as legacy_connect
    from omnisock.legacy.server import serve as legacy_serve

    async def greet(websocket, path):
        await websocket.send(f"Hello {websocket.username} at {path}!")

    async def go():
        factory = basic_auth_protocol_factory(realm="test", credentials=("mary", "p@ss:word"))
        async with legacy_serve(greet, "localhost", 0, create_protocol=factory) as server:
            port = port_of(server)
            async with legacy_connect(f"ws://mary:p@ss:word@localhost:{port}/room") as ws:
                assert await ws.recv() == "Hello mary at /room!"
            with pytest.raises(InvalidStatus) as refused:
                async with legacy_connect(f"ws://localhost:{port}/room"):
                    pass
            assert refused.value.response.status_code == 401
        with pytest.raises(TypeError, match="invalid credentials argument: 42"):
            basic_auth_protocol_factory(credentials=42)

    run(go())


def test_native_hub_answers_plain_requests_and_adds_handshake_headers():
    from omnisock.hub import Handshake

    async def go():
        hub = omnisock.Hub("127.0.0.1:0", routes=[omnisock.Route("*", "host", host_accepts=True)])
        try:
            getting = asyncio.ensure_future(raw_get(hub.port, "/ready"))
            events = [e for e in await hub.next_batch() if isinstance(e, Handshake)]
            assert events and events[0].path == "/ready"
            assert not any(k.lower() == "upgrade" for k, _ in events[0].headers)
            hub.respond(events[0].conn, 503, [("Retry-After", "5")], b"warming up\n", reason="Not Yet")
            answer = await getting
            assert answer.startswith(b"HTTP/1.1 503 Not Yet\r\n") and b"\r\nRetry-After: 5\r\n" in answer
            assert answer.endswith(b"\r\n\r\nwarming up\n")

            connecting = asyncio.ensure_future(connect(hub.url("/ws")).__aenter__())
            events = [e for e in await hub.next_batch() if isinstance(e, Handshake)]
            hub.accept(events[0].conn, None, [("X-Node", "a")])
            ws = await connecting
            assert ws.response.headers["X-Node"] == "a"
            await ws.close()
        finally:
            await hub.aclose()

    run(go())


def test_close_without_closing_connections_waits_for_them():
    async def go():
        server = await serve(echo, "localhost", 0)
        port = port_of(server)
        async with connect(f"ws://localhost:{port}/") as ws:
            server.close(close_connections=False)
            closed = asyncio.ensure_future(server.wait_closed())
            assert not server.is_serving()
            # The open connection keeps working; the listening socket is closed.
            await ws.send("still here")
            assert await ws.recv() == "still here"
            with pytest.raises(OSError):
                async with connect(f"ws://localhost:{port}/", open_timeout=5):
                    pass
            await ws.send("and here")
            assert await ws.recv() == "and here"
            assert not closed.done()
        # The client closed: the server finishes its shutdown.
        await asyncio.wait_for(closed, 10)
        assert server.sockets == ()

    run(go())


def redirecting(connection, request):
    """``/hop`` → ``/landed`` (same origin); ``/away`` → another host."""
    targets = {"/hop": "/landed", "/away": "ws://elsewhere.invalid/"}
    if request.path in targets:
        response = connection.respond(http.HTTPStatus.FOUND, "")
        response.headers["Location"] = targets[request.path]
        return response
    return None


def test_redirects_over_an_explicit_host_port_or_unix_socket(tmp_path):
    async def go():
        async with serve(echo, "localhost", 0, process_request=redirecting) as server:
            route = dict(host="127.0.0.1", port=port_of(server))
            async with connect("ws://named.invalid/hop", **route) as ws:
                await ws.send("followed")
                assert await ws.recv() == "followed"
                assert [c.request.path for c in server.connections] == ["/landed"]
            with pytest.raises(ValueError) as refused:
                async with connect("ws://named.invalid/away", **route):
                    pass
            assert str(refused.value) == (
                "cannot follow cross-origin redirect to ws://elsewhere.invalid/ with an explicit host or port"
            )
        path = str(tmp_path / "ws.sock")
        async with unix_serve(echo, path, process_request=redirecting):
            with pytest.raises(ValueError) as refused:
                async with unix_connect(path, uri="ws://localhost/away"):
                    pass
            assert str(refused.value) == "cannot follow cross-origin redirect to ws://elsewhere.invalid/ with a Unix socket"
            async with unix_connect(path, uri="ws://localhost/hop") as ws:
                await ws.send("over the socket")
                assert await ws.recv() == "over the socket"

    run(go())


def test_server_hostname_is_the_name_checked_and_sent(tmp_path):
    pem = self_signed(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(pem)
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(pem)

    async def go():
        async with serve(echo, "localhost", 0, ssl=server_ctx) as server:
            port = port_of(server)
            async with connect(f"wss://127.0.0.1:{port}/", ssl=client_ctx, server_hostname="localhost") as ws:
                await ws.send("named")
                assert await ws.recv() == "named"
            # The certificate names localhost, not the name given: refused although the
            # URL's host would match.
            with pytest.raises(ssl.SSLCertVerificationError) as refused:
                async with connect(f"wss://localhost:{port}/", ssl=client_ctx, server_hostname="elsewhere.test"):
                    pass
            assert "Hostname mismatch" in str(refused.value)
        with pytest.raises(ValueError, match="server_hostname is only meaningful with ssl"):
            connect("ws://localhost:1/", server_hostname="localhost")

    run(go())


def test_cross_origin_redirect_drops_credentials_on_the_wire_and_in_the_record():
    async def go():
        seen = []

        def record(connection, request):
            seen.append(request.headers)

        async with serve(echo, "127.0.0.1", 0, process_request=record) as other:
            other_uri = f"ws://127.0.0.1:{port_of(other)}/landed"

            def bounce(connection, request):
                target = {"/away": other_uri, "/near": "/here"}.get(request.path)
                if target is None:
                    return None
                response = connection.respond(http.HTTPStatus.FOUND, "")
                response.headers["Location"] = target
                return response

            secrets = {"Authorization": "Bearer t0ken", "Cookie": "id=1", "X-Keep": "yes"}
            async with serve(echo, "127.0.0.1", 0, process_request=bounce) as first:
                async with connect(f"ws://127.0.0.1:{port_of(first)}/away", additional_headers=secrets) as ws:
                    await ws.send("moved")
                    assert await ws.recv() == "moved"
                    for headers in (seen[-1], ws.request.headers):
                        assert "Authorization" not in headers and "Cookie" not in headers
                        assert headers["X-Keep"] == "yes"
                    assert ws.request.headers["Host"] == f"127.0.0.1:{port_of(other)}"
                    assert ws.request.path == "/landed"
                async with connect(f"ws://127.0.0.1:{port_of(first)}/near", additional_headers=secrets) as ws:
                    assert ws.request.headers["Authorization"] == "Bearer t0ken"
                    # The server side registers its connection when its open event is dispatched,
                    # which may come after the client's open: a round trip orders them.
                    await ws.send("sync")
                    assert await ws.recv() == "sync"
                    assert [c.request.path for c in first.connections] == ["/here"]

    run(go())


def test_a_request_edited_by_process_request_is_checked_as_a_handshake():
    def drop_key(connection, request):
        del request.headers["Sec-WebSocket-Key"]

    async def go():
        async with serve(echo, "localhost", 0, process_request=drop_key) as server:
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"ws://localhost:{port_of(server)}/"):
                    pass
            assert refused.value.response.status_code == 400
            assert b"missing Sec-WebSocket-Key header" in refused.value.response.body
            assert not server.connections

    run(go())
