"""``omnisock.sync.client.connect``: the threaded client, as ``websockets.sync.client``."""

from __future__ import annotations

import logging
import threading
import urllib.parse
from typing import Any, Optional, Sequence

from .. import _native, _vocab
from .._config import client_config
from ..client import USER_AGENT, unix_connect
from ..connection import parse_address
from ..datastructures import Headers, HeadersLike
from ..exceptions import ConnectionClosedError, InvalidURI, _from_core
from ..http11 import Request, Response
from .connection import Connection

__all__ = ["connect", "unix_connect", "ClientConnection"]

EV_OPEN, EV_TEXT, EV_BINARY, EV_CLOSE, EV_ERROR, EV_PONG = (
    _vocab.EVENT_OPEN, _vocab.EVENT_TEXT, _vocab.EVENT_BINARY, _vocab.EVENT_CLOSE, _vocab.EVENT_ERROR, _vocab.EVENT_PONG,
)


class ClientConnection(Connection):
    """A threaded client connection."""

    def __init__(self, native: Any, headers: list, close_timeout: Optional[float], logger) -> None:
        super().__init__(close_timeout=close_timeout, logger=logger or logging.getLogger("websockets.client"))
        self._native = native
        self._request_headers = headers
        self._opened = threading.Event()
        self._error: Optional[tuple] = None
        self._thread = threading.Thread(target=self._dispatch, name="omnisock-client", daemon=True)
        self._thread.start()

    def _dispatch(self) -> None:
        n = self._native
        while True:
            # Woken by the core for every event (the close included): the timeout only bounds
            # each call, so an idle connection wakes this thread once per 10 s, not twice a second.
            n.wait(10.0)
            for ev in n.poll(4096):
                k = ev[0]
                if k == EV_TEXT or k == EV_BINARY:
                    self._on_message(ev[2])
                elif k == EV_OPEN:
                    self.request = Request(ev[2] + ("?" + ev[3] if ev[3] else ""), Headers(self._request_headers))
                    self.response = Response(101, "Switching Protocols", Headers(ev[5]))
                    self.subprotocol = ev[6]
                    self.remote_address = parse_address(ev[4])
                    self._opened.set()
                elif k == EV_ERROR:
                    if not self._opened.is_set():
                        self._error = (ev[2], ev[3])
                elif k == EV_PONG:
                    self._on_pong(ev[2])
                elif k == EV_CLOSE:
                    self._on_close(ev[2], ev[3], ev[4])
                    self._opened.set()
                    return

    def _native_send(self, data, text):
        self._native.send(data, text)
        return 0

    def _native_close(self, code, reason):
        self._native.close(code, reason)

    def _native_ping(self, data):
        self._native.ping(data)


def connect(
    uri: str,
    *,
    origin: Optional[str] = None,
    subprotocols: Optional[Sequence[str]] = None,
    additional_headers: Optional[HeadersLike] = None,
    user_agent_header: Optional[str] = USER_AGENT,
    open_timeout: Optional[float] = 10,
    ping_interval: Optional[float] = 20,
    ping_timeout: Optional[float] = 20,
    close_timeout: Optional[float] = 10,
    max_size: Optional[int] = 2**20,
    logger: Optional[logging.Logger] = None,
    ssl: Any = None,
    **kwargs: Any,
) -> ClientConnection:
    """Connects and returns an open :class:`ClientConnection` (usable as a context manager)."""
    scheme = urllib.parse.urlsplit(uri).scheme.lower()
    if scheme not in ("ws", "wss"):
        raise InvalidURI(uri, "scheme isn't ws or wss")
    headers = []
    if additional_headers is not None:
        items = additional_headers.raw_items() if isinstance(additional_headers, Headers) else (
            additional_headers.items() if hasattr(additional_headers, "items") else additional_headers
        )
        headers.extend((str(k), str(v)) for k, v in items)
    if origin is not None:
        headers.append(("Origin", origin))
    if user_agent_header is not None:
        headers.append(("User-Agent", user_agent_header))
    try:
        native = _native.Client(
            client_config(
                uri,
                headers=headers,
                subprotocols=subprotocols,
                open_timeout=open_timeout,
                ping_interval=ping_interval,
                ping_timeout=ping_timeout,
                close_timeout=close_timeout,
                max_size=max_size,
                ssl=ssl,
            )
        )
    except InvalidURI as exc:
        raise InvalidURI(uri, exc.msg) from None
    conn = ClientConnection(native, headers, close_timeout, logger)
    conn._opened.wait((open_timeout or 3600) + 5)
    if conn.response is None:
        native.abort()
        if conn._error is not None:
            raise _from_core(conn._error[0], conn._error[1], uri)
        if conn.state.name == "CLOSED":
            raise ConnectionClosedError(None, None)
        raise TimeoutError("timed out during opening handshake")
    return conn
