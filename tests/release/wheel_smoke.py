"""Uses the released x86_64 wheel, installed into a fresh venv: the native hub serves a
`websockets` client and omnisock's own client (echo round trips, text and binary)."""
import asyncio
import sys

import omnisock
import websockets


async def main():
    async with omnisock.Hub(routes={"/echo": "echo"}) as hub:
        async with websockets.connect(hub.url("/echo")) as ws:
            await ws.send("from websockets")
            assert await asyncio.wait_for(ws.recv(), 20) == "from websockets"
        async with omnisock.connect(hub.url("/echo")) as c:
            await c.send(b"\x00\x01binary")
            assert await asyncio.wait_for(c.recv(), 20) == b"\x00\x01binary"
    print("ok   - omnisock %s wheel from %s: hub + both clients" % (omnisock.__version__, omnisock.__file__))


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
