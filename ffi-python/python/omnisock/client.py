"""``connect()``: the asyncio client, as in ``websockets.asyncio.client``.

Each ``connect()`` runs one core client (connect, TLS, handshake, keepalive and, for
``async for websocket in connect(...)``, reconnecting with backoff all happen in the core).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import random
import ssl as _ssl
import sys
import traceback
import urllib.parse
from typing import Any, AsyncIterator, Callable, Dict, Generator, List, Optional, Sequence, Tuple, Union

from . import _native, _vocab
from ._pump import Pump
from ._config import FOREVER, client_config
from .connection import Connection, ProtocolView, parse_address
from .datastructures import Headers, HeadersLike
from .exceptions import ConnectionClosedError, InvalidMessage, InvalidProxy, InvalidStatus, InvalidURI, SecurityError, _from_core
from .http11 import Request, Response
from .protocol import State

__all__ = ["connect", "unix_connect", "ClientConnection", "USER_AGENT", "backoff", "process_exception"]

USER_AGENT = f"Python/{sys.version_info[0]}.{sys.version_info[1]} omnisock/{_native.VERSION}"

EV_OPEN, EV_TEXT, EV_BINARY, EV_CLOSE, EV_ERROR = _vocab.EVENT_OPEN, _vocab.EVENT_TEXT, _vocab.EVENT_BINARY, _vocab.EVENT_CLOSE, _vocab.EVENT_ERROR
EV_RECONNECTING, EV_PONG, EV_REJECTED = _vocab.EVENT_RECONNECTING, _vocab.EVENT_PONG, _vocab.EVENT_REJECTED

_log = logging.getLogger("websockets.client")

#: Redirects followed before giving up (websockets' default; ``WEBSOCKETS_MAX_REDIRECTS``).
MAX_REDIRECTS = int(os.environ.get("WEBSOCKETS_MAX_REDIRECTS", "10"))

#: ``ssl`` not given (``ssl=None`` is an error with a wss:// URI, as in websockets).
_UNSET: Any = object()


def backoff(initial_delay: float = 5.0, min_delay: float = 3.1, max_delay: float = 90.0, factor: float = 1.618) -> Generator[float, None, None]:
    """Delays between reconnect attempts of ``async for websocket in connect(...)``: a random
    first delay up to ``initial_delay`` (RFC 6455 §7.2.3), then from ``min_delay`` growing by
    ``factor`` up to ``max_delay``."""
    yield random.random() * initial_delay
    delay = min_delay
    while delay < max_delay:
        yield delay
        delay *= factor
    while True:
        yield max_delay


def process_exception(exc: Exception) -> Optional[Exception]:
    """The default retry rule of the reconnecting ``async for``: network errors, timeouts,
    malformed answers and 5xx refusals are retried (``None``); anything else is fatal
    (returned, then raised)."""
    if isinstance(exc, (EOFError, OSError, asyncio.TimeoutError, InvalidMessage)):
        return None
    if isinstance(exc, InvalidStatus) and exc.response.status_code in (500, 502, 503, 504):
        return None
    return exc


def _check_proxy(proxy: Any, proxy_ssl: Any) -> None:
    """websockets' checks of ``proxy`` and ``proxy_ssl`` (same errors, same messages)."""
    if not isinstance(proxy, str):
        return
    scheme = urllib.parse.urlsplit(proxy).scheme.lower()
    if scheme not in ("http", "https", "socks5", "socks5h", "socks4", "socks4a"):
        raise InvalidProxy(proxy, f"scheme {scheme} isn't supported")
    if scheme == "http" and proxy_ssl is not _UNSET and proxy_ssl is not None:
        raise ValueError("proxy_ssl argument is incompatible with an http:// proxy")
    if scheme == "https" and proxy_ssl is None:
        raise ValueError("proxy_ssl=None is incompatible with an https:// proxy")


class ClientConnection(Connection):
    """A client connection (same API as websockets' ``ClientConnection``)."""

    def __init__(self, session: "_Session", path: str, query: str, remote: str, headers, protocol) -> None:
        o = session.options
        super().__init__(
            session.loop,
            max_queue=o["max_queue"],
            close_timeout=o["close_timeout"],
            write_limit=o["write_limit"],
            logger=o["logger"] or _log,
        )
        self._session = session
        self._native = session.native
        full = path + ("?" + query if query else "")
        self.request = Request(full, Headers([("Host", session.host_header)] + session.request_headers))
        self._uri = _RequestURI(session.uri.lower().startswith("wss:"), path, query)
        self.response = Response(101, "Switching Protocols", Headers(headers))
        self.subprotocol = protocol
        self.remote_address = parse_address(remote)
        self.local_address = None

    @property
    def protocol(self) -> "_ClientProtocolView":
        """The connection's protocol state and the URI of the request that opened it (after
        redirects): ``protocol.state``, ``protocol.uri.path``."""
        return _ClientProtocolView(self)

    def _native_send(self, data, text):
        n = self._native
        n.send(data, text)
        return n.queued_bytes

    def _native_close(self, code, reason):
        self._native.close(code, reason)

    def _spin_reply(self):
        # After a send the answer often comes within microseconds: the core spins for it (GIL
        # released, at most 50 µs; not again soon after a miss) and it is dispatched here,
        # without an event-loop iteration.
        return bool(self._native.spin_for_reply()) and self._session.pump.drain_now() > 0

    def _native_ping(self, data):
        self._native.ping(data)

    def _native_queued(self):
        return self._native.queued_bytes

    def _pause_reading(self):
        # One connection per queue: not taking events lets the core's bounded queue fill, and
        # the core then stops reading the socket (TCP back-pressure).
        self._session.pump.pause()

    def _resume_reading(self):
        self._session.pump.resume()

    def _abort(self):
        self._native.abort()
        self._session.pump.resume()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self._session.pump.resume()  # the close event must get through
        await super().close(code, reason)

    async def wait_closed(self) -> None:
        self._session.pump.resume()
        await super().wait_closed()

    async def _raise_closed(self) -> None:
        self._session.pump.resume()
        await super()._raise_closed()

    def __repr__(self) -> str:
        return f"<ClientConnection {self._session.uri} {self.state.name}>"


class _RequestURI:
    """``protocol.uri`` of a client connection: the opening request's ``path`` and ``query``."""

    def __init__(self, secure: bool, path: str, query: str) -> None:
        self.secure = secure
        self.path = path or "/"
        self.query = query
        self.resource_name = self.path + ("?" + query if query else "")

    def __repr__(self) -> str:
        return f"<URI {self.resource_name}>"


class _ClientProtocolView(ProtocolView):
    @property
    def uri(self) -> _RequestURI:
        return self._conn._uri  # type: ignore[attr-defined]


class _Session:
    """One core client and its event pump; produces a ClientConnection per successful open."""

    def __init__(self, uri: str, options: Dict[str, Any], config: Dict[str, Any], reconnect: bool) -> None:
        self.uri = uri
        self.options = options
        parts = urllib.parse.urlsplit(uri)
        #: The Host header the core sends (the URL's host and explicit port).
        self.host_header = parts.netloc.rpartition("@")[2]
        self.loop = asyncio.get_running_loop()
        self.request_headers: List[Tuple[str, str]] = config["headers"]
        self.reconnect = reconnect
        try:
            self.native = _native.Client(
                client_config(uri, reconnect_attempts=FOREVER if reconnect else 0, reconnect_delay=options["reconnect_delay"], **config)
            )
        except InvalidURI as exc:
            raise InvalidURI(uri, exc.msg) from None
        self.conn: Optional[ClientConnection] = None
        self.opened: asyncio.Future = self.loop.create_future()
        self.error: Optional[Tuple[int, str]] = None
        self.finished = False
        self.pump = Pump(self.native, self.loop, self._on_events)

    def _on_events(self, events: list) -> None:
        for ev in events:
            kind = ev[0]
            if kind == EV_TEXT or kind == EV_BINARY:
                c = self.conn
                if c is not None:
                    c._on_message(ev[2])
            elif kind == EV_OPEN:
                c = self.options["create_connection"](self, ev[2], ev[3], ev[4], ev[5], ev[6])
                self.conn = c
                c._start_keepalive(self.options["ping_interval"])
                self.error = None
                if self.opened.done():
                    self.opened = self.loop.create_future()
                self.opened.set_result(c)
            elif kind == EV_CLOSE:
                self.finished = True
                c = self.conn
                if c is not None:
                    c._on_close(ev[2], ev[3], ev[4])
                if not self.opened.done():
                    self.opened.set_exception(self._open_error(ev[3]))
                self.pump.stop()
            elif kind == EV_ERROR:
                c = self.conn
                if c is not None and c.state is not State.CLOSED:
                    c._on_error(ev[2], ev[3])
                else:
                    self.error = (ev[2], ev[3])
                    if self.reconnect:
                        _log.info("connect to %s failed: %s", self.uri, ev[3])
            elif kind == EV_PONG:
                c = self.conn
                if c is not None:
                    c._on_pong(ev[2])
            elif kind == EV_REJECTED:
                self.refusal = (ev[1], ev[2], ev[3])
            elif kind == EV_RECONNECTING:
                c = self.conn
                if c is not None:
                    c._on_close(1006, ev[3], False)
                    self.conn = None
                if self.opened.done():
                    self.opened = self.loop.create_future()

    def _open_error(self, reason: str) -> BaseException:
        if self.error is not None:
            exc = _from_core(self.error[0], self.error[1], self.uri, getattr(self, "refusal", None))
            if isinstance(exc, TimeoutError):
                timeout = TimeoutError("timed out during opening handshake")
                timeout.__cause__ = exc
                return timeout
            return exc
        return ConnectionClosedError(None, None)

    async def wait_open(self, timeout: Optional[float]) -> ClientConnection:
        try:
            if timeout is None or self.reconnect:
                return await asyncio.shield(self.opened)
            # The core enforces open_timeout; this bound only guards against a lost event.
            return await asyncio.wait_for(asyncio.shield(self.opened), timeout + 5)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        self.native.abort()
        self.pump.stop()


class connect:
    """Connects to a WebSocket server: ``async with connect(uri) as websocket``, or
    ``websocket = await connect(uri)``, or ``async for websocket in connect(uri)`` to reconnect
    after each lost connection."""

    def __init__(
        self,
        uri: str,
        *,
        origin: Optional[str] = None,
        extensions: Any = None,
        subprotocols: Optional[Sequence[str]] = None,
        compression: Optional[str] = "deflate",
        additional_headers: Optional[HeadersLike] = None,
        user_agent_header: Optional[str] = USER_AGENT,
        proxy: Any = True,
        process_exception: Any = None,
        open_timeout: Optional[float] = 10,
        ping_interval: Optional[float] = 20,
        ping_timeout: Optional[float] = 20,
        close_timeout: Optional[float] = 10,
        max_size: Optional[int] = 2**20,
        max_queue: Union[int, Tuple[int, Optional[int]], None] = 16,
        write_limit: Union[int, Tuple[int, Optional[int]]] = 2**15,
        logger: Optional[logging.Logger] = None,
        ssl: Any = _UNSET,
        server_hostname: Optional[str] = None,
        create_connection: Any = None,
        extra_headers: Optional[HeadersLike] = None,
        reconnect_delays: Callable[[], Generator[float, None, None]] = backoff,
        host: Optional[str] = None,
        port: Optional[int] = None,
        send_queue_limit: Optional[int] = None,
        reconnect_delay: Optional[float] = None,
        fallback_urls: Optional[Sequence[str]] = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(uri, str):
            raise TypeError("uri must be a str")
        parsed = urllib.parse.urlsplit(uri)
        if parsed.scheme.lower() not in ("ws", "wss"):
            raise InvalidURI(uri, "scheme isn't ws or wss")
        secure = parsed.scheme.lower() == "wss"
        if not secure and ssl is not _UNSET and ssl is not None and ssl is not False:
            raise ValueError("ssl argument is incompatible with a ws:// URI")
        if secure and ssl is None:
            raise ValueError("ssl=None is incompatible with a wss:// URI")
        if ssl is _UNSET:
            ssl = None
        if subprotocols is not None and not isinstance(subprotocols, (list, tuple)):
            raise TypeError(f"subprotocols must be a list, not a {type(subprotocols).__name__}")
        if compression not in ("deflate", None):
            raise ValueError(f"unsupported compression: {compression}")
        if kwargs.get("sock") is not None:
            raise NotImplementedError("omnisock connect() opens its own socket (no sock=)")
        _check_proxy(proxy, kwargs.get("proxy_ssl", _UNSET))
        self.uri = uri
        headers: List[Tuple[str, str]] = []
        # Credentials in the URI become Basic authentication, as in websockets.
        credentials = None
        if parsed.username is not None or "@" in parsed.netloc:
            userinfo, _, hostport = parsed.netloc.rpartition("@")
            user, _, password = userinfo.partition(":")
            credentials = (urllib.parse.unquote(user), urllib.parse.unquote(password))
            uri = urllib.parse.urlunsplit(parsed._replace(netloc=hostport))
        # An explicit host / port: connect there; the URI's path stays.
        if host is not None or port is not None:
            p = urllib.parse.urlsplit(uri)
            h = host if host is not None else p.hostname or ""
            h = f"[{h}]" if ":" in h and not h.startswith("[") else h
            hp = f"{h}:{port}" if port is not None else (f"{h}:{p.port}" if p.port else h)
            uri = urllib.parse.urlunsplit(p._replace(netloc=hp))
        self._connect_uri = uri
        # A route the URI does not name (websockets follows only same-origin redirects then).
        self._pinned: Optional[str] = None
        if kwargs.get("unix_socket") is not None:
            self._pinned = "a Unix socket"
        elif host is not None or port is not None:
            self._pinned = "an explicit host or port"
        for h in (extra_headers, additional_headers):
            if h is None:
                continue
            if isinstance(h, Headers):
                headers.extend(h.raw_items())
            elif hasattr(h, "items"):
                headers.extend((str(k), str(v)) for k, v in h.items())
            else:
                headers.extend((str(k), str(v)) for k, v in h)
        names = {k.lower() for k, _ in headers}
        if credentials is not None and "authorization" not in names:
            token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
            headers.append(("Authorization", f"Basic {token}"))
        if origin is not None:
            headers.append(("Origin", str(origin)))
        if user_agent_header is not None and "user-agent" not in names:
            headers.append(("User-Agent", user_agent_header))
        self.open_timeout = open_timeout
        self._config: Dict[str, Any] = dict(
            fallback_urls=fallback_urls,
            headers=headers,
            subprotocols=subprotocols,
            open_timeout=open_timeout,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            max_size=max_size,
            send_queue_limit=send_queue_limit,
            ssl=ssl,
            proxy=proxy if kwargs.get("unix_socket") is None else None,
            max_redirects=_max_redirects(),
            unix_socket=kwargs.get("unix_socket"),
            compression=compression,
            server_hostname=server_hostname,
        )
        client_config(self._connect_uri, **self._config)  # bad arguments fail here, at the call
        self._options: Dict[str, Any] = dict(
            max_queue=max_queue,
            close_timeout=close_timeout,
            write_limit=write_limit,
            logger=logger,
            reconnect_delay=reconnect_delay,
            create_connection=create_connection or ClientConnection,
            ping_interval=ping_interval,
        )
        self.logger = logger or _log
        self.process_exception = process_exception or globals()["process_exception"]
        self.reconnect_delays = reconnect_delays
        # The core's own reconnect loop serves the omnisock extras (rotating fallback URLs,
        # a fixed first delay); otherwise each attempt is decided here, as websockets does.
        self._core_reconnect = bool(fallback_urls) or reconnect_delay is not None
        self._entered = False
        self.connection: Optional[ClientConnection] = None

    async def _await_impl(self) -> ClientConnection:
        if self._core_reconnect:
            session = _Session(self._connect_uri, self._options, self._config, reconnect=False)
            self.connection = await session.wait_open(self.open_timeout)
        else:
            self.connection = await self._open_following_redirects()
        return self.connection

    async def _open_following_redirects(self) -> ClientConnection:
        """Opens the connection, following redirects as websockets does: up to
        ``MAX_REDIRECTS``; never from wss:// to ws://; a cross-origin one drops the
        credentials (``Authorization``, ``Cookie``, ``Proxy-Authorization``) and, with an
        explicit host / port or a Unix socket, raises ``ValueError`` (that route cannot lead
        to another origin)."""
        config = dict(self._config, max_redirects=0)
        limit = _max_redirects()
        logical = _strip_credentials(self.uri)
        route = self._connect_uri
        for _ in range(limit + 1):
            session = _Session(route, self._options, config, reconnect=False)
            try:
                return await session.wait_open(self.open_timeout)
            except InvalidStatus as exc:
                location = exc.response.headers.get("Location")
                if exc.response.status_code not in _REDIRECTS or location is None:
                    raise
            target = _ws_scheme(urllib.parse.urljoin(logical, location))
            if _origin(logical)[0] == "wss" and _origin(target)[0] == "ws":
                raise SecurityError(f"cannot follow redirect to non-secure URI {target}")
            if _origin(target) == _origin(logical):
                netloc = urllib.parse.urlsplit(route).netloc
                route = urllib.parse.urlunsplit(urllib.parse.urlsplit(target)._replace(netloc=netloc))
            elif self._pinned is not None:
                raise ValueError(f"cannot follow cross-origin redirect to {target} with {self._pinned}")
            else:
                config["headers"] = [(k, v) for k, v in config["headers"] if k.lower() not in _CREDENTIALS]
                route = target
            logical = target
        raise SecurityError(f"more than {limit} redirects")

    def __await__(self):
        return self._await_impl().__await__()

    __iter__ = __await__

    async def __aenter__(self) -> ClientConnection:
        if self._entered:
            raise RuntimeError("connect() isn't reentrant")
        self._entered = True
        try:
            return await self
        except BaseException:
            self._entered = False
            raise

    async def __aexit__(self, *exc: Any) -> None:
        self._entered = False
        if self.connection is not None:
            await self.connection.close()

    async def __aiter__(self) -> AsyncIterator[ClientConnection]:
        if self._core_reconnect:
            async for conn in self._core_aiter():
                yield conn
            return
        delays: Optional[Generator[float, None, None]] = None
        while True:
            try:
                async with self as conn:
                    yield conn
            except Exception as exc:
                try:
                    new_exc = self.process_exception(exc)
                except Exception as raised:
                    new_exc = raised
                if new_exc is exc:
                    raise
                if new_exc is not None:
                    raise new_exc from exc
                if delays is None:
                    delays = self.reconnect_delays()
                delay = next(delays)
                self.logger.info(
                    "connect failed; reconnecting in %.1f seconds: %s",
                    delay,
                    traceback.format_exception_only(type(exc), exc)[0].strip(),
                )
                await asyncio.sleep(delay)
            else:
                delays = None

    async def _core_aiter(self) -> AsyncIterator[ClientConnection]:
        session: Optional[_Session] = None
        try:
            while True:
                if session is None or session.finished:
                    session = _Session(self._connect_uri, self._options, self._config, reconnect=True)
                conn = await session.wait_open(None)
                self.connection = conn
                yield conn
                if conn.state is not State.CLOSED:
                    # The body finished with the connection still open: close it, start anew.
                    await conn.close()
                    session = None
        finally:
            if session is not None and not session.finished:
                session.abort()


def unix_connect(path: Optional[str] = None, uri: Optional[str] = None, **kwargs: Any) -> connect:
    """Connects over the Unix socket at ``path``; ``uri`` (default ``ws://localhost/``, or
    ``wss://`` with ``ssl``) gives the Host header, the request path and TLS's server name."""
    if path is None and kwargs.get("sock") is None:
        raise ValueError("no path and sock were specified")
    if path is not None and kwargs.get("sock") is not None:
        raise ValueError("path and sock can not be specified at the same time")
    if uri is None:
        uri = "ws://localhost/" if kwargs.get("ssl") is None else "wss://localhost/"
    return connect(uri, unix_socket=path, **kwargs)


_REDIRECTS = (301, 302, 303, 307, 308)

#: Request headers a cross-origin redirect does not carry on.
_CREDENTIALS = ("authorization", "cookie", "proxy-authorization")


def _strip_credentials(uri: str) -> str:
    """``uri`` without ``user:password@``."""
    p = urllib.parse.urlsplit(uri)
    return urllib.parse.urlunsplit(p._replace(netloc=p.netloc.rpartition("@")[2]))


def _ws_scheme(uri: str) -> str:
    """``http``/``https`` redirect targets as ``ws``/``wss``."""
    p = urllib.parse.urlsplit(uri)
    scheme = {"http": "ws", "https": "wss"}.get(p.scheme.lower(), p.scheme.lower())
    return urllib.parse.urlunsplit(p._replace(scheme=scheme))


def _origin(uri: str) -> Tuple[str, str, int]:
    """Scheme, host and port (the scheme's default when absent) of a ws/wss URI."""
    p = urllib.parse.urlsplit(uri)
    scheme = p.scheme.lower()
    return scheme, (p.hostname or "").lower(), p.port or (443 if scheme == "wss" else 80)


def _max_redirects() -> int:
    """``MAX_REDIRECTS`` as set on ``omnisock.asyncio.client`` (where websockets has it)."""
    from .asyncio import client as asyncio_client

    return int(getattr(asyncio_client, "MAX_REDIRECTS", MAX_REDIRECTS))
