"""``omnisock.asyncio``: the same layout as ``websockets.asyncio``."""
