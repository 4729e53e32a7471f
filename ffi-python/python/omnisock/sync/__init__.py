"""``omnisock.sync``: threaded client and server, as ``websockets.sync``."""
