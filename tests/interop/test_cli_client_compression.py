"""`omnisock connect --compression` against a `websockets` server with permessage-deflate:
text and binary, large and fragmented messages, both directions, context takeover on and off."""

import pytest
from websockets.extensions.permessage_deflate import PerMessageDeflate, ServerPerMessageDeflateFactory

from test_cli_client_with_websockets_server import Client, Server, cleanup  # noqa: F401 (fixture)

LINE = "omnisock and websockets agree on permessage-deflate. "
BIG_TEXT = (LINE * 4000).strip()  # ~212 KB, one line, very compressible
FRAGMENTS = ["first fragment κόσμε " * 300, "second " * 500, "third and last"]


async def compressed_session(ws, record):
    ext = [e for e in ws.protocol.extensions if isinstance(e, PerMessageDeflate)]
    record(("extensions", [(e.remote_no_context_takeover, e.local_no_context_takeover) for e in ext]))
    await ws.send(BIG_TEXT)
    await ws.send(bytes(range(256)) * 1000)
    await ws.send(iter(FRAGMENTS))  # one message in three frames, compressed as one stream
    await ws.send("small")
    async for msg in ws:
        record(("message", msg))
        await ws.send("got " + str(len(msg)))


@pytest.mark.parametrize("takeover", [True, False], ids=["context-takeover", "no-context-takeover"])
def test_compressed_messages_both_ways(cleanup, takeover):  # noqa: F811
    factory = ServerPerMessageDeflateFactory(
        server_no_context_takeover=not takeover,
        client_no_context_takeover=not takeover,
        server_max_window_bits=12,
        client_max_window_bits=12,
        compress_settings={"memLevel": 5},
    )
    server = Server(compressed_session, compression=None, extensions=[factory])
    cleanup.append(server)
    args = ["--compression", "--compression-threshold", "100"]
    if not takeover:
        args.append("--no-context-takeover")
    client = Client(f"ws://127.0.0.1:{server.port}/", *args)
    cleanup.append(client)

    kind, ext = server.next_event()
    assert kind == "extensions"
    assert ext == [(not takeover, not takeover)], "permessage-deflate negotiated with the asked takeover"
    assert client.expect_line() == BIG_TEXT
    assert client.expect_line() == "<binary 256000 bytes>"
    assert client.expect_line() == "".join(FRAGMENTS)
    assert client.expect_line() == "small"
    # Client to server: large compressed texts (the second one after context was built), a short
    # one under the threshold.
    for line in [BIG_TEXT, BIG_TEXT[::-1], "tiny"]:
        client.send_line(line)
        assert server.next_event() == ("message", line)
        assert client.expect_line() == f"got {len(line)}"
    client.close_stdin()
    assert client.wait() == 0, "".join(client.stderr)
    assert server.next_event() == ("closed", 1000, "")


def test_websockets_default_server_accepts_the_default_offer(cleanup):  # noqa: F811
    # websockets' serve() negotiates permessage-deflate by default (window 12 bits both ways).
    server = Server(compressed_session)
    cleanup.append(server)
    client = Client(f"ws://127.0.0.1:{server.port}/", "--compression")
    cleanup.append(client)
    kind, ext = server.next_event()
    assert (kind, ext) == ("extensions", [(False, False)])
    assert client.expect_line() == BIG_TEXT
    assert client.expect_line() == "<binary 256000 bytes>"
    assert client.expect_line() == "".join(FRAGMENTS)
    assert client.expect_line() == "small"
    client.send_line(BIG_TEXT)
    assert server.next_event() == ("message", BIG_TEXT)
    client.close_stdin()
    assert client.wait() == 0, "".join(client.stderr)


def test_without_the_flag_nothing_is_negotiated(cleanup):  # noqa: F811
    server = Server(compressed_session)
    cleanup.append(server)
    client = Client(f"ws://127.0.0.1:{server.port}/")
    cleanup.append(client)
    assert server.next_event() == ("extensions", [])
    assert client.expect_line() == BIG_TEXT
    client.close_stdin()
    assert client.wait() == 0, "".join(client.stderr)
