"""permessage-deflate between `omnisock hub` and the Python `websockets` client (which offers
compression by default): text and binary, large and fragmented messages, context takeover on
and off, a compressed broadcast, and a zip bomb from a raw client."""

import asyncio
import base64
import json
import os
import re
import socket
import struct
import urllib.request
import zlib

from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from conftest import wait_until

RECV_TIMEOUT = 30.0
BIG = 16 << 20  # the hub's default max_message_size


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), RECV_TIMEOUT)


def metrics(hub):
    with urllib.request.urlopen(hub.http + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^omnisock_(deflate_\w+) (\d+)$", text, re.M)}


def route_connections(hub, path):
    with urllib.request.urlopen(hub.http + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    m = re.search(r'^omnisock_route_connections\{path="%s",[^}]*\} (\d+)$' % re.escape(path), text, re.M)
    return int(m.group(1)) if m else 0


def json_records(n, seed=0):
    return json.dumps([{"id": i, "kind": "position", "x": (i * 7 + seed) % 101 / 4, "y": i % 13, "ok": True} for i in range(n)])


def extensions(ws):
    return ws.response.headers.get("Sec-WebSocket-Extensions")


def test_echo_negotiates_with_context_takeover_text_and_binary(hub):
    async def main():
        async with connect(hub.ws + "/echo", max_size=BIG) as ws:
            ext = extensions(ws)
            assert ext == "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12", ext
            for i in range(5):
                text = json_records(50, i)
                await ws.send(text)
                assert await recv(ws) == text
            blob = bytes(range(256)) * 40
            await ws.send(blob)
            assert await recv(ws) == blob
            await ws.send("short")
            assert await recv(ws) == "short"
        m = metrics(hub)
        assert m["deflate_connections"] >= 1
        # 5 texts and the binary went out compressed (not the short one), well below their size.
        assert m["deflate_messages_out"] == 6, m
        assert m["deflate_bytes_out"] * 3 < m["deflate_original_bytes_out"], m

    run(main())


def test_no_context_takeover_both_ways(hub):
    async def main():
        factory = ClientPerMessageDeflateFactory(server_no_context_takeover=True, client_no_context_takeover=True)
        async with connect(hub.ws + "/echo", extensions=[factory], compression=None, max_size=BIG) as ws:
            ext = extensions(ws)
            assert "server_no_context_takeover" in ext and "client_no_context_takeover" in ext, ext
            for i in range(5):
                text = json_records(80, i)
                await ws.send(text)
                assert await recv(ws) == text

    run(main())


def test_large_and_fragmented_messages(hub):
    async def main():
        async with connect(hub.ws + "/echo", max_size=BIG) as ws:
            big_text = json_records(60000)  # several MiB of JSON
            assert len(big_text) > 3 << 20
            await ws.send(big_text)
            assert await recv(ws) == big_text
            big_bin = os.urandom(1 << 20) * 3  # barely compressible at first, then repeats
            await ws.send(big_bin)
            assert await recv(ws) == big_bin
            # Fragmented: websockets compresses each fragment, RSV1 on the first only.
            parts = [json_records(30, i) for i in range(6)]
            await ws.send(iter(parts))
            assert await recv(ws) == "".join(parts)
            bparts = [bytes([i]) * 5000 for i in range(5)]
            await ws.send(iter(bparts))
            assert await recv(ws) == b"".join(bparts)

    run(main())


def test_compressed_broadcast_to_several_clients(hub):
    async def main():
        before = metrics(hub)
        clients = [await connect(hub.ws + "/chat", max_size=BIG) for _ in range(4)]
        plain = await connect(hub.ws + "/chat", compression=None, max_size=BIG)
        try:
            for ws in clients:
                ext = extensions(ws)
                assert ext.startswith("permessage-deflate; server_no_context_takeover"), ext
            assert extensions(plain) is None
            assert await asyncio.to_thread(wait_until, lambda: route_connections(hub, "/chat") == 5)
            messages = [json_records(100, i) for i in range(3)]
            for text in messages:
                await plain.send(text)
            for ws in clients + [plain]:
                for text in messages:
                    assert await recv(ws) == text
        finally:
            for ws in clients + [plain]:
                await ws.close()
        after = metrics(hub)
        sent = after["deflate_messages_out"] - before["deflate_messages_out"]
        made = after["deflate_compressions"] - before["deflate_compressions"]
        assert sent == 12, (before, after)
        assert made == 3, f"each broadcast compressed once for 4 subscribers, got {made} compressions"

    run(main())


def _raw_handshake(port, offer):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(
        (
            f"GET /echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: {offer}\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        assert chunk, "closed during the handshake"
        head += chunk
    head, rest = head.split(b"\r\n\r\n", 1)
    return s, head.decode(), rest


def _masked_frame(first_byte, payload):
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", first_byte, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", first_byte, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", first_byte, 0x80 | 127, n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + masked


def test_zip_bomb_from_a_raw_client_closes_with_1009(hub):
    s, head, rest = _raw_handshake(hub.port, "permessage-deflate; client_max_window_bits")
    try:
        assert head.startswith("HTTP/1.1 101"), head
        assert "permessage-deflate" in head
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        bomb = c.compress(b"\0" * (64 << 20)) + c.flush(zlib.Z_SYNC_FLUSH)
        assert bomb.endswith(b"\x00\x00\xff\xff")
        bomb = bomb[:-4]
        assert len(bomb) < 200_000
        s.sendall(_masked_frame(0x80 | 0x40 | 0x2, bomb))  # FIN, RSV1, binary
        data = rest
        while True:
            if len(data) >= 2:
                length = data[1] & 0x7F
                at = 2 + {126: 2, 127: 8}.get(length, 0)
                if length >= 126 and len(data) >= at:
                    length = int.from_bytes(data[2:at], "big")
                if len(data) >= at + length:
                    opcode = data[0] & 0x0F
                    if opcode == 0x8:
                        code = struct.unpack("!H", data[at:at + 2])[0]
                        break
                    data = data[at + length:]
                    continue
            chunk = s.recv(65536)
            assert chunk, "connection closed without a close frame"
            data += chunk
        assert code == 1009, code
    finally:
        s.close()
