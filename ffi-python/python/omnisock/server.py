"""``serve()``: the asyncio server, as in ``websockets.asyncio.server``.

Each ``serve()`` runs one core hub with a fallback route (path ``"*"``) of kind ``host``; the
hub's events reach the loop through the event pump and become :class:`ServerConnection`
objects, messages in their queues, and closes. The handler runs as one task per connection.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http as _http
import inspect
import ipaddress
import logging
import os
import socket
import ssl as _ssl
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from . import _native, _ssl_files, _vocab
from ._pump import Pump
from .connection import Connection, parse_address
from .datastructures import Headers
from .exceptions import ConnectionClosed, InvalidHandshake, NotFound
from .http11 import Request, Response
from .protocol import State

_ssl_files.install()

__all__ = ["serve", "unix_serve", "Server", "ServerConnection", "broadcast", "basic_auth"]

EV_OPEN, EV_TEXT, EV_BINARY, EV_CLOSE, EV_ERROR = _vocab.EVENT_OPEN, _vocab.EVENT_TEXT, _vocab.EVENT_BINARY, _vocab.EVENT_CLOSE, _vocab.EVENT_ERROR
EV_HANDSHAKE, EV_PONG = _vocab.EVENT_HANDSHAKE, _vocab.EVENT_PONG



def _phrase(status: int) -> str:
    try:
        return _http.HTTPStatus(status).phrase
    except ValueError:
        return ""


class ServerConnection(Connection):
    """A connection accepted by :func:`serve` (same API as websockets' ``ServerConnection``)."""

    def __init__(self, server: "Server", cid: int, path: str, query: str, remote: str, headers, protocol) -> None:
        super().__init__(
            server._loop,
            max_queue=server._max_queue,
            close_timeout=server._close_timeout,
            write_limit=server._write_limit,
            logger=server.logger,
        )
        self.server = server
        self._hub = server._hub
        self._cid = cid
        full = path + ("?" + query if query else "")
        self.request = Request(full, Headers(headers))
        self.subprotocol = protocol
        self.remote_address = parse_address(remote)
        self.local_address = server._local_address
        self.username: Optional[str] = None

    def _native_send(self, data, text):
        return self._hub.send(self._cid, data, text)

    def _native_close(self, code, reason):
        self._hub.close(self._cid, code, reason)

    def _native_ping(self, data):
        self._hub.ping(self._cid, data)

    def _native_queued(self):
        return self._hub.queued_bytes(self._cid)

    def _pause_reading(self):
        try:
            self._hub.pause_reading(self._cid)
        except NotFound:
            pass

    def _resume_reading(self):
        try:
            self._hub.resume_reading(self._cid)
        except NotFound:
            pass

    def respond(self, status: int, text: str) -> Response:
        """A plain-text HTTP response for ``process_request`` to return instead of upgrading:
        any status (a health check's 200, a redirect's 302 with a ``Location`` header added,
        a refusal's 4xx)."""
        body = text.encode()
        headers = Headers([("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
        return Response(int(status), _phrase(int(status)), headers, body)

    def __repr__(self) -> str:
        return f"<ServerConnection {self._cid} {self.remote_address} {self.state.name}>"


class _SocketInfo:
    """What ``server.sockets[i]`` offers: ``getsockname()`` and ``family``."""

    def __init__(self, addr: Union[Tuple[str, int], str]) -> None:
        self._addr = addr
        if isinstance(addr, str):
            self.family = socket.AF_UNIX
        else:
            self.family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        self.type = socket.SOCK_STREAM

    def getsockname(self) -> Union[Tuple[str, int], str]:
        return self._addr

    def fileno(self) -> int:
        return -1

    def __repr__(self) -> str:
        return f"<omnisock listening socket {self._addr}>"


class Server:
    """A running server: ``close()``, ``wait_closed()``, ``serve_forever()``, ``sockets``."""

    def __init__(self, handler: Callable, *, loop: asyncio.AbstractEventLoop, hub: Any, options: Dict[str, Any]) -> None:
        self._loop = loop
        self._hub = hub
        self.handler = handler
        self._legacy = _takes_path(handler)
        self.logger = options["logger"] or logging.getLogger("websockets.server")
        self._max_queue = options["max_queue"]
        self._close_timeout = options["close_timeout"]
        self._write_limit = options["write_limit"]
        self._process_request = options["process_request"]
        self._process_response = options["process_response"]
        self._select_subprotocol = options["select_subprotocol"]
        self._server_header = options.get("server_header")
        self._ping_interval = options.get("ping_interval")
        self._factory = options.get("create_connection") or ServerConnection
        self._offered = options["subprotocols"]
        host, port = hub.local_addr
        self._local_address = (host, port)
        self._sockets: Tuple[_SocketInfo, ...] = (_SocketInfo((host, port)),)
        self._serving = options.get("start_serving", True)
        #: The TLS context (or cert/key pair) this server was started with, ``None`` for plain ws.
        self._ssl_context = options.get("ssl")
        self._conns: Dict[int, ServerConnection] = {}
        self._pending: Dict[int, ServerConnection] = {}
        self.handlers: Set[asyncio.Task] = set()
        self._closing: Optional[asyncio.Task] = None
        self._closed = loop.create_future()
        self._pump = Pump(hub, loop, self._on_events)

    # ---- events ------------------------------------------------------------------------

    def _on_events(self, events: list) -> None:
        conns = self._conns
        for ev in events:
            kind = ev[0]
            if kind == EV_TEXT or kind == EV_BINARY:
                c = conns.get(ev[1])
                if c is not None:
                    c._on_message(ev[2])
            elif kind == EV_OPEN:
                cid = ev[1]
                c = self._pending.pop(cid, None)
                if self._closing is not None:
                    # Accepted by the core just before the server closed: not served.
                    try:
                        self._hub.close(cid, 1001, "server is shutting down")
                    except Exception:
                        pass
                    continue
                if c is None:
                    c = self._factory(self, cid, ev[2], ev[3], ev[4], ev[5], ev[6])
                    c.response = _upgrade_response(c.request, ev[6], None)
                else:
                    c.subprotocol = ev[6]
                c.state = State.OPEN
                conns[cid] = c
                c._start_keepalive(self._ping_interval)
                task = self._loop.create_task(self._run(c))
                self.handlers.add(task)
                task.add_done_callback(self.handlers.discard)
            elif kind == EV_CLOSE:
                c = conns.pop(ev[1], None)
                if c is not None:
                    c._on_close(ev[2], ev[3], ev[4])
            elif kind == EV_ERROR:
                c = conns.get(ev[1])
                if c is not None:
                    c._on_error(ev[2], ev[3])
                self.logger.debug("connection %s: %s", ev[1], ev[3])
            elif kind == EV_PONG:
                c = conns.get(ev[1])
                if c is not None:
                    c._on_pong(ev[2])
            elif kind == EV_HANDSHAKE:
                c = self._factory(self, ev[1], ev[2], ev[3], ev[4], ev[5], ev[6])
                c.state = State.CONNECTING
                self._pending[ev[1]] = c
                task = self._loop.create_task(self._handshake(c, ev[6]))
                self.handlers.add(task)
                task.add_done_callback(self.handlers.discard)

    async def _handshake(self, c: ServerConnection, protocol: Optional[str]) -> None:
        """``process_request``, ``select_subprotocol``, ``process_response``: the host decides
        on the handshake (and answers plain HTTP requests, e.g. health checks)."""
        try:
            response = await self._run_hook("process_request", self._process_request, c, c.request)
            if response is None and self._closing is not None:
                response = c.respond(503, "Server is shutting down.\n")
            if response is None and not _is_upgrade(c.request.headers):
                self._pending.pop(c._cid, None)  # a plain request: the core answers 426
                self._hub.accept(c._cid, None)
                return
            if response is None:
                missing = _missing_handshake_header(c.request.headers)
                if missing is not None:
                    # The hook may have edited the request: it is checked as websockets does.
                    response = c.respond(400, f"Failed to open a WebSocket connection: missing {missing} header.\n")
            if response is None and self._select_subprotocol is not None:
                offered = [p.strip() for h in c.request.headers.get_all("Sec-WebSocket-Protocol") for p in h.split(",") if p.strip()]
                try:
                    protocol = self._select_subprotocol(c, offered)
                except InvalidHandshake as exc:
                    response = c.respond(400, f"Failed to open a WebSocket connection: {exc}.\n")
            if response is None:
                upgrade = _upgrade_response(c.request, protocol, self._server_header)
                response = await self._run_hook("process_response", self._process_response, c, c.request, upgrade)
                if response is None:
                    response = upgrade
            if response.status_code != 101:
                self._pending.pop(c._cid, None)
                self._answer(c._cid, response)
                return
            c.response = response
            extra = [(k, v) for k, v in response.headers.raw_items() if k.lower() not in _CORE_HEADERS]
            self._hub.accept(c._cid, protocol, extra)
        except NotFound:
            self._pending.pop(c._cid, None)  # the core gave up waiting (503)
        except Exception:
            self.logger.error("opening handshake failed", exc_info=True)
            self._pending.pop(c._cid, None)
            try:
                self._answer(c._cid, c.respond(500, "Failed to open a WebSocket connection.\nSee server log for more information.\n"))
            except Exception:
                pass

    async def _run_hook(self, name: str, hook: Optional[Callable], c: ServerConnection, *args: Any) -> Any:
        """Runs ``process_request`` / ``process_response``; a failure answers 500 (logged)."""
        if hook is None:
            return None
        try:
            result = hook(c, *args)
            if inspect.isawaitable(result):
                result = await result
            return result
        except Exception:
            self.logger.error("%s failed", name, exc_info=True)
            return c.respond(500, "Failed to open a WebSocket connection.\nSee server log for more information.\n")

    def _answer(self, cid: int, response: Any) -> None:
        send_response(self._hub, cid, response)

    async def _run(self, c: ServerConnection) -> None:
        try:
            if self._legacy:
                await self.handler(c, c.request.path)
            else:
                await self.handler(c)
        except Exception:
            self.logger.error("connection handler failed", exc_info=True)
            await c.close(1011)
        else:
            await c.close()

    # ---- websockets Server API ------------------------------------------------------------

    @property
    def connections(self) -> Set[ServerConnection]:
        return set(self._conns.values())

    @property
    def sockets(self) -> Tuple[_SocketInfo, ...]:
        """The listening socket's address (``getsockname()``, ``family``); ``()`` once closed."""
        return () if self._closing is not None else self._sockets

    def close(self, close_connections: bool = True, code: int = 1001, reason: str = "") -> None:
        """Stops accepting (handshakes still in progress get 503) and closes every connection
        with ``code`` and ``reason`` (1001 by default); with ``close_connections=False`` the
        open connections are left to end on their own first."""
        if self._closing is None:
            self._serving = False
            if not close_connections:
                # websockets' close(close_connections=False): new handshakes get 503, open
                # connections run until their peers or handlers close them, then the server
                # shuts down.
                self._hub.stop_accepting()
                self._closing = self._loop.create_task(self._close_when_idle())
                return
            # Each connection gets the close code and reason first; the listener stops now,
            # as in websockets, and the task then waits for the closing handshakes.
            for cid in list(self._conns):
                try:
                    self._hub.close(cid, code, reason)
                except Exception:
                    pass
            self._hub.start_shutdown()
            self._closing = self._loop.create_task(self._close())

    async def _close_when_idle(self) -> None:
        """Waits until every connection and handler has ended, then shuts the hub down."""
        while self._conns or self.handlers:
            await asyncio.sleep(0.01)
        self._hub.start_shutdown()
        await self._close()

    async def _close(self) -> None:
        try:
            await self._loop.run_in_executor(None, self._hub.shutdown)
            # Deliver the close events of the connections the shutdown ended.
            for _ in range(100):
                self._pump.drain_now()
                if not self._conns:
                    break
                await asyncio.sleep(0.01)
            for c in list(self._conns.values()):
                c._on_close(1006, "server shut down", False)
            self._conns.clear()
            self._pump.stop()
            if self.handlers:
                await asyncio.wait(list(self.handlers))
        finally:
            if not self._closed.done():
                self._closed.set_result(None)

    async def wait_closed(self) -> None:
        await asyncio.shield(self._closed)

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def is_serving(self) -> bool:
        return self._serving and self._closing is None

    async def start_serving(self) -> None:
        """Marks the server as serving (see ``serve(start_serving=False)``)."""
        if self._closing is None:
            self._serving = True

    async def serve_forever(self) -> None:
        """Runs until :meth:`close` is called (or the task is cancelled, which closes)."""
        await self.start_serving()
        try:
            await self.wait_closed()
        except asyncio.CancelledError:
            self.close()
            await self.wait_closed()
            raise

    async def __aenter__(self) -> "Server":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()
        await self.wait_closed()

    # omnisock extras
    @property
    def hub(self) -> Any:
        """The native hub behind this server (status, metrics, counts)."""
        return self._hub

    def status(self) -> dict:
        import json

        return json.loads(self._hub.status_json())


#: Headers of the 101 response the core writes itself (a host cannot replace them).
_CORE_HEADERS = {"upgrade", "connection", "sec-websocket-accept", "sec-websocket-protocol"}

#: ``server_header`` not given: no ``Server`` header (see the docs' table).
_NO_SERVER_HEADER: Any = object()


def _upgrade_response(request: Request, protocol: Optional[str], server_header: Optional[str]) -> Response:
    """The ``101`` response the core sends for this request (for ``process_response`` and
    ``connection.response``)."""
    key = request.headers.get("Sec-WebSocket-Key", "").strip()
    accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    headers = Headers([("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept)])
    if protocol:
        headers["Sec-WebSocket-Protocol"] = protocol
    if server_header is not None:
        headers["Server"] = server_header
    return Response(101, "Switching Protocols", headers)


def send_response(hub: Any, cid: int, response: Any) -> None:
    """Answers a handshake or plain request with a ``Response`` (or a legacy ``(status,
    headers, body)``) instead of upgrading: the status, headers and body go out as given."""
    status = getattr(response, "status_code", None)
    if status is None:  # legacy: (status, headers, body)
        status, headers, body = response
        reason = ""
    else:
        headers, body, reason = response.headers, response.body, response.reason_phrase or ""
    if isinstance(body, str):
        body = body.encode()
    if headers is None:
        pairs: List[Tuple[str, str]] = []
    elif hasattr(headers, "raw_items"):
        pairs = [(str(k), str(v)) for k, v in headers.raw_items()]
    elif hasattr(headers, "items"):
        pairs = [(str(k), str(v)) for k, v in headers.items()]
    else:
        pairs = [(str(k), str(v)) for k, v in headers]
    hub.respond(cid, int(status), str(reason), pairs, bytes(body or b""))


def _is_upgrade(headers: Headers) -> bool:
    return any("websocket" in v.lower() for v in headers.get_all("Upgrade"))


def _missing_handshake_header(headers: Headers) -> Optional[str]:
    """The first opening-handshake header the request lacks (``Connection``, ``Sec-WebSocket-Key``,
    ``Sec-WebSocket-Version``), or ``None``."""
    if not any("upgrade" in v.lower() for v in headers.get_all("Connection")):
        return "Connection"
    for name in ("Sec-WebSocket-Key", "Sec-WebSocket-Version"):
        if not headers.get_all(name):
            return name
    return None


def _takes_path(handler: Callable) -> bool:
    """Whether the handler is the legacy ``(websocket, path)`` form."""
    try:
        sig = inspect.signature(handler)
    except (TypeError, ValueError):
        return False
    try:
        sig.bind(None, None)
    except TypeError:
        return False
    try:
        sig.bind(None)
        return False  # path is optional: call with one argument
    except TypeError:
        return True


def _listen_address(host: Optional[str], port: Optional[int]) -> str:
    port = int(port or 0)
    if host is None or host == "":
        host = "0.0.0.0"
    elif host == "localhost":
        host = "127.0.0.1"
    if isinstance(host, (list, tuple)):
        host = host[0]
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
        ip = ipaddress.ip_address(infos[0][4][0])
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


def _tls_files(ssl: Any) -> Tuple[Optional[str], Optional[str]]:
    if ssl is None or ssl is False:
        return None, None
    if isinstance(ssl, (tuple, list)) and len(ssl) == 2:
        return str(ssl[0]), str(ssl[1])
    cert = getattr(ssl, "omnisock_certfile", None)
    key = getattr(ssl, "omnisock_keyfile", None)
    if cert and key:
        return str(cert), str(key)
    chain = _ssl_files.cert_chain(ssl) if isinstance(ssl, _ssl.SSLContext) else None
    if chain is not None:
        return chain
    raise TypeError(
        "ssl= must be an ssl.SSLContext whose certificate chain was loaded from files with "
        "load_cert_chain() (after importing omnisock, without a password), (certfile, keyfile), "
        "or omnisock.server_ssl_context(certfile, keyfile): the Rust core loads the PEM files itself"
    )


def server_ssl_context(certfile: str, keyfile: Optional[str] = None) -> _ssl.SSLContext:
    """An ``ssl.SSLContext`` for ``serve(..., ssl=...)`` that remembers its PEM files."""
    ctx = _ssl.SSLContext(_ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    ctx.omnisock_certfile = certfile  # type: ignore[attr-defined]
    ctx.omnisock_keyfile = keyfile or certfile  # type: ignore[attr-defined]
    return ctx


class serve:
    """Starts a WebSocket server: ``async with serve(handler, host, port) as server``, or
    ``server = await serve(...)``, or (legacy) ``loop.run_until_complete(serve(...))``.

    ``handler(websocket)`` — or the legacy ``handler(websocket, path)`` — runs once per
    connection; the connection is closed when it returns (1011 if it raised).
    """

    def __init__(
        self,
        handler: Callable[..., Awaitable[Any]],
        host: Optional[str] = None,
        port: Optional[int] = None,
        *,
        origins: Optional[Sequence[Optional[str]]] = None,
        extensions: Any = None,
        subprotocols: Optional[Sequence[str]] = None,
        select_subprotocol: Optional[Callable] = None,
        compression: Optional[str] = "deflate",
        process_request: Optional[Callable] = None,
        process_response: Optional[Callable] = None,
        server_header: Any = _NO_SERVER_HEADER,
        open_timeout: Optional[float] = 10,
        ping_interval: Optional[float] = 20,
        ping_timeout: Optional[float] = 20,
        close_timeout: Optional[float] = 10,
        max_size: Optional[int] = 2**20,
        max_queue: Union[int, Tuple[int, Optional[int]], None] = 16,
        write_limit: Union[int, Tuple[int, Optional[int]]] = 2**15,
        logger: Optional[logging.Logger] = None,
        ssl: Any = None,
        create_connection: Any = None,
        max_connections: int = 100_000,
        queue_limit: Optional[int] = None,
        start_serving: bool = True,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("sock") is not None:
            if host is not None or port is not None:
                raise ValueError("host/port and sock can not be specified at the same time")
            raise NotImplementedError("omnisock serve() listens on host:port only (no sock=)")
        self._unix_path: Optional[str] = None
        if kwargs.get("unix"):
            if kwargs.get("path") is None:
                raise ValueError("path was not specified, and no sock specified")
            self._unix_path = os.fsdecode(os.fspath(kwargs["path"]))
        _check_common(subprotocols, compression)
        self._compression = compression
        self._handler = handler
        self._host = host
        self._port = port
        if origins is not None:
            origins = [o for o in origins if o is not None]
        self._origins = list(origins or [])
        self._options: Dict[str, Any] = dict(
            logger=logger,
            max_queue=max_queue,
            close_timeout=close_timeout,
            write_limit=write_limit,
            process_request=process_request,
            process_response=process_response,
            select_subprotocol=select_subprotocol,
            server_header=None if server_header is _NO_SERVER_HEADER else server_header,
            create_connection=create_connection,
            ping_interval=ping_interval,
            subprotocols=list(subprotocols or []),
            ssl=ssl,
            start_serving=bool(start_serving),
        )
        self._max_size = max_size
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._ssl = ssl
        self._max_connections = max_connections
        wl = write_limit[0] if isinstance(write_limit, tuple) else write_limit
        self._queue_limit = int(queue_limit or max(1 << 20, 4 * int(wl)))
        self._server: Optional[Server] = None

    def _start(self) -> Server:
        loop = asyncio.get_running_loop()
        cert, key = _tls_files(self._ssl)
        o = self._options
        host_accepts = (
            o["process_request"] is not None
            or o["process_response"] is not None
            or o["select_subprotocol"] is not None
            or o["server_header"] is not None
        )
        route = ("*", "host", self._queue_limit, "drop_newest", self._options["subprotocols"], host_accepts)
        ping_timeout = self._ping_timeout if self._ping_timeout else 1e9
        hub_options: Dict[str, Any] = {}
        if self._unix_path is not None:
            # A Unix socket only; the core's hub learns it through its `unix` option.
            listen = ""
            hub_options["unix"] = self._unix_path
        else:
            listen = _listen_address(self._host, self._port)
        hub = self._native_hub(listen, route, cert, key, ping_timeout, hub_options)
        self._server = Server(self._handler, loop=loop, hub=hub, options=self._options)
        if self._unix_path is not None:
            self._server._sockets = (_SocketInfo(self._unix_path),)
        return self._server

    def _native_hub(self, listen: str, route: tuple, cert: Optional[str], key: Optional[str], ping_timeout: float, extra: Dict[str, Any]) -> Any:
        return _native.Hub(
            listen,
            [route],
            max_connections=self._max_connections,
            max_size=self._max_size,
            origins=self._origins,
            tls_cert=cert,
            tls_key=key,
            ping_interval=self._ping_interval if self._ping_interval else None,
            pong_timeout=float(ping_timeout),
            shutdown_timeout=float(self._options["close_timeout"] or 10),
            compression=self._compression,
            **extra,
        )

    async def _await_impl(self) -> Server:
        return self._start()

    def __await__(self):
        return self._await_impl().__await__()

    __iter__ = __await__

    async def __aenter__(self) -> Server:
        return await self

    async def __aexit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def _check_common(subprotocols: Any, compression: Any) -> None:
    """The argument checks websockets makes before starting (same errors, same messages)."""
    if subprotocols is not None and not isinstance(subprotocols, (list, tuple)):
        raise TypeError(f"subprotocols must be a list, not a {type(subprotocols).__name__}")
    if compression not in ("deflate", None):
        raise ValueError(f"unsupported compression: {compression}")


def unix_serve(handler: Any = None, path: Optional[str] = None, **kwargs: Any) -> serve:
    """Serves on the Unix socket at ``path`` (the nginx deployment), same options as :func:`serve`."""
    if path is None and kwargs.get("sock") is None:
        raise ValueError("path was not specified, and no sock specified")
    if path is not None and kwargs.get("sock") is not None:
        raise ValueError("path and sock can not be specified at the same time")
    return serve(handler, unix=True, path=path, **kwargs)


def basic_auth(realm: str = "", credentials: Any = None, check_credentials: Optional[Callable] = None) -> Callable:
    """A ``process_request`` that checks HTTP Basic credentials (as websockets' ``basic_auth``)."""
    import base64
    import hmac

    if (credentials is None) == (check_credentials is None):
        raise ValueError("provide either credentials or check_credentials")
    if credentials is not None:
        if _is_credentials(credentials):
            credentials = [credentials]
        elif not (isinstance(credentials, Iterable) and all(_is_credentials(c) for c in credentials)):
            raise TypeError(f"invalid credentials argument: {credentials}")
        table = dict(credentials)

        def check_credentials(username: str, password: str) -> bool:  # noqa: F811
            expected = table.get(username)
            return expected is not None and hmac.compare_digest(expected, password)


    async def process_request(connection: ServerConnection, request: Request) -> Optional[Response]:
        auth = request.headers.get("Authorization")
        if auth is None or not auth.startswith("Basic "):
            r = connection.respond(401, "Missing credentials\n")
            r.headers["WWW-Authenticate"] = f'Basic realm="{realm}", charset="UTF-8"'
            return r
        try:
            username, password = base64.b64decode(auth[6:]).decode().split(":", 1)
        except Exception:
            return connection.respond(400, "Unsupported credentials\n")
        ok = check_credentials(username, password)
        if inspect.isawaitable(ok):
            ok = await ok
        if not ok:
            return connection.respond(401, "Invalid credentials\n")
        connection.username = username
        return None

    return process_request


def _is_credentials(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(x, str) for x in value)


def broadcast(connections: Iterable[Connection], message: Union[str, bytes], raise_exceptions: bool = False) -> None:
    """Sends ``message`` to every open connection. Server connections of one hub are sent in
    one call: the core queues the same bytes to each (encoded once, shared). Connections whose
    send queue is full skip the message, as in websockets."""
    if isinstance(message, str):
        data: Union[str, bytes] = message
    elif isinstance(message, (bytes, bytearray, memoryview)):
        data = bytes(message)
    else:
        raise TypeError("data must be str or bytes")
    groups: Dict[Any, List[int]] = {}
    errors: List[Exception] = []
    for c in connections:
        if c.state is not State.OPEN:
            continue
        hub = getattr(c, "_hub", None)
        if hub is not None:
            ids = groups.get(hub)
            if ids is None:
                groups[hub] = ids = []
            ids.append(c._cid)  # type: ignore[attr-defined]
        else:
            try:
                c._native_send(data, None)
            except Exception as exc:
                if raise_exceptions:
                    errors.append(exc)
                else:
                    c.logger.warning("skipped broadcast: %s", exc)
    for hub, ids in groups.items():
        hub.send_many(ids, data)
    if errors:
        import builtins

        group = getattr(builtins, "ExceptionGroup", None)
        if group is not None:
            raise group("skipped broadcast", errors)
        raise errors[0]
