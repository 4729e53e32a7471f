"""The native hub API: routes, groups, direct sends, status — fan-out done in Rust.

    hub = omnisock.Hub("127.0.0.1:9001", routes={"/chat": "broadcast", "/ids": "host"})
    async for event in hub.events():          # or, in threads: for event in hub.iter_events()
        if isinstance(event, Open):
            hub.send(event.conn, "Your ID is: ...")

Routes of kind ``echo``, ``broadcast`` and ``relay`` need no Python code; ``host`` routes
deliver :class:`Open`, :class:`Message`, :class:`Close` (and :class:`Error`,
:class:`Handshake`, :class:`Pong`) events to the program.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from typing import Any, AsyncIterator, Dict, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from . import _native, _vocab
from ._pump import Pump
from .datastructures import Headers

__all__ = ["Hub", "Route", "Open", "Message", "Close", "Error", "Handshake", "Pong", "HubEvent"]


class Open(NamedTuple):
    """A connection opened on a ``host`` route."""

    conn: int
    path: str
    query: str
    remote: str
    headers: List[Tuple[str, str]]
    protocol: Optional[str]

    @property
    def remote_address(self) -> Tuple[str, int]:
        host, _, port = self.remote.rpartition(":")
        return (host.strip("[]"), int(port))

    @property
    def request_headers(self) -> Headers:
        return Headers(self.headers)


class Handshake(NamedTuple):
    """A handshake waits for ``hub.accept(conn)``, ``hub.reject(conn, status)`` or
    ``hub.respond(conn, status, headers, body)`` (routes with ``host_accepts``); so does a plain
    ``GET``/``HEAD`` on such a route (no ``Upgrade`` header), which ``accept`` answers with 426."""

    conn: int
    path: str
    query: str
    remote: str
    headers: List[Tuple[str, str]]
    protocol: Optional[str]


class Message(NamedTuple):
    """A message: ``data`` is ``str`` (text) or ``bytes`` (binary)."""

    conn: int
    data: Union[str, bytes]


class Close(NamedTuple):
    """A connection closed."""

    conn: int
    code: int
    reason: str
    clean: bool


class Error(NamedTuple):
    """Something failed on a connection (a :class:`Close` follows when it is gone)."""

    conn: int
    code: int
    message: str


class Pong(NamedTuple):
    """The answer to ``hub.ping(conn, payload)``."""

    conn: int
    payload: bytes


HubEvent = Union[Open, Message, Close, Error, Handshake, Pong]

_KINDS = {
    _vocab.EVENT_OPEN: Open,
    _vocab.EVENT_CLOSE: Close,
    _vocab.EVENT_ERROR: Error,
    _vocab.EVENT_HANDSHAKE: Handshake,
    _vocab.EVENT_PONG: Pong,
}
_EV_TEXT, _EV_BINARY = _vocab.EVENT_TEXT, _vocab.EVENT_BINARY


def _convert(raw: list) -> List[HubEvent]:
    out = []
    for ev in raw:
        k = ev[0]
        if k == _EV_TEXT or k == _EV_BINARY:
            out.append(Message(ev[1], ev[2]))
        else:
            out.append(_KINDS[k](*ev[1:]))
    return out


class Route(NamedTuple):
    """One route: ``kind`` is ``echo``, ``broadcast``, ``relay`` or ``host``; ``path`` ``"*"``
    takes every path without a route of its own. ``on_overflow``: ``close`` (1008),
    ``drop_oldest`` or ``drop_newest`` when a connection's queue exceeds ``queue_limit`` bytes."""

    path: str
    kind: str = "host"
    queue_limit: int = 1 << 20
    on_overflow: str = "close"
    subprotocols: Sequence[str] = ()
    host_accepts: bool = False


RoutesLike = Union[Mapping[str, Union[str, Route]], Iterable[Route]]


def _routes(routes: RoutesLike) -> List[tuple]:
    items: List[Route] = []
    if isinstance(routes, Mapping):
        for path, r in routes.items():
            items.append(Route(path, r) if isinstance(r, str) else r._replace(path=path))
    else:
        items = [r if isinstance(r, Route) else Route(*r) for r in routes]
    return [(r.path, r.kind, int(r.queue_limit), r.on_overflow, list(r.subprotocols), bool(r.host_accepts)) for r in items]


class Hub:
    """A WebSocket hub run by the Rust core. Thread-safe; every call returns at once (sends
    only enqueue). Events of ``host`` routes: :meth:`events` (asyncio) or :meth:`iter_events`
    / :meth:`poll` / :meth:`wait` (threads)."""

    def __init__(
        self,
        listen: str = "127.0.0.1:0",
        routes: RoutesLike = (),
        *,
        max_connections: int = 100_000,
        max_size: Optional[int] = 16 << 20,
        origins: Sequence[str] = (),
        token: Optional[str] = None,
        ssl: Optional[Tuple[str, str]] = None,
        ping_interval: Optional[float] = 20.0,
        ping_timeout: float = 20.0,
        shutdown_timeout: float = 5.0,
        static_dir: Optional[str] = None,
        demo_page: bool = False,
    ) -> None:
        cert, key = (str(ssl[0]), str(ssl[1])) if ssl else (None, None)
        self._native = _native.Hub(
            listen,
            _routes(routes),
            max_connections=max_connections,
            max_size=max_size,
            origins=list(origins),
            token=token,
            tls_cert=cert,
            tls_key=key,
            ping_interval=ping_interval,
            pong_timeout=ping_timeout,
            shutdown_timeout=shutdown_timeout,
            static_dir=static_dir,
            demo_page=demo_page,
        )
        self._init_state()

    @classmethod
    def from_toml(cls, text: str) -> "Hub":
        """A hub from the TOML configuration of ``omnisock hub --config`` (every option,
        ``[route.live]`` streams included)."""
        hub = cls.__new__(cls)
        hub._native = _native.Hub.from_toml(text)
        hub._init_state()
        return hub

    def _init_state(self) -> None:
        self._pump: Optional[Pump] = None
        self._queue: collections.deque = collections.deque()
        self._waiter: Optional[asyncio.Future] = None
        self.secure = self._native.secure

    # ---- addresses -----------------------------------------------------------------------

    @property
    def local_addr(self) -> Tuple[str, int]:
        return self._native.local_addr

    @property
    def port(self) -> int:
        return self._native.local_addr[1]

    def url(self, path: str = "/") -> str:
        host, port = self._native.local_addr
        if ":" in host:
            host = f"[{host}]"
        return f"{'wss' if self.secure else 'ws'}://{host}:{port}{path}"

    # ---- sending ---------------------------------------------------------------------------

    def send(self, conn: int, data: Union[str, bytes], *, text: Optional[bool] = None) -> int:
        """Queues a message to one connection; returns the bytes now queued for it."""
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        return self._native.send(conn, data, text)

    def send_many(self, conns: Iterable[int], data: Union[str, bytes], *, text: Optional[bool] = None) -> int:
        """One message to many connections (encoded once); returns how many took it."""
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        return self._native.send_many(list(conns), data, text)

    def broadcast(self, path: str, data: Union[str, bytes], *, exclude: Optional[int] = None, text: Optional[bool] = None) -> int:
        """Sends to every connection of the route at ``path`` but ``exclude``."""
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        return self._native.broadcast(path, data, exclude, text)

    def publish(self, group: str, data: Union[str, bytes], *, exclude: Optional[int] = None, text: Optional[bool] = None) -> int:
        """Sends to every member of ``group`` but ``exclude``; returns the recipients."""
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        return self._native.publish(group, data, exclude, text)

    def join(self, conn: int, group: str) -> None:
        self._native.join(conn, group)

    def leave(self, conn: int, group: str) -> bool:
        return self._native.leave(conn, group)

    def group_size(self, group: str) -> int:
        return self._native.group_size(group)

    def close(self, conn: int, code: int = 1000, reason: str = "") -> None:
        """Closes one connection after its queued messages."""
        self._native.close(conn, code, reason)

    def accept(self, conn: int, protocol: Optional[str] = None, headers: Optional[List[Tuple[str, str]]] = None) -> None:
        """Accepts a paused handshake; ``headers`` are added to the ``101`` response."""
        self._native.accept(conn, protocol, list(headers) if headers else None)

    def reject(self, conn: int, status: int = 403, body: str = "") -> None:
        self._native.reject(conn, status, body)

    def respond(self, conn: int, status: int, headers: Optional[List[Tuple[str, str]]] = None, body: bytes = b"", reason: str = "") -> None:
        """Answers a paused handshake or plain request (routes with ``host_accepts``) with any
        HTTP response: a health check's 200, a redirect, a refusal."""
        self._native.respond(conn, status, reason, list(headers or []), bytes(body))

    def ping(self, conn: int, payload: bytes) -> None:
        self._native.ping(conn, payload)

    def pause_reading(self, conn: int) -> None:
        self._native.pause_reading(conn)

    def resume_reading(self, conn: int) -> None:
        self._native.resume_reading(conn)

    def set_max_rate(self, conn: int, rate: Optional[float]) -> None:
        """Caps a subscriber of a live route at ``rate`` messages per second per key; the
        newest value of each key is sent at that rate. ``None`` lifts the cap."""
        self._native.set_max_rate(conn, rate)

    # ---- status ------------------------------------------------------------------------------

    def connection_count(self) -> int:
        return self._native.connection_count()

    def queued_bytes(self, conn: int) -> int:
        return self._native.queued_bytes(conn)

    def status(self) -> Dict[str, Any]:
        """The status document (also at ``/_omnisock/status``) as a dict."""
        return json.loads(self._native.status_json())

    def metrics_text(self) -> str:
        return self._native.metrics_text()

    # ---- events: threads -----------------------------------------------------------------------

    def poll(self, max: int = 1024) -> List[HubEvent]:
        """Up to ``max`` queued events; never blocks."""
        return _convert(self._native.poll(max))

    def wait(self, timeout: float) -> bool:
        """Blocks (GIL released) up to ``timeout`` seconds until an event is queued."""
        return self._native.wait(timeout)

    def iter_events(self, timeout: Optional[float] = None, idle: float = 0.25) -> Iterator[HubEvent]:
        """Yields events as they come; stops after ``timeout`` seconds (None: until shutdown)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for ev in self.poll(1024):
                yield ev
            if self._native.is_shut_down and not self._native.wait(0):
                return
            left = idle if deadline is None else min(idle, deadline - time.monotonic())
            if left <= 0:
                return
            self._native.wait(left)

    # ---- events: asyncio ---------------------------------------------------------------------------

    def _on_events(self, raw: list) -> None:
        self._queue.extend(_convert(raw))
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def _ensure_pump(self) -> None:
        if self._pump is None:
            self._pump = Pump(self._native, asyncio.get_running_loop(), self._on_events)

    async def next_batch(self) -> List[HubEvent]:
        """Waits for events and returns every one queued (at least one)."""
        self._ensure_pump()
        while not self._queue:
            if self._native.is_shut_down:
                self._pump.drain_now()  # type: ignore[union-attr]
                if not self._queue:
                    raise StopAsyncIteration
                break
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self._waiter, 0.5)
            except asyncio.TimeoutError:
                pass
            finally:
                self._waiter = None
        batch = list(self._queue)
        self._queue.clear()
        return batch

    async def events(self) -> AsyncIterator[HubEvent]:
        """``async for event in hub.events()``: every event until the hub is shut down."""
        while True:
            try:
                batch = await self.next_batch()
            except StopAsyncIteration:
                return
            for ev in batch:
                yield ev

    # ---- life -------------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Graceful shutdown (close 1001 to everyone, wait up to shutdown_timeout). Blocks."""
        self._native.shutdown()
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    async def aclose(self) -> None:
        """:meth:`shutdown` without blocking the event loop."""
        await asyncio.get_running_loop().run_in_executor(None, self._native.shutdown)
        if self._pump is not None:
            self._pump.drain_now()
            self._pump.stop()
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    @property
    def is_shut_down(self) -> bool:
        return self._native.is_shut_down

    def __enter__(self) -> "Hub":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()

    async def __aenter__(self) -> "Hub":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<omnisock.Hub {self.url()}>"
