"""Benchmark server on omnisock's websockets-compatible API: the same program as
bench/peers/websockets_server.py with only the import changed.

Usage: omnisock_server.py PORT [--uvloop]

  /echo        a Python handler: ``async for m in ws: await ws.send(m)``
  /ws/camera   every message goes to every other connection with ``broadcast()``
"""

import asyncio
import resource
import sys

from omnisock import broadcast, serve

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


async def main(port):
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    async with serve(handler, "127.0.0.1", port, max_size=2**24, compression=None) as server:
        print(f"listening on 127.0.0.1:{port}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop

        uvloop.install()
    asyncio.run(main(int(sys.argv[1])))
