# Seed 001, first server (Tornado's global list: every message goes to everyone, with a prefix),
# written with the websockets API and run on omnisock. usage: seed001_broadcast.py PORT
import asyncio
import sys
import omnisock as websockets

server_client_list = set()

async def handler(websocket):
    server_client_list.add(websocket)
    try:
        async for message in websocket:
            websockets.broadcast(server_client_list, "The server return anyone's message: " + message)
    finally:
        server_client_list.discard(websocket)

async def main(port):
    async with websockets.serve(handler, "localhost", port):
        print("READY", flush=True)
        await asyncio.Future()

if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
