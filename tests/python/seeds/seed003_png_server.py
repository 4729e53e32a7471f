# Seed 003 (bottle + PNG frames every 0.1 s) with the websockets API on omnisock: each client
# of /websocket gets chart0.png, chart1.png, ... as binary messages, one every 0.1 s.
# usage: seed003_png_server.py FRAMES_DIR COUNT PORT
import asyncio
import sys
import omnisock as websockets

frames_dir, count, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

async def echo(ws):
    img_id = 0
    while img_id < count:
        with open(frames_dir + "/chart" + str(img_id) + ".png", "rb") as f:
            contents = f.read()
        await ws.send(contents)
        img_id = img_id + 1
        await asyncio.sleep(0.1)
    await ws.wait_closed()

async def main():
    async with websockets.serve(echo, "localhost", port):
        print("READY", flush=True)
        await asyncio.Future()

asyncio.run(main())
