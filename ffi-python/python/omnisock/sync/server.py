"""``omnisock.sync.server.serve``: the threaded server, as ``websockets.sync.server``.

One dispatcher thread per server takes events from the core (GIL released while it waits)
and one thread per connection runs the handler.
"""

from __future__ import annotations

import inspect
import logging
import threading
from typing import Any, Callable, Dict, Optional, Sequence

from .. import _native, _vocab
from ..connection import parse_address
from ..datastructures import Headers
from ..exceptions import NotFound
from ..http11 import Request, Response
from ..protocol import State
from ..server import _phrase, _SocketInfo, send_response, _listen_address, _takes_path, _tls_files
from .connection import Connection

__all__ = ["serve", "unix_serve", "Server", "ServerConnection"]

EV_OPEN, EV_TEXT, EV_BINARY, EV_CLOSE, EV_ERROR, EV_PONG, EV_HANDSHAKE = (
    _vocab.EVENT_OPEN, _vocab.EVENT_TEXT, _vocab.EVENT_BINARY, _vocab.EVENT_CLOSE, _vocab.EVENT_ERROR, _vocab.EVENT_PONG, _vocab.EVENT_HANDSHAKE,
)


class ServerConnection(Connection):
    """A threaded server connection."""

    def __init__(self, server: "Server", cid: int, path: str, query: str, remote: str, headers, protocol) -> None:
        super().__init__(close_timeout=server._close_timeout, logger=server.logger)
        self.server = server
        self._hub = server._hub
        self._cid = cid
        self.request = Request(path + ("?" + query if query else ""), Headers(headers))
        self.subprotocol = protocol
        self.remote_address = parse_address(remote)
        self.local_address = server.socket.getsockname()

    def _native_send(self, data, text):
        return self._hub.send(self._cid, data, text)

    def _native_close(self, code, reason):
        self._hub.close(self._cid, code, reason)

    def _native_ping(self, data):
        self._hub.ping(self._cid, data)

    def respond(self, status: int, text: str) -> Response:
        body = text.encode()
        return Response(int(status), _phrase(int(status)), Headers([("Content-Type", "text/plain; charset=utf-8")]), body)


class Server:
    """A running threaded server: ``serve_forever()``, ``shutdown()``, ``socket``."""

    def __init__(self, hub: Any, handler: Callable, options: Dict[str, Any]) -> None:
        self._hub = hub
        self.handler = handler
        self._legacy = _takes_path(handler)
        self.logger = options["logger"] or logging.getLogger("websockets.server")
        self._close_timeout = options["close_timeout"]
        self._process_request = options["process_request"]
        self.socket = _SocketInfo(hub.local_addr)
        self._conns: Dict[int, ServerConnection] = {}
        self._stopped = threading.Event()
        self._threads: set = set()
        self._dispatcher = threading.Thread(target=self._dispatch, name="omnisock-server", daemon=True)
        self._dispatcher.start()

    def _spawn(self, target: Callable, *args: Any) -> None:
        t = threading.Thread(target=target, args=args, daemon=True)
        self._threads.add(t)
        t.start()

    def _dispatch(self) -> None:
        hub = self._hub
        while True:
            hub.wait(0.25)
            events = hub.poll(4096)
            for ev in events:
                k = ev[0]
                if k == EV_TEXT or k == EV_BINARY:
                    c = self._conns.get(ev[1])
                    if c is not None:
                        c._on_message(ev[2])
                elif k == EV_OPEN:
                    c = ServerConnection(self, *ev[1:])
                    self._conns[ev[1]] = c
                    self._spawn(self._run, c)
                elif k == EV_CLOSE:
                    c = self._conns.pop(ev[1], None)
                    if c is not None:
                        c._on_close(ev[2], ev[3], ev[4])
                elif k == EV_PONG:
                    c = self._conns.get(ev[1])
                    if c is not None:
                        c._on_pong(ev[2])
                elif k == EV_HANDSHAKE:
                    self._spawn(self._handshake, ServerConnection(self, *ev[1:]))
            if not events and hub.is_shut_down and not self._conns:
                break
        self._stopped.set()

    def _handshake(self, c: ServerConnection) -> None:
        try:
            r = self._process_request(c, c.request)
            if r is not None:
                send_response(self._hub, c._cid, r)
            else:
                self._hub.accept(c._cid, c.subprotocol)
        except NotFound:
            pass
        except Exception:
            self.logger.error("opening handshake failed", exc_info=True)
            try:
                send_response(self._hub, c._cid, c.respond(500, "Failed to open a WebSocket connection.\n"))
            except Exception:
                pass

    def _run(self, c: ServerConnection) -> None:
        try:
            if self._legacy:
                self.handler(c, c.request.path)
            else:
                self.handler(c)
        except Exception:
            self.logger.error("connection handler failed", exc_info=True)
            c.close(1011)
        else:
            c.close()
        finally:
            self._threads.discard(threading.current_thread())

    def serve_forever(self) -> None:
        """Blocks until :meth:`shutdown` (from another thread or a handler)."""
        while not self._stopped.wait(0.5):
            pass

    def shutdown(self) -> None:
        """Closes every connection (1001), stops the dispatcher, waits for handlers (bounded)."""
        self._hub.shutdown()
        self._stopped.wait(15)
        for t in list(self._threads):
            t.join(15)

    def fileno(self) -> int:
        return -1

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()


def serve(
    handler: Callable[..., Any],
    host: Optional[str] = None,
    port: Optional[int] = None,
    *,
    origins: Optional[Sequence[Optional[str]]] = None,
    subprotocols: Optional[Sequence[str]] = None,
    process_request: Optional[Callable] = None,
    ping_interval: Optional[float] = 20,
    ping_timeout: Optional[float] = 20,
    close_timeout: Optional[float] = 10,
    max_size: Optional[int] = 2**20,
    logger: Optional[logging.Logger] = None,
    ssl: Any = None,
    **kwargs: Any,
) -> Server:
    """Starts a threaded server; ``with serve(handler, host, port) as server: server.serve_forever()``."""
    cert, key = _tls_files(ssl)
    route = ("*", "host", 1 << 20, "drop_newest", list(subprotocols or []), process_request is not None)
    hub = _native.Hub(
        _listen_address(host, port),
        [route],
        max_size=max_size,
        origins=[o for o in (origins or []) if o is not None],
        tls_cert=cert,
        tls_key=key,
        ping_interval=ping_interval if ping_interval else None,
        pong_timeout=float(ping_timeout) if ping_timeout else 1e9,
        shutdown_timeout=float(close_timeout or 10),
    )
    return Server(hub, handler, dict(logger=logger, close_timeout=close_timeout, process_request=process_request))


def unix_serve(handler: Any = None, path: Optional[str] = None, **kwargs: Any) -> Any:
    """Unix sockets are served by the asyncio API only (``omnisock.asyncio.server.unix_serve``)."""
    if path is None and kwargs.get("sock") is None:
        raise ValueError("path was not specified, and no sock specified")
    if path is not None and kwargs.get("sock") is not None:
        raise ValueError("path and sock can not be specified at the same time")
    raise NotImplementedError("the threaded omnisock server listens on host:port only; use omnisock.asyncio.server.unix_serve")
