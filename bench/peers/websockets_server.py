"""Peer server for the omnisock benchmarks, built on Python `websockets` (asyncio API).

Usage: websockets_server.py PORT [deflate]

With `deflate`, permessage-deflate is negotiated with clients that offer it (websockets'
defaults); without, compression is off.

Serves on 127.0.0.1:PORT:
  /echo        every message is sent back to its sender (text stays text, binary stays binary)
  /ws/camera   every message is sent to every other connection on that path, with
               `websockets.broadcast` as the library's docs recommend for fan-out
"""

import asyncio
import resource
import sys

from websockets.asyncio.server import broadcast, serve

CAMERA = set()


async def echo(websocket):
    async for message in websocket:
        await websocket.send(message)


async def camera(websocket):
    CAMERA.add(websocket)
    try:
        async for message in websocket:
            broadcast([peer for peer in CAMERA if peer is not websocket], message)
    finally:
        CAMERA.discard(websocket)


async def handler(websocket):
    path = websocket.request.path
    if path == "/echo":
        await echo(websocket)
    elif path == "/ws/camera":
        await camera(websocket)
    else:
        await websocket.close(1008, "unknown path")


async def main(port, compression):
    # Let the idle benchmark use every descriptor the hard limit allows.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    async with serve(handler, "127.0.0.1", port, max_size=2**24, compression=compression) as server:
        print(f"listening on 127.0.0.1:{port}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), "deflate" if sys.argv[2:3] == ["deflate"] else None))
