# Seed 001 on the native hub: /ws_multi_client (host route: prefix + fan-out in Rust),
# /ws_multi_client_dict (host route: ids and "id/message" addressing), and /ws_zero_code
# (a zero-code broadcast route). usage: seed001_hub.py PORT
import asyncio
import sys
import omnisock
from omnisock.hub import Close, Message, Open

async def main(port):
    hub = omnisock.Hub(f"127.0.0.1:{port}", routes={
        "/ws_multi_client": "host",
        "/ws_multi_client_dict": "host",
        "/ws_zero_code": "broadcast",
    })
    ids = {}      # "client0" -> conn
    paths = {}    # conn -> path
    counter = 0
    print("READY", flush=True)
    async for ev in hub.events():
        if isinstance(ev, Open):
            paths[ev.conn] = ev.path
            if ev.path == "/ws_multi_client_dict":
                key = "client" + str(counter)
                counter += 1
                ids[key] = ev.conn
                hub.send(ev.conn, "Your ID is: " + key)
        elif isinstance(ev, Message):
            if paths.get(ev.conn) == "/ws_multi_client":
                hub.broadcast("/ws_multi_client", "The server return anyone's message: " + ev.data)
            else:
                client_id, contents = ev.data.split("/")[0], ev.data.split("/")[1]
                if client_id in ids:
                    hub.send(ids[client_id], contents)
        elif isinstance(ev, Close):
            paths.pop(ev.conn, None)
            for k, v in list(ids.items()):
                if v == ev.conn:
                    del ids[k]

if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
