"""``omnisock.asyncio.client``, as ``websockets.asyncio.client``."""

from ..client import MAX_REDIRECTS, ClientConnection, connect, unix_connect

__all__ = ["connect", "unix_connect", "ClientConnection"]
