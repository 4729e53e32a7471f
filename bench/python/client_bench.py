"""Client benchmarks: sequential round trips of 64-byte messages, and 1 MiB binary echo
throughput, against one echo server (the omnisock hub's zero-code /echo route, so every
client library talks to the same fast server).

Usage: client_bench.py LIB URL [--rtt SECONDS] [--large SECONDS] [--idle SECONDS] [--idle-clients N]
  LIB: omnisock | websockets | picows
Prints one JSON line: {"lib", "rtt_per_s", "rtt_p50_us", "rtt_p99_us", "pipelined_per_s",
"large_mb_per_s", "paced_cpu_us", "idle_cpu_ms", "idle_kib_per_client"}.

Pipelined: windows of 64 messages (64 sent, then their 64 echoes). Idle CPU: the process's CPU
time (every thread) over --idle seconds with one open client and nothing sent (default
keepalive). Idle memory: RSS growth over --idle-clients open clients. Every loop is bounded in
count and time.
"""

import asyncio
import json
import sys
import time

MSG = b"x" * 64
WINDOW = 64
PIPELINED = 100_000
PACED = 200  # round trips, one every PACED_GAP seconds: CPU per round trip of a mostly idle client
PACED_GAP = 0.005
LARGE = bytes(range(256)) * 4096  # 1 MiB


def pct(sorted_vals, p):
    return sorted_vals[min(len(sorted_vals) - 1, int(len(sorted_vals) * p))]


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wakeups():
    """Context switches of every thread of this process: each wake-up of a sleeping thread
    counts one, so over an idle window this counts timer and poll wake-ups."""
    import os

    total = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/status") as f:
                total += sum(int(l.split(":")[1]) for l in f if "ctxt_switches:" in l)
        except OSError:
            pass
    return total


async def idle_figures(open_client, close_client, idle_s, clients):
    """CPU ms and wake-ups/s of this process over idle_s with one open client; RSS KiB per open client."""
    c = await open_client()
    t0 = time.process_time()
    w0 = wakeups()
    await asyncio.sleep(idle_s)
    w1 = wakeups()
    cpu_ms = (time.process_time() - t0) * 1000
    wps = (w1 - w0) / idle_s if idle_s > 0 else 0.0
    # Idle memory: the first client stays open, so nothing it used is given back meanwhile.
    r0 = rss_kib()
    opened = [await open_client() for _ in range(clients)]
    await asyncio.sleep(0.3)
    per = (rss_kib() - r0) / max(1, clients)
    for o in opened + [c]:
        await close_client(o)
    return {"idle_cpu_ms": round(cpu_ms), "idle_wakeups_per_s": round(wps, 1), "idle_kib_per_client": round(per, 1)}


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
        c0 = time.process_time()
        for _ in range(PACED):
            await asyncio.sleep(PACED_GAP)
            await ws.send(MSG)
            await ws.recv()
        paced = (time.process_time() - c0) * 1e6 / PACED
        got = 0
        t0 = time.perf_counter()
        end = t0 + rtt_s
        while got < PIPELINED and time.perf_counter() < end:
            for _ in range(WINDOW):
                await ws.send(MSG)
            for _ in range(WINDOW):
                await ws.recv()
            got += WINDOW
        pipelined = got / (time.perf_counter() - t0)
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
    return n / rtt_elapsed, lat, paced, pipelined, total / large_elapsed / 1e6


async def bench_picows(url, rtt_s, large_s):
    from picows import WSListener, WSMsgType, ws_connect

    class L(WSListener):
        def __init__(self):
            self.fut = None
            self.buf = []
            self.want = 1

        def on_ws_frame(self, transport, frame):
            if frame.msg_type in (WSMsgType.BINARY, WSMsgType.CONTINUATION):
                self.buf.append(frame.get_payload_as_bytes())
                if frame.fin:
                    self.want -= 1
                    if self.want == 0 and self.fut is not None and not self.fut.done():
                        self.fut.set_result(b"".join(self.buf))
                    if self.want <= 0:
                        self.buf = []

    transport, listener = await ws_connect(L, url, max_frame_size=2**24)
    loop = asyncio.get_running_loop()

    async def roundtrip(data, k=1):
        listener.fut = loop.create_future()
        listener.want = k
        listener.buf = []
        for _ in range(k):
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
    c0 = time.process_time()
    for _ in range(PACED):
        await asyncio.sleep(PACED_GAP)
        await roundtrip(MSG)
    paced = (time.process_time() - c0) * 1e6 / PACED
    got = 0
    t0 = time.perf_counter()
    end = t0 + rtt_s
    while got < PIPELINED and time.perf_counter() < end:
        await roundtrip(MSG, WINDOW)
        got += WINDOW
    pipelined = got / (time.perf_counter() - t0)
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
    return n / rtt_s, lat, paced, pipelined, total / large_elapsed / 1e6


def idle_ws_api(mod, url):
    async def open_client():
        return await mod.connect(url, compression=None)

    async def close_client(ws):
        await ws.close()

    return open_client, close_client


def idle_picows(url):
    from picows import WSListener, ws_connect

    async def open_client():
        transport, _ = await ws_connect(WSListener, url)
        return transport

    async def close_client(transport):
        transport.send_close()
        transport.disconnect()

    return open_client, close_client


async def main():
    lib, url = sys.argv[1], sys.argv[2]
    rtt_s = float(sys.argv[sys.argv.index("--rtt") + 1]) if "--rtt" in sys.argv else 5.0
    large_s = float(sys.argv[sys.argv.index("--large") + 1]) if "--large" in sys.argv else 5.0
    idle_s = float(sys.argv[sys.argv.index("--idle") + 1]) if "--idle" in sys.argv else 0.0
    idle_n = int(sys.argv[sys.argv.index("--idle-clients") + 1]) if "--idle-clients" in sys.argv else 0
    if lib == "omnisock":
        import omnisock

        res = await bench_ws_api(omnisock, url, rtt_s, large_s)
        idle = idle_ws_api(omnisock, url)
    elif lib == "websockets":
        import websockets

        res = await bench_ws_api(websockets, url, rtt_s, large_s)
        idle = idle_ws_api(websockets, url)
    elif lib == "picows":
        res = await bench_picows(url, rtt_s, large_s)
        idle = idle_picows(url)
    else:
        raise SystemExit(f"unknown lib {lib}")
    rate, lat, paced, pipelined, mbps = res
    lat.sort()
    out = {
        "lib": lib,
        "rtt_per_s": round(rate),
        "rtt_p50_us": round(pct(lat, 0.5) * 1e6, 1),
        "rtt_p99_us": round(pct(lat, 0.99) * 1e6, 1),
        "paced_cpu_us": round(paced, 1),
        "pipelined_per_s": round(pipelined),
        "large_mb_per_s": round(mbps, 1),
    }
    if idle_s > 0 or idle_n > 0:
        out.update(await idle_figures(*idle, idle_s, idle_n))
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop

        uvloop.install()
    asyncio.run(main())
