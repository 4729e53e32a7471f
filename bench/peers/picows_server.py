"""Peer server for the omnisock benchmarks, built on `picows` (listener API).

Usage: picows_server.py PORT

Serves on 127.0.0.1:PORT:
  /echo        every frame is sent back to its sender (text stays text, binary stays binary)
  /ws/camera   every frame is sent to every other connection on that path

Routing is done in the listener factory from the upgrade request's path, as the
picows docs describe; unknown paths get 404.
"""

import asyncio
import resource
import sys

from picows import WSListener, WSMsgType, WSTransport, WSFrame, WSUpgradeRequest, ws_create_server


class EchoListener(WSListener):
    def on_ws_frame(self, transport: WSTransport, frame: WSFrame):
        if frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()
        else:
            transport.send(frame.msg_type, frame.get_payload_as_memoryview(), frame.fin)


CAMERA = set()


class CameraListener(WSListener):
    def on_ws_connected(self, transport: WSTransport):
        CAMERA.add(transport)

    def on_ws_disconnected(self, transport: WSTransport):
        CAMERA.discard(transport)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame):
        if frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()
            return
        if frame.msg_type in (WSMsgType.PING, WSMsgType.PONG):
            return
        payload = frame.get_payload_as_memoryview()
        for peer in CAMERA:
            if peer is not transport:
                peer.send(frame.msg_type, payload, frame.fin)


def route(request: WSUpgradeRequest):
    if request.path == b"/echo":
        return EchoListener()
    if request.path == b"/ws/camera":
        return CameraListener()
    return None  # 404


async def main(port):
    # Let the idle benchmark use every descriptor the hard limit allows.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    server = await ws_create_server(route, "127.0.0.1", port, max_frame_size=2**24)
    print(f"listening on 127.0.0.1:{port}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
