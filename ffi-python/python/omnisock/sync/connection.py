"""The threaded connection object, as ``websockets.sync.connection.Connection``.

A dispatcher thread (one per client, one per server) waits on the core's event queue with the
GIL released and hands events to connections; ``recv`` waits on a condition variable.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
import uuid
from typing import Any, Dict, Iterable, Iterator, Mapping, Optional, Tuple, Union

from ..connection import _join, parse_address
from ..exceptions import ConcurrencyError, ConnectionClosed, ConnectionClosedOK, NotFound, QueueFull, _close_exc
from ..frames import Close
from ..protocol import State

__all__ = ["Connection"]

Data = Union[str, bytes]
OPEN, CLOSING, CLOSED, CONNECTING = State.OPEN, State.CLOSING, State.CLOSED, State.CONNECTING


class Connection:
    """One WebSocket connection used from threads."""

    def __init__(self, *, close_timeout: Optional[float], logger: Optional[logging.Logger]) -> None:
        self.id = uuid.uuid4()
        self.logger = logger or logging.getLogger("websockets")
        self.state: State = OPEN
        self.close_timeout = close_timeout
        self.latency = 0.0
        self.request: Any = None
        self.response: Any = None
        self.subprotocol: Optional[str] = None
        self.remote_address: Any = None
        self.local_address: Any = None
        self.close_rcvd: Optional[Close] = None
        self.close_sent: Optional[Close] = None
        self.close_rcvd_then_sent: Optional[bool] = None
        self._cond = threading.Condition()
        self._msgs: collections.deque = collections.deque()
        self._receiving = False
        self._our_close: Optional[Close] = None
        self._pings: Dict[bytes, Tuple[threading.Event, float]] = {}
        self._closed_event = threading.Event()

    def _native_send(self, data, text) -> int:  # pragma: no cover
        raise NotImplementedError

    def _native_close(self, code, reason) -> None:  # pragma: no cover
        raise NotImplementedError

    def _native_ping(self, data) -> None:  # pragma: no cover
        raise NotImplementedError

    # ---- events (dispatcher thread) ------------------------------------------------------

    def _on_message(self, data: Data) -> None:
        with self._cond:
            self._msgs.append(data)
            self._cond.notify()

    def _on_pong(self, payload: bytes) -> None:
        with self._cond:
            if payload not in self._pings:
                return
            now = time.monotonic()
            for key in list(self._pings):
                ev, sent = self._pings.pop(key)
                ev.set()
                if key == payload:
                    self.latency = now - sent
                    break

    def _on_error(self, code: int, message: str) -> None:
        pass

    def _on_close(self, code: int, reason: str, clean: bool) -> None:
        with self._cond:
            if self.state is CLOSED:
                return
            if self._our_close is not None:
                self.close_sent = self._our_close
                self.close_rcvd = Close(code, reason) if clean else None
                self.close_rcvd_then_sent = False if clean else None
            elif clean:
                self.close_rcvd = Close(code, reason)
                self.close_sent = Close(code, reason)
                self.close_rcvd_then_sent = True
            elif code != 1006:
                self.close_sent = Close(code, reason)
            self.state = CLOSED
            self._pings.clear()
            self._cond.notify_all()
        self._closed_event.set()

    def _close_exc(self) -> ConnectionClosed:
        return _close_exc(self.close_rcvd, self.close_sent, self.close_rcvd_then_sent)

    # ---- API ----------------------------------------------------------------------------------

    @property
    def close_code(self) -> Optional[int]:
        if self.state is not CLOSED:
            return None
        return 1006 if self.close_rcvd is None else self.close_rcvd.code

    @property
    def close_reason(self) -> Optional[str]:
        if self.state is not CLOSED:
            return None
        return "" if self.close_rcvd is None else self.close_rcvd.reason

    def recv(self, timeout: Optional[float] = None, decode: Optional[bool] = None) -> Data:
        """Next message; ``TimeoutError`` after ``timeout`` seconds; ``ConnectionClosed`` at the end."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            if self._receiving:
                raise ConcurrencyError("cannot call recv while another thread is already running recv")
            self._receiving = True
            try:
                while not self._msgs:
                    if self.state is CLOSED:
                        raise self._close_exc()
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        raise TimeoutError(f"timed out after {timeout} seconds")
                    self._cond.wait(left)
                msg = self._msgs.popleft()
            finally:
                self._receiving = False
        if decode is not None:
            if decode and isinstance(msg, bytes):
                return msg.decode()
            if not decode and isinstance(msg, str):
                return msg.encode()
        return msg

    def recv_streaming(self, decode: Optional[bool] = None) -> Iterator[Data]:
        yield self.recv(decode=decode)

    def __iter__(self) -> Iterator[Data]:
        try:
            while True:
                yield self.recv()
        except ConnectionClosedOK:
            return

    def send(self, message: Union[Data, Iterable[Data]], text: Optional[bool] = None) -> None:
        if isinstance(message, (str, bytes)):
            data = message
        elif isinstance(message, (bytearray, memoryview)):
            data = bytes(message)
        elif isinstance(message, Mapping):
            raise TypeError("data is a dict-like object")
        elif isinstance(message, Iterable):
            data = _join(list(message))
        else:
            raise TypeError("data must be str, bytes, or iterable")
        if self.state is not OPEN:
            self._raise_closed()
        delay = 0.0005
        while True:
            try:
                self._native_send(data, text)
                return
            except QueueFull:
                if self.state is not OPEN:
                    self._raise_closed()
                time.sleep(delay)
                delay = min(delay * 2, 0.02)
            except (ConnectionClosed, NotFound):
                self._raise_closed()

    def _raise_closed(self) -> None:
        self._closed_event.wait((self.close_timeout or 10) + 10)
        raise self._close_exc()

    def close(self, code: int = 1000, reason: str = "") -> None:
        with self._cond:
            start = self.state is OPEN or self.state is CONNECTING
            if start:
                self.state = CLOSING
                self._our_close = Close(code, reason)
        if start:
            try:
                self._native_close(code, reason)
            except (ConnectionClosed, NotFound):
                pass
        self._closed_event.wait((self.close_timeout or 10) + 10)

    def ping(self, data: Optional[Data] = None) -> threading.Event:
        """Sends a ping; the returned ``threading.Event`` is set when the pong arrives."""
        if isinstance(data, str):
            data = data.encode()
        elif data is not None:
            data = bytes(data)
        with self._cond:
            if not data:
                data = os.urandom(4)
                while data in self._pings:
                    data = os.urandom(4)
            elif data in self._pings:
                raise ConcurrencyError("already waiting for a pong with the same data")
            if self.state is not OPEN:
                raise self._close_exc() if self.state is CLOSED else ConnectionClosedOK(None, None)
            ev = threading.Event()
            self._pings[data] = (ev, time.monotonic())
        try:
            self._native_ping(data)
        except (ConnectionClosed, NotFound):
            self._raise_closed()
        return ev

    def pong(self, data: Data = b"") -> None:
        raise NotImplementedError("omnisock answers pings in the core; unsolicited pongs are not supported")

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
