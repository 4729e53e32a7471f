"""``omnisock.legacy.server``, as ``websockets.legacy.server``: ``serve`` and ``unix_serve`` with
legacy ``(websocket, path)`` handlers and ``create_protocol=basic_auth_protocol_factory(...)``."""

from __future__ import annotations

from typing import Any, Callable

from .. import server as _server
from ..server import ServerConnection as WebSocketServerProtocol
from .auth import BasicAuth

__all__ = ["serve", "unix_serve", "WebSocketServerProtocol"]


def _options(kwargs: dict) -> dict:
    create = kwargs.pop("create_protocol", None)
    if create is None:
        return kwargs
    if not isinstance(create, BasicAuth):
        raise NotImplementedError("omnisock has no protocol classes; create_protocol= takes basic_auth_protocol_factory(...) only")
    if kwargs.get("process_request") is not None:
        raise NotImplementedError("create_protocol=basic_auth_protocol_factory(...) cannot be combined with process_request=")
    kwargs["process_request"] = create.process_request()
    return kwargs


def serve(handler: Callable, host: Any = None, port: Any = None, **kwargs: Any) -> _server.serve:
    """Starts a server (see :func:`omnisock.serve`)."""
    return _server.serve(handler, host, port, **_options(kwargs))


def unix_serve(handler: Callable, path: Any = None, **kwargs: Any) -> _server.serve:
    """Starts a server on a Unix socket (see :func:`omnisock.asyncio.server.unix_serve`)."""
    return _server.unix_serve(handler, path, **_options(kwargs))
