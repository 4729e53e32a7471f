"""The asyncio connection object shared by server and client connections.

Same methods and attributes as ``websockets.asyncio.connection.Connection``. Sending only
enqueues in the core; receiving takes messages the event pump put in a per-connection queue.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import uuid
from typing import Any, AsyncIterable, AsyncIterator, Awaitable, Dict, Iterable, Mapping, Optional, Tuple, Union

from .exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedOK,
    NotFound,
    QueueFull,
    _close_exc,
    _from_core,
)
from .frames import Close
from .protocol import State

__all__ = ["Connection", "Data"]

Data = Union[str, bytes]

OPEN, CLOSING, CLOSED, CONNECTING = State.OPEN, State.CLOSING, State.CLOSED, State.CONNECTING

#: Polling interval bounds while waiting for a full send queue to drain (no drain event in the core).
_DRAIN_MIN, _DRAIN_MAX = 0.0005, 0.02


def parse_address(remote: str) -> Optional[Tuple[str, int]]:
    """``"1.2.3.4:5"`` or ``"[::1]:5"`` -> ``(host, port)``."""
    if not remote:
        return None
    host, _, port = remote.rpartition(":")
    host = host.strip("[]")
    try:
        return (host, int(port))
    except ValueError:
        return (remote, 0)


class ProtocolView:
    """The part of websockets' sans-I/O protocol object that applications read: ``state``."""

    def __init__(self, conn: "Connection") -> None:
        self._conn = conn

    @property
    def state(self) -> State:
        return self._conn.state


class Connection:
    """One WebSocket connection (asyncio). Subclasses bind it to a hub or a client."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        max_queue: Optional[int],
        close_timeout: Optional[float],
        write_limit: int,
        logger: Optional[logging.Logger],
    ) -> None:
        self.loop = loop
        self.id: uuid.UUID = uuid.uuid4()
        self.logger = logger or logging.getLogger("websockets")
        self.state: State = OPEN
        self.close_timeout = close_timeout
        self.latency: float = 0.0
        self.request: Any = None
        self.response: Any = None
        self.subprotocol: Optional[str] = None
        self.remote_address: Any = None
        self.local_address: Any = None
        self.close_rcvd: Optional[Close] = None
        self.close_sent: Optional[Close] = None
        self.close_rcvd_then_sent: Optional[bool] = None
        self._msgs: collections.deque = collections.deque()
        self._waiter: Optional[asyncio.Future] = None
        self._receiving = False
        self._closed: asyncio.Future = loop.create_future()
        self._our_close: Optional[Close] = None
        self._pings: Dict[bytes, Tuple[asyncio.Future, float]] = {}
        self._keepalive: Optional[asyncio.Task] = None
        self._error: Optional[Tuple[int, str]] = None
        if max_queue is None:
            self._high = None
            self._low = 0
        else:
            if isinstance(max_queue, tuple):
                high, low = max_queue
            else:
                high, low = max_queue, None
            self._high = max(1, int(high))
            self._low = max(0, int(low) if low is not None else self._high // 4)
        self._paused = False
        hw = write_limit[0] if isinstance(write_limit, tuple) else write_limit
        self._write_high = max(int(hw), 64 << 10)

    # ---- what subclasses provide --------------------------------------------------------

    def _native_send(self, data: Any, text: Optional[bool]) -> int:  # pragma: no cover
        raise NotImplementedError

    def _native_close(self, code: int, reason: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def _native_ping(self, data: bytes) -> None:  # pragma: no cover
        raise NotImplementedError

    def _native_queued(self) -> int:  # pragma: no cover
        raise NotImplementedError

    def _spin_reply(self) -> bool:
        """Takes an answer that arrives within a few microseconds of a send without an
        event-loop iteration (client connections); True when events were dispatched."""
        return False

    def _pause_reading(self) -> None:
        pass

    def _resume_reading(self) -> None:
        pass

    # ---- events from the pump ----------------------------------------------------------

    def _on_message(self, data: Data) -> None:
        msgs = self._msgs
        msgs.append(data)
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)
        if self._high is not None and not self._paused and len(msgs) >= self._high:
            self._paused = True
            self._pause_reading()

    def _on_error(self, code: int, message: str) -> None:
        self._error = (code, message)

    def _on_pong(self, payload: bytes) -> None:
        entry = self._pings.get(payload)
        if entry is None:
            return
        now = self.loop.time()
        # Like websockets: a pong also answers every earlier ping.
        for key in list(self._pings):
            fut, sent = self._pings.pop(key)
            if not fut.done():
                fut.set_result(now - sent)
            if key == payload:
                self.latency = now - sent
                break

    def _start_keepalive(self, interval: Optional[float]) -> None:
        """Measures ``latency`` every ``interval`` seconds with a ping, as websockets does.
        Dead-peer detection stays in the core (its keepalive timeout); these pings also keep
        the core's own keepalive quiet, since any pong counts as traffic."""
        if interval and self._keepalive is None:
            self._keepalive = self.loop.create_task(self._keepalive_loop(float(interval)))

    async def _keepalive_loop(self, interval: float) -> None:
        try:
            while self.state is OPEN:
                await asyncio.sleep(interval)
                if self.state is not OPEN:
                    break
                await self.ping()  # the pong sets self.latency
        except (ConnectionClosed, asyncio.CancelledError):
            pass

    def _on_close(self, code: int, reason: str, clean: bool) -> None:
        if self.state is CLOSED:
            return
        if self._keepalive is not None:
            self._keepalive.cancel()
        ours = self._our_close
        if ours is not None:
            self.close_sent = ours
            self.close_rcvd = Close(code, reason) if clean else None
            self.close_rcvd_then_sent = False if clean else None
        elif clean:
            self.close_rcvd = Close(code, reason)
            self.close_sent = Close(code, reason)
            self.close_rcvd_then_sent = True
        elif code != 1006:
            # The core closed it (oversize, invalid data, keepalive timeout...).
            self.close_sent = Close(code, reason)
        self.state = CLOSED
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)
        exc = self._close_exc()
        for fut, _ in self._pings.values():
            if not fut.done():
                fut.set_exception(exc)
                fut.exception()  # retrieved: nobody has to await an unanswered ping
        self._pings.clear()
        if not self._closed.done():
            self._closed.set_result(None)

    def _close_exc(self) -> ConnectionClosed:
        exc = _close_exc(self.close_rcvd, self.close_sent, self.close_rcvd_then_sent)
        if self._error is not None:
            # Why the core closed it (e.g. PayloadTooBig for 1009), as websockets chains it.
            exc.__cause__ = _from_core(*self._error)
        return exc

    # ---- public API ----------------------------------------------------------------------

    @property
    def protocol(self) -> "ProtocolView":
        """The connection's protocol state (``protocol.state``), as websockets exposes it."""
        return ProtocolView(self)

    @property
    def open(self) -> bool:
        """Legacy: whether the connection is open."""
        return self.state is OPEN

    @property
    def closed(self) -> bool:
        """Legacy: whether the connection is closed."""
        return self.state is CLOSED

    @property
    def close_code(self) -> Optional[int]:
        if self.state is not CLOSED:
            return None
        if self.close_rcvd is None:
            return 1006
        return self.close_rcvd.code

    @property
    def close_reason(self) -> Optional[str]:
        if self.state is not CLOSED:
            return None
        if self.close_rcvd is None:
            return ""
        return self.close_rcvd.reason

    async def recv(self, decode: Optional[bool] = None) -> Data:
        """Next message: ``str`` for text, ``bytes`` for binary. Raises ``ConnectionClosed``
        once the connection is closed and every message received before was returned."""
        msgs = self._msgs
        if not msgs:
            if self._receiving:
                raise ConcurrencyError("cannot call recv while another coroutine is already running recv or recv_streaming")
            self._receiving = True
            try:
                while not msgs:
                    if self.state is CLOSED:
                        raise self._close_exc()
                    if self._spin_reply():
                        continue
                    self._waiter = self.loop.create_future()
                    try:
                        await self._waiter
                    finally:
                        self._waiter = None
            finally:
                self._receiving = False
        msg = msgs.popleft()
        if self._paused and len(msgs) <= self._low:
            self._paused = False
            self._resume_reading()
        if decode is not None:
            if decode and isinstance(msg, bytes):
                return msg.decode()
            if not decode and isinstance(msg, str):
                return msg.encode()
        return msg

    async def recv_streaming(self, decode: Optional[bool] = None) -> AsyncIterator[Data]:
        """Yields the message in one piece (the core delivers whole messages)."""
        yield await self.recv(decode)

    def __aiter__(self) -> AsyncIterator[Data]:
        return _MessageIterator(self)

    async def send(self, message: Union[Data, Iterable[Data], AsyncIterable[Data]], text: Optional[bool] = None) -> None:
        """Sends a message: ``str`` as text, bytes-like as binary (``text`` overrides). An
        iterable or async iterable of fragments is joined and sent as one message."""
        if isinstance(message, (str, bytes)):
            data = message
        elif isinstance(message, (bytearray, memoryview)):
            data = bytes(message)
        elif isinstance(message, Mapping):
            raise TypeError("data is a dict-like object")
        elif isinstance(message, Iterable):
            data = _join(list(message))
        elif isinstance(message, AsyncIterable):
            data = _join([m async for m in message])
        else:
            raise TypeError("data must be str, bytes, iterable, or async iterable")
        await self._send(data, text)

    async def _send(self, data: Data, text: Optional[bool]) -> None:
        if self.state is not OPEN:
            await self._raise_closed()
        delay = _DRAIN_MIN
        while True:
            try:
                queued = self._native_send(data, text)
                break
            except QueueFull:
                # The queue is full: wait for it to drain (back-pressure, like websockets' drain).
                if self.state is not OPEN:
                    await self._raise_closed()
                await asyncio.sleep(delay)
                delay = min(delay * 2, _DRAIN_MAX)
            except (ConnectionClosed, NotFound):
                await self._raise_closed()
        if queued > self._write_high:
            await self._drain()

    async def _drain(self) -> None:
        delay = _DRAIN_MIN
        low = self._write_high // 4
        while self.state is OPEN:
            try:
                if self._native_queued() <= low:
                    return
            except (ConnectionClosed, NotFound):
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, _DRAIN_MAX)

    async def _raise_closed(self) -> None:
        # The core knows first; its close event reaches us shortly (bounded by the close timeout).
        if self.state is not CLOSED:
            try:
                await asyncio.wait_for(asyncio.shield(self._closed), (self.close_timeout or 10) + 10)
            except asyncio.TimeoutError:
                pass
        raise self._close_exc()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Starts the closing handshake and waits until the connection is closed."""
        if self.state is OPEN or self.state is CONNECTING:
            self.state = CLOSING
            self._our_close = Close(code, reason)
            try:
                self._native_close(code, reason)
            except (ConnectionClosed, NotFound):
                pass
        if self.state is not CLOSED:
            try:
                await asyncio.wait_for(asyncio.shield(self._closed), (self.close_timeout or 10) + 10)
            except asyncio.TimeoutError:
                self._abort()

    def _abort(self) -> None:
        pass

    async def wait_closed(self) -> None:
        """Waits until the connection is closed."""
        await asyncio.shield(self._closed)

    async def ping(self, data: Optional[Data] = None) -> Awaitable[float]:
        """Sends a ping; returns a future that resolves to the latency when the pong arrives."""
        if isinstance(data, str):
            data = data.encode()
        elif data is not None:
            data = bytes(data)
        if not data:
            # The core reports pongs with a payload; an empty ping gets a random one.
            data = os.urandom(4)
            while data in self._pings:
                data = os.urandom(4)
        elif data in self._pings:
            raise ConcurrencyError("already waiting for a pong with the same data")
        if self.state is not OPEN:
            await self._raise_closed()
        fut = self.loop.create_future()
        self._pings[data] = (fut, self.loop.time())
        try:
            self._native_ping(data)
        except (ConnectionClosed, NotFound):
            del self._pings[data]
            await self._raise_closed()
        return fut

    async def pong(self, data: Data = b"") -> None:
        """Unsolicited pongs are not supported by the core: the core answers pings itself."""
        raise NotImplementedError("omnisock answers pings in the core; unsolicited pongs are not supported")

    # legacy attributes of the websockets legacy API
    @property
    def path(self) -> str:
        return self.request.path if self.request is not None else ""

    @property
    def request_headers(self):
        return self.request.headers if self.request is not None else None

    @property
    def response_headers(self):
        return self.response.headers if self.response is not None else None

    @property
    def close_exc(self):
        return self._close_exc()


class _MessageIterator:
    """``async for message in websocket``: ends on a clean close, raises on an error close."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __aiter__(self) -> "_MessageIterator":
        return self

    async def __anext__(self) -> Data:
        try:
            return await self.conn.recv()
        except ConnectionClosedOK:
            raise StopAsyncIteration from None


def _join(fragments: list) -> Data:
    if not fragments:
        raise TypeError("data iterable must contain at least one fragment")
    if all(isinstance(f, str) for f in fragments):
        return "".join(fragments)
    if all(isinstance(f, (bytes, bytearray, memoryview)) for f in fragments):
        return b"".join(bytes(f) for f in fragments)
    raise TypeError("data iterable must contain only str or only bytes-like objects")
