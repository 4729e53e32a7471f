"""Client benchmarks: sequential round trips of 64-byte messages, and 1 MiB binary echo
throughput, against one echo server (the omnisock hub's zero-code /echo route, so every
client library talks to the same fast server).

Usage: client_bench.py LIB URL [--rtt SECONDS] [--large SECONDS]
  LIB: omnisock | websockets | picows
Prints one JSON line: {"lib", "rtt_per_s", "rtt_p50_us", "rtt_p99_us", "large_mb_per_s"}.
"""

import asyncio
import json
import sys
import time

MSG = b"x" * 64
LARGE = bytes(range(256)) * 4096  # 1 MiB


def pct(sorted_vals, p):
    return sorted_vals[min(len(sorted_vals) - 1, int(len(sorted_vals) * p))]


async def bench_ws_api(mod, url, rtt_s, large_s):
    async with mod.connect(url, max_size=2**24, compression=None) as ws:
        lat = []
        end = time.perf_counter() + rtt_s
        n = 0
        while n < 2_000_000:
            t = time.perf_counter()
            if t >= end:
                break
            await ws.send(MSG)
            await ws.recv()
            lat.append(time.perf_counter() - t)
            n += 1
        rtt_elapsed = rtt_s
        total = 0
        t0 = time.perf_counter()
        end = t0 + large_s
        k = 0
        while time.perf_counter() < end and k < 100_000:
            await ws.send(LARGE)
            r = await ws.recv()
            total += len(r)
            k += 1
        large_elapsed = time.perf_counter() - t0
    return n / rtt_elapsed, lat, total / large_elapsed / 1e6


async def bench_picows(url, rtt_s, large_s):
    from picows import WSListener, WSMsgType, ws_connect

    class L(WSListener):
        def __init__(self):
            self.fut = None
            self.buf = []

        def on_ws_frame(self, transport, frame):
            if frame.msg_type in (WSMsgType.BINARY, WSMsgType.CONTINUATION):
                self.buf.append(frame.get_payload_as_bytes())
                if frame.fin and self.fut is not None and not self.fut.done():
                    self.fut.set_result(b"".join(self.buf))
                    self.buf = []

    transport, listener = await ws_connect(L, url, max_frame_size=2**24)
    loop = asyncio.get_running_loop()

    async def roundtrip(data):
        listener.fut = loop.create_future()
        transport.send(WSMsgType.BINARY, data)
        return await listener.fut

    lat = []
    n = 0
    end = time.perf_counter() + rtt_s
    while n < 2_000_000:
        t = time.perf_counter()
        if t >= end:
            break
        await roundtrip(MSG)
        lat.append(time.perf_counter() - t)
        n += 1
    total = 0
    t0 = time.perf_counter()
    end = t0 + large_s
    k = 0
    while time.perf_counter() < end and k < 100_000:
        total += len(await roundtrip(LARGE))
        k += 1
    large_elapsed = time.perf_counter() - t0
    transport.send_close()
    transport.disconnect()
    return n / rtt_s, lat, total / large_elapsed / 1e6


async def main():
    lib, url = sys.argv[1], sys.argv[2]
    rtt_s = float(sys.argv[sys.argv.index("--rtt") + 1]) if "--rtt" in sys.argv else 5.0
    large_s = float(sys.argv[sys.argv.index("--large") + 1]) if "--large" in sys.argv else 5.0
    if lib == "omnisock":
        import omnisock

        res = await bench_ws_api(omnisock, url, rtt_s, large_s)
    elif lib == "websockets":
        import websockets

        res = await bench_ws_api(websockets, url, rtt_s, large_s)
    elif lib == "picows":
        res = await bench_picows(url, rtt_s, large_s)
    else:
        raise SystemExit(f"unknown lib {lib}")
    rate, lat, mbps = res
    lat.sort()
    print(json.dumps({
        "lib": lib,
        "rtt_per_s": round(rate),
        "rtt_p50_us": round(pct(lat, 0.5) * 1e6, 1),
        "rtt_p99_us": round(pct(lat, 0.99) * 1e6, 1),
        "large_mb_per_s": round(mbps, 1),
    }), flush=True)


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop

        uvloop.install()
    asyncio.run(main())
