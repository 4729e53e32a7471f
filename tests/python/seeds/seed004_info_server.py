#!/usr/bin/env python
# Seed 004's "Avoir des informations sur la communication": remote_address and open, in the
# same run_until_complete + run_forever program shape.
import asyncio
import omnisock as websockets
async def hello(websocket, path):
    print("remote_address", websocket.remote_address)
    print("open", websocket.open)
    while True:
        message = await websocket.recv()
        await websocket.send("reçu: " + message)
start_server = websockets.serve(hello, 'localhost', 8765)
loop = asyncio.get_event_loop()
loop.run_until_complete(start_server)
loop.run_forever()
