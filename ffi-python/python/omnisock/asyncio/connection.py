"""``omnisock.asyncio.connection``, as ``websockets.asyncio.connection``."""

from ..connection import Connection
from ..server import broadcast

__all__ = ["Connection", "broadcast"]
