"""``omnisock.legacy.client``, as ``websockets.legacy.client``: ``connect`` and ``unix_connect``
(the current client; ``extra_headers=`` is accepted as in the legacy API)."""

from ..client import ClientConnection as WebSocketClientProtocol
from ..client import connect, unix_connect

__all__ = ["connect", "unix_connect", "WebSocketClientProtocol"]
