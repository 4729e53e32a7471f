"""``omnisock.asyncio.server``, as ``websockets.asyncio.server``."""

from ..server import Server, ServerConnection, basic_auth, broadcast, serve, unix_serve

__all__ = ["serve", "unix_serve", "Server", "ServerConnection", "broadcast", "basic_auth"]
