#!/usr/bin/env python3
"""Python benchmarks: omnisock's websockets-compatible API against `websockets` and `picows`,
on this machine, with the same load generator (target/release/omnisock-loadgen).

    python3 bench/python/run.py            # about 6 minutes; writes bench/python/RESULTS.md
    python3 bench/python/run.py --quick    # smoke run

Needs: `cargo build --release` (loadgen, omnisock CLI) and the wheel built by
tests/python/run.sh (target/py-wheels). It makes target/py-bench-venv with the wheel and
bench/python/requirements.txt.

Scenarios (each server a fresh process, loadgen measures the server's CPU time):
  echo        server echo with a Python handler (`async for m in ws: await ws.send(m)`):
              50 connections, 16 messages of 64 B in flight each -> msgs/s
  fanout-200  one publisher at 200 msgs/s to 1,000 subscribers, server uses broadcast()
              -> deliveries/s and p99 latency
  fanout-sat  the same, publishing as fast as the window allows -> deliveries/s, server
              CPU µs per delivery
  client      one client, sequential 64 B round trips (/s, p50, p99), pipelined 64 B,
              1 MiB binary echo (MB/s), idle CPU and memory, against the omnisock hub's
              /echo route (the same server for every client); the libraries interleaved,
              --rounds times, the order rotating each round

    python3 bench/python/run.py --clients-only --rounds 5   # the client table alone (~4 min)
"""

import argparse
import datetime
import glob
import json
import os
import platform
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
LOADGEN = os.path.join(TARGET, "release", "omnisock-loadgen")
HUB = os.path.join(TARGET, "release", "omnisock")
VENV = os.path.join(TARGET, "py-bench-venv")
PY = os.path.join(VENV, "bin", "python")
PEERS = os.path.join(ROOT, "bench", "peers")
sys.path.insert(0, os.path.dirname(HERE))
import clientcmp  # noqa: E402


def rel(p):
    return os.path.relpath(p, ROOT)


def ensure_venv():
    wheels = sorted(glob.glob(os.path.join(TARGET, "py-wheels", "omnisock-*.whl")))
    if not wheels:
        raise SystemExit("no wheel in target/py-wheels: run tests/python/run.sh (or maturin build) first")
    wheel = wheels[-1]
    stamp = os.path.join(VENV, ".stamp")
    want = f"{wheel}:{os.path.getmtime(wheel)}:{open(os.path.join(HERE, 'requirements.txt')).read()}"
    if os.path.exists(stamp) and open(stamp).read() == want:
        return
    subprocess.run(["rm", "-rf", VENV], check=True)
    subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    pip = [os.path.join(VENV, "bin", "pip"), "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + ["-r", os.path.join(HERE, "requirements.txt")], check=True)
    subprocess.run(pip + [wheel], check=True)
    open(stamp, "w").write(want)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVERS = {
    "omnisock": lambda port: [PY, os.path.join(HERE, "omnisock_server.py"), str(port)],
    "omnisock+uvloop": lambda port: [PY, os.path.join(HERE, "omnisock_server.py"), str(port), "--uvloop"],
    "websockets": lambda port: [PY, os.path.join(PEERS, "websockets_server.py"), str(port)],
    "picows": lambda port: [PY, os.path.join(PEERS, "picows_server.py"), str(port)],
}


class Server:
    def __init__(self, name):
        self.port = free_port()
        self.cmd = SERVERS[name](self.port) if name in SERVERS else [HUB, "hub", "--listen", f"127.0.0.1:{self.port}"]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit(f"server {name} exited: {self.proc.stdout.read()}")
                time.sleep(0.05)
        raise SystemExit(f"server {name} did not start")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def loadgen(args, timeout):
    out = subprocess.run([LOADGEN, *args], capture_output=True, text=True, timeout=timeout)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"error": (out.stderr or out.stdout).strip()[-300:]}
    return json.loads(lines[-1])


def run_server_scenarios(quick, servers):
    d = 3.0 if quick else 8.0
    subs = 200 if quick else 1000
    results = {}
    commands = {}
    for scen in ("echo", "fanout-200", "fanout-sat"):
        for name in servers:
            srv = Server(name)
            url = f"ws://127.0.0.1:{srv.port}"
            try:
                if scen == "echo":
                    args = ["echo", "--url", url, "--pid", str(srv.proc.pid), "--conns", "50", "--inflight", "16",
                            "--size", "64", "--warmup", "1", "--duration", str(d)]
                elif scen == "fanout-200":
                    args = ["fanout", "--url", url, "--pid", str(srv.proc.pid), "--subs", str(subs), "--rate", "200",
                            "--duration", str(d), "--drain", "5"]
                else:
                    args = ["fanout", "--url", url, "--pid", str(srv.proc.pid), "--subs", str(subs), "--rate", "0",
                            "--duration", str(d), "--drain", "5"]
                commands[scen] = f"{rel(LOADGEN)} " + " ".join(a if not a.startswith("ws://") else "ws://127.0.0.1:PORT" for a in args if a != str(srv.proc.pid)).replace("--pid ", "--pid SERVER_PID ")
                results[(scen, name)] = loadgen(args, d + 120)
                print(scen, name, json.dumps(results[(scen, name)]), flush=True)
            finally:
                srv.stop()
    return results, commands


def run_client_scenarios(quick, libs, rounds):
    secs = "2" if quick else "3"
    idle = "2" if quick else "10"
    commands = {"__hub__": HUB}
    for lib in libs:
        commands[lib] = (lambda lib: lambda url: [PY, os.path.join(HERE, "client_bench.py"), lib, url, "--rtt", secs,
                                                  "--large", secs, "--idle", idle, "--idle-clients", "50"])(lib)
    runs = clientcmp.interleave(commands, rounds, 4 * float(secs) + float(idle) + 120)
    cmd = f"client_bench.py LIB ws://127.0.0.1:PORT/echo --rtt {secs} --large {secs} --idle {idle} --idle-clients 50"
    return runs, cmd


def fmt(v, digits=0):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def client_section(client_res, libs):
    runs, cmd = client_res
    pairs = [("omnisock", p) for p in libs if p != "omnisock" and "omnisock" in libs]
    rounds = max((len(v) for v in runs.values()), default=0)
    return ["", "## Clients (one connection to `omnisock hub`'s /echo route)", "",
            f"{rounds} interleaved rounds (the order rotates each round), one fresh client process per run, one hub for",
            "all. Each cell: median (min–max) over the rounds; ratios > 1 mean omnisock is better (faster, lower",
            "latency, less). Pipelined: windows of 64 messages. Idle CPU: the client process's CPU time with one open",
            "client and nothing sent (default keepalive); idle memory: RSS growth over 50 open clients.",
            f"Machine: {clientcmp.machine_note()}.", "",
            clientcmp.table(runs, {}, pairs), "",
            f"Command: `target/py-bench-venv/bin/python bench/python/{cmd}`", ""]


def write_client_results(client_res, libs, rounds, path):
    """Replaces the client section of an existing RESULTS.md (the server tables stay), or
    writes a file with the client section alone."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = client_section(client_res, libs)[1:]
    section.insert(2, f"{now} · Python {platform.python_version()} · `python3 bench/python/run.py --clients-only --rounds {rounds}`.")
    section.insert(3, "")
    errors = clientcmp.errors(client_res[0])
    if errors:
        section += ["Errors:", ""] + errors + [""]
    old = open(path).read() if os.path.exists(path) else "# Python benchmarks\n"
    head = old.split("\n## Clients")[0].rstrip("\n")
    rest = old.split("\n## Clients", 1)[1] if "\n## Clients" in old else ""
    tail = ("\n## " + rest.split("\n## ", 1)[1]) if "\n## " in rest else ""
    text = head + "\n\n" + "\n".join(section).rstrip("\n") + "\n" + tail
    open(path, "w").write(text)
    print("\n".join(section))
    print("wrote", rel(path))


def write_results(server_res, commands, client_res, servers, libs, quick, path):
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    cpu = os.cpu_count()
    lines = [
        "# Python benchmarks",
        "",
        f"{now} · {platform.machine()} · {cpu} cores · Python {platform.python_version()} · "
        f"{'quick run' if quick else 'full run'} · `python3 bench/python/run.py{' --quick' if quick else ''}`",
        "",
        "Loopback only; load generator `omnisock-loadgen` (Rust) on the same machine, so the server, the",
        "load generator and the kernel share 2 cores. Each row is one fresh server process.",
        "",
        "## Servers (same load generator for all)",
        "",
        "| server | echo msgs/s (Python handler) | broadcast 1,000 @200/s: deliveries/s | p99 ms | saturated broadcast deliveries/s | server CPU µs/delivery |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in servers:
        e = server_res.get(("echo", name), {})
        f = server_res.get(("fanout-200", name), {})
        s = server_res.get(("fanout-sat", name), {})
        p99 = f.get("lat_p99_us")
        lines.append(
            f"| {name} | {fmt(e.get('msgs_per_s'))} | {fmt(f.get('deliveries_per_s'))} | "
            f"{fmt(p99 / 1000 if p99 is not None else None, 2)} | {fmt(s.get('deliveries_per_s'))} | "
            f"{fmt(s.get('server_cpu_us_per_delivery'), 2)} |"
        )
    lines += ["", "Commands (server started with `bench/python/omnisock_server.py PORT` [--uvloop],",
              "`bench/peers/websockets_server.py PORT`, `bench/peers/picows_server.py PORT`):", ""]
    for scen, c in commands.items():
        lines.append(f"- {scen}: `{c}`")
    lines += client_section(client_res, libs)
    errors = [f"- {k}: {v['error']}" for k, v in server_res.items() if isinstance(v, dict) and v.get("error")]
    errors += clientcmp.errors(client_res[0])
    if errors:
        lines += ["## Errors", ""] + errors + [""]
    open(path, "w").write("\n".join(lines))
    print("wrote", rel(path))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--servers", default="omnisock,omnisock+uvloop,websockets,picows")
    ap.add_argument("--clients", default="omnisock,websockets,picows")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the client scenario")
    ap.add_argument("--clients-only", action="store_true", help="run only the client scenario")
    a = ap.parse_args()
    for exe in (LOADGEN, HUB):
        if not os.path.exists(exe):
            raise SystemExit(f"{rel(exe)} is missing: cargo build --release --workspace")
    ensure_venv()
    servers = a.servers.split(",")
    libs = a.clients.split(",")
    if a.clients_only:
        write_client_results(run_client_scenarios(a.quick, libs, a.rounds), libs, a.rounds, a.out)
        return
    server_res, commands = run_server_scenarios(a.quick, servers)
    client_res = run_client_scenarios(a.quick, libs, a.rounds)
    write_results(server_res, commands, client_res, servers, libs, a.quick, a.out)
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "collect.py")], check=False)


if __name__ == "__main__":
    main()
