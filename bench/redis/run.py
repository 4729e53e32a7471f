#!/usr/bin/env python3
"""Cross-node fan-out through Redis: omnisock (3 hub processes, one Redis) against one omnisock
hub alone, and against Django Channels + daphne + channels_redis on the same Redis.

    python3 bench/redis/run.py                  # everything (builds first)
    python3 bench/redis/run.py --skip-django    # omnisock only
    python3 bench/redis/run.py --subs 1000 --rate 200 --duration 10

Needs redis-server (Debian package) and, for the peer, bench/redis/.venv with Django,
channels, channels_redis and daphne (bench/redis/setup.sh). Loopback only. Writes
bench/redis/results.json and prints a Markdown table.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REL = os.path.join(ROOT, "target", "release")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, limit=20.0):
    end = time.time() + limit
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on port {port}")


class Procs:
    def __init__(self):
        self.procs = []

    def start(self, args, **kw):
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, **kw)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = []


def start_hub(procs, tmp, name, backplane, prefix):
    cfg = os.path.join(tmp, f"{name}.toml")
    with open(cfg, "w") as f:
        f.write('listen = "127.0.0.1:0"\nmax_connections = 20000\n')
        if backplane:
            f.write(f'backplane = "{backplane}"\nbackplane_prefix = "{prefix}"\n')
        f.write('[[route]]\npath = "/ws/camera"\nkind = "relay"\nqueue_limit = "4MiB"\n')
    p = procs.start([os.path.join(REL, "omnisock"), "hub", "--config", cfg], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"listening on http://([0-9.:]+)/", line)
    if not m:
        raise RuntimeError(f"hub {name}: {line!r}")
    return m.group(1), p


def fanout(sub_urls, pub_url, a, drain, burst=1000):
    args = [os.path.join(REL, "redis-fanout"), "--pub", pub_url, "--subs-per-node", str(a.subs), "--burst", str(burst),
            "--rate", str(a.rate), "--duration", str(a.duration), "--drain", str(drain), "--threads", "1"]
    for u in sub_urls:
        args += ["--sub", u]
    out = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"redis-fanout failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def status(addr):
    with urllib.request.urlopen(f"http://{addr}/_omnisock/status", timeout=5) as r:
        return json.load(r)


def run_omnisock_cluster(a, redis_url, tmp):
    procs = Procs()
    try:
        hubs = [start_hub(procs, tmp, f"node{i}", redis_url, "bench") for i in range(3)]
        urls = [f"ws://{addr}/ws/camera" for addr, _ in hubs]
        r = fanout(urls, urls[0], a, drain=10)
        bps = [status(addr)["backplane_state"] for addr, _ in hubs]
        r["backplane_losses"] = sum(bp["counters"][k] for bp in bps for k in ("missed", "publish_failed", "publish_dropped"))
        r["hub_drops"] = sum(status(addr)["counters"][k] for addr, _ in hubs for k in ("dropped_oldest", "dropped_newest", "slow_consumer_closes"))
        return r
    finally:
        procs.stop_all()


def run_omnisock_single(a, tmp, total_subs):
    procs = Procs()
    try:
        addr, _ = start_hub(procs, tmp, "single", None, None)
        url = f"ws://{addr}/ws/camera"
        b = argparse.Namespace(**vars(a))
        b.subs = total_subs
        return fanout([url], url, b, drain=10)
    finally:
        procs.stop_all()


def run_django(a, redis_url, tmp, nodes, burst):
    venv = os.path.join(HERE, ".venv", "bin")
    if not os.path.exists(os.path.join(venv, "daphne")):
        raise RuntimeError("bench/redis/.venv has no daphne: run bench/redis/setup.sh")
    procs = Procs()
    try:
        env = dict(os.environ, REDIS_URL=redis_url, PYTHONPATH=HERE)
        ports = []
        for i in range(nodes):
            port = free_port()
            procs.start([os.path.join(venv, "daphne"), "-b", "127.0.0.1", "-p", str(port), "django_peer.asgi:application"],
                        cwd=HERE, env=env, stdout=open(os.path.join(tmp, f"daphne{i}.log"), "w"), stderr=subprocess.STDOUT)
            ports.append(port)
        for p in ports:
            wait_port(p)
        urls = [f"ws://127.0.0.1:{p}/ws/camera" for p in ports]
        return fanout(urls, f"ws://127.0.0.1:{ports[0]}/ws/pub", a, drain=a.django_drain, burst=burst)
    finally:
        procs.stop_all()


def versions():
    out = {}
    try:
        out["redis"] = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    except Exception:
        pass
    py = os.path.join(HERE, ".venv", "bin", "python")
    if os.path.exists(py):
        code = "import importlib.metadata as m; print(' '.join(p + '=' + m.version(p) for p in ['django','channels','channels_redis','daphne','redis']))"
        out["python_peer"] = subprocess.run([py, "-c", code], capture_output=True, text=True).stdout.strip()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subs", type=int, default=1000, help="subscribers per node")
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--django-drain", type=float, default=60, help="seconds to wait for Django's late deliveries")
    ap.add_argument("--skip-django", action="store_true")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--only", choices=["cluster", "single", "django"], action="append", help="run only these parts")
    ap.add_argument("--out", default=os.path.join(HERE, "results.json"))
    a = ap.parse_args()
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "omnisock-cli", "-p", "omnisock-bench-redis"], cwd=ROOT, check=True)
    redis_server = shutil.which("redis-server")
    if not redis_server:
        sys.exit("redis-server not found (Debian: apt-get install redis-server)")
    tmp = tempfile.mkdtemp(prefix="omnisock-bench-redis.")
    port = free_port()
    redis = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                              "--dir", tmp, "--logfile", os.path.join(tmp, "redis.log")], stdin=subprocess.DEVNULL)
    results = {"params": {"subs_per_node": a.subs, "rate": a.rate, "duration_s": a.duration, "size": 64}, "versions": versions(), "cores": os.cpu_count()}
    try:
        wait_port(port)
        redis_url = f"redis://127.0.0.1:{port}/"
        want = set(a.only or ["cluster", "single", "django"])
        if "cluster" in want:
            print("omnisock: 3 nodes, one Redis ...", flush=True)
            results["omnisock_3_nodes"] = run_omnisock_cluster(a, redis_url, tmp)
        if "single" in want:
            print("omnisock: 1 node, same total subscribers ...", flush=True)
            results["omnisock_1_node_same_total"] = run_omnisock_single(a, tmp, 3 * a.subs)
            print("omnisock: 1 node, subscribers of one node ...", flush=True)
            results["omnisock_1_node"] = run_omnisock_single(a, tmp, a.subs)
        if "django" in want and not a.skip_django:
            print("Django Channels: 1 daphne, channels_redis ...", flush=True)
            print("Django Channels: 1 daphne, channels_redis, 1,000-connection burst ...", flush=True)
            results["django_1_node_burst"] = run_django(a, redis_url + "0", tmp, 1, 1000)
            print("Django Channels: 1 daphne, channels_redis, connects 25 at a time ...", flush=True)
            results["django_1_node"] = run_django(a, redis_url + "0", tmp, 1, 25)
    finally:
        redis.terminate()
        redis.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)
    with open(a.out, "w") as f:
        json.dump(results, f, indent=2)
    print("\n| setup | subscribers | deliveries/s | p50 ms | p99 ms | loss | handshake failures |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for key, label in [("omnisock_3_nodes", "omnisock, 3 nodes + Redis"), ("omnisock_1_node_same_total", "omnisock, 1 node"),
                       ("omnisock_1_node", "omnisock, 1 node"),
                       ("django_1_node_burst", "Django Channels + channels_redis, 1 daphne, 1,000-connection burst"),
                       ("django_1_node", "Django Channels + channels_redis, 1 daphne, connects 25 at a time")]:
        r = results.get(key)
        if r:
            print(f"| {label} | {r['subs']} | {r['deliveries_per_s']:.0f} | {r['lat_p50_ms']} | {r['lat_p99_ms']} | {r['loss']} | {r['handshake_failures']} |")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
