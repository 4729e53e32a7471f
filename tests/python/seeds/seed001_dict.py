# Seed 001, second server (Tornado's dict of ids): "Your ID is: client0" on open, and
# "client1/hello" sends "hello" to client1 only. websockets API on omnisock.
# usage: seed001_dict.py PORT
import asyncio
import sys
import omnisock as websockets

client_prefix_string = "client"
server_client_dict = {}
client_counter = 0

async def handler(websocket):
    global client_counter
    key = client_prefix_string + str(client_counter)
    server_client_dict[key] = websocket
    client_counter += 1
    await websocket.send("Your ID is: " + key)
    try:
        async for message in websocket:
            client_id = message.split("/")[0]
            message_contents = message.split("/")[1]
            if client_id in server_client_dict:
                await server_client_dict[client_id].send(message_contents)
    finally:
        server_client_dict.pop(key, None)

async def main(port):
    async with websockets.serve(handler, "localhost", port):
        print("READY", flush=True)
        await asyncio.Future()

if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
