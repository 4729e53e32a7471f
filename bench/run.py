#!/usr/bin/env python3
"""Runs the omnisock hub benchmarks side by side and writes bench/hub/RESULTS.md (then
bench/collect.py rebuilds bench/RESULTS.md from every benchmark's results).

Every scenario is run against every server, servers interleaved within each
repeat (and their order rotated between repeats), each on a freshly started
process. Results are the median over the repeats with the min-max spread.

    python3 bench/run.py                  # full run, 3 repeats (about 25 minutes)
    python3 bench/run.py --quick          # smoke run: short, smaller, 1 repeat
    python3 bench/run.py --scenarios echo,fanout --servers omnisock,ws --repeat 5

See bench/README.md for what each scenario measures.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
LOADGEN = os.path.join(ROOT, "target", "release", "omnisock-loadgen")
HUB = os.path.join(ROOT, "target", "release", "omnisock")
VENV_PY = os.path.join(BENCH, ".venv", "bin", "python")
PEERS = os.path.join(BENCH, "peers")

SERVERS = ["omnisock", "websockets", "picows", "ws"]
SERVER_LABEL = {
    "omnisock": "omnisock hub",
    "websockets": "Python websockets",
    "websockets-deflate": "Python websockets (compression=\"deflate\")",
    "picows": "Python picows",
    "ws": "Node ws",
}
SCENARIOS = ["echo", "echo-large", "fanout", "fanout-sat", "idle", "idle-max"]


# The hub binary a run uses: a copy taken at the start, so that a rebuild during
# the run cannot mix two versions into one report.
HUB_COPY = [HUB]
# --baseline: another omnisock binary (e.g. the previous commit's) measured as server "baseline".
BASELINE = [None]


def server_command(name, port, hub=None):
    """The command line that starts server `name` on 127.0.0.1:`port`."""
    if name == "omnisock":
        return [hub or HUB_COPY[0], "hub", "--listen", f"127.0.0.1:{port}"]
    if name == "baseline":
        return [BASELINE[0], "hub", "--listen", f"127.0.0.1:{port}"]
    if name == "websockets":
        return [VENV_PY, os.path.join(PEERS, "websockets_server.py"), str(port)]
    if name == "websockets-deflate":
        return [VENV_PY, os.path.join(PEERS, "websockets_server.py"), str(port), "deflate"]
    if name == "picows":
        return [VENV_PY, os.path.join(PEERS, "picows_server.py"), str(port)]
    if name == "ws":
        return ["node", os.path.join(PEERS, "ws_server.js"), str(port)]
    raise ValueError(name)


# Niceness applied to the servers and the load generator (see --nice).
NICE = [0]


def _renice():
    """Runs in each child before exec: applies --nice.

    With autogroup scheduling (the Linux default) niceness only ranks processes of
    one session against each other, so the child gets a session of its own and
    that session's autogroup gets the same niceness.
    """
    if NICE[0]:
        os.setsid()
        try:
            with open("/proc/self/autogroup", "w") as f:
                f.write(str(NICE[0]))
        except OSError:
            pass
        os.nice(NICE[0])


def rel(path):
    """`path` relative to the repository root, for printing commands."""
    return os.path.relpath(path, ROOT)


# --------------------------------------------------------------------------- system


def cpu_seconds(pid):
    """utime + stime of `pid` in seconds, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    """VmRSS of `pid` in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def machine_busy(seconds=1.0):
    """Fraction of all CPUs busy over `seconds` (from /proc/stat)."""

    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + v[4]
        return sum(v), idle

    t0, i0 = sample()
    time.sleep(seconds)
    t1, i1 = sample()
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


def wait_for_quiet(limit, max_wait):
    """Waits (bounded) until the machine is mostly idle; returns False if it never was.

    Loopback benchmarks share the machine's cores with whatever else runs, such as
    a build; a result taken while it was busy is flagged in the report.
    """
    deadline = time.monotonic() + max_wait
    while True:
        busy = machine_busy()
        if busy < limit:
            return True
        if time.monotonic() > deadline:
            return False
        print(f"  (machine {busy:.0%} busy; waiting for it to settle)", flush=True)
        time.sleep(4)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process on a fresh port, logging to a file."""

    def __init__(self, name, logdir):
        self.name = name
        self.port = free_port()
        self.cmd = server_command(name, self.port)
        self.log_path = os.path.join(logdir, f"{name}-{self.port}.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT,
                                     preexec_fn=_renice)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited at start-up:\n{self.tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"{name} did not listen on port {self.port} within 15 s")
        time.sleep(0.3)

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}"

    def alive(self):
        return self.proc.poll() is None

    def tail(self, n=15):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return "\n".join(f.read().decode(errors="replace").splitlines()[-n:])

    def status(self):
        """The hub's status JSON, or None."""
        if self.name not in ("omnisock", "baseline"):
            return None
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_omnisock/status", timeout=2) as r:
                return json.loads(r.read())
        except Exception as e:  # noqa: BLE001 - reported, not fatal
            return {"error": str(e)}

    def stop(self):
        """Stops the server; returns its exit code if it had already exited."""
        code = self.proc.poll()
        if code is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        return code


# --------------------------------------------------------------------------- scenarios


class Plan:
    """Scenario parameters, full or quick."""

    def __init__(self, quick, duration=None, repeat=None):
        self.repeat = repeat or (1 if quick else 3)
        self.duration = duration or (2.0 if quick else 10.0)
        self.warmup = 0.5 if quick else 1.0
        self.fanout_subs = 200 if quick else 1000
        self.idle_procs, self.idle_per_proc = (2, 1000) if quick else (2, 5000)
        self.max_procs, self.max_per_proc = (4, 1000) if quick else (4, 5000)

    def loadgen_args(self, scenario, url, pid):
        """Loadgen arguments for one run (idle scenarios are driven separately)."""
        d, w = str(self.duration), str(self.warmup)
        common = ["--url", url, "--pid", str(pid)]
        if scenario == "echo":
            return ["echo", *common, "--conns", "50", "--size", "64", "--inflight", "16",
                    "--warmup", w, "--duration", d]
        if scenario == "echo-large":
            return ["echo-large", *common, "--conns", "4", "--size", str(1 << 20), "--inflight", "2",
                    "--warmup", w, "--duration", d]
        if scenario == "fanout":
            return ["fanout", *common, "--subs", str(self.fanout_subs), "--rate", "200", "--duration", d]
        if scenario == "fanout-sat":
            return ["fanout", *common, "--subs", str(self.fanout_subs), "--rate", "0", "--window", "32",
                    "--max-msgs", "200000", "--duration", d]
        raise ValueError(scenario)

    def idle_shape(self, scenario):
        return (self.idle_procs, self.idle_per_proc) if scenario == "idle" else (self.max_procs, self.max_per_proc)


_source_ip_counter = [0]


def next_source_ip():
    """A fresh loopback source address (127.1.x.y) for each idle loadgen process.

    Each address has its own ephemeral port range, so thousands of connections per
    process never run out of ports, however many runs came before.
    """
    n = _source_ip_counter[0]
    _source_ip_counter[0] += 1
    return f"127.1.{n // 250 % 250}.{n % 250 + 1}"


def run_loadgen(args, timeout, threads):
    cmd = [LOADGEN, "--threads", str(threads), *args]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=_renice)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"loadgen timed out after {timeout:.0f} s"}
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if not lines:
        return {"ok": False, "error": f"loadgen exit {p.returncode}: {p.stderr.strip()[-400:]}"}
    return json.loads(lines[-1])


def run_idle(server, plan, scenario, threads):
    """Opens procs × per_proc idle connections from several processes; measures server RSS."""
    procs_n, per_proc = plan.idle_shape(scenario)
    time.sleep(0.5)
    before = rss_kib(server.pid)
    procs = []
    for _ in range(procs_n):
        cmd = [LOADGEN, "--threads", str(threads), "idle", "--url", server.url, "--path", "/echo",
               "--conns", str(per_proc), "--source-ip", next_source_ip(), "--wait-stdin", "--hold", "120"]
        procs.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, preexec_fn=_renice))
    ready = []
    for p in procs:
        line = p.stdout.readline()  # the loadgen holds at most --hold seconds
        ready.append(json.loads(line) if line.startswith("{") else {"held": 0, "error": p.stderr.read()[-400:]})
    time.sleep(1.0)
    after = rss_kib(server.pid) if server.alive() else 0
    status = server.status()
    done = []
    for p in procs:
        try:
            out, err = p.communicate("\n", timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        lines = [l for l in out.splitlines() if l.startswith("{")]
        done.append(json.loads(lines[-1]) if lines else {"held_at_end": 0})
    held = sum(r.get("held", 0) for r in ready)
    result = {
        "ok": held > 0,
        "attempted": sum(r.get("attempted", 0) for r in ready),
        "held": held,
        "held_at_end": sum(r.get("held_at_end", 0) for r in done),
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_conn": round((after - before) / held, 2) if held else None,
        "connect_s": max((r.get("connect_s", 0) for r in ready), default=0),
        "first_error": next((r.get("first_error") or r.get("error") for r in ready
                             if r.get("first_error") or r.get("error")), None),
    }
    if status is not None:
        result["hub_status"] = status
    return result


def run_one(server_name, scenario, plan, logdir, threads):
    """Starts a fresh server, runs one scenario against it, stops it."""
    try:
        server = Server(server_name, logdir)
    except RuntimeError as e:
        return {"ok": False, "error": str(e)}
    try:
        if scenario in ("idle", "idle-max"):
            r = run_idle(server, plan, scenario, threads)
        else:
            timeout = plan.duration * 3 + 90
            r = run_loadgen(plan.loadgen_args(scenario, server.url, server.pid), timeout, threads)
            status = server.status() if server.alive() else None
            if status is not None:
                r["hub_counters"] = status.get("counters", status)
    finally:
        code = server.stop()
    if code is not None:
        r["ok"] = False
        r["server_crashed"] = f"exit {code}"
        r["server_log"] = server.tail()
    return r


# --------------------------------------------------------------------------- report

# (scenario, title, [(column header, result key, format)])
TABLES = {
    "echo": ("Echo: 50 connections, 64 B text, 16 in flight each", [
        ("msgs/s", "msgs_per_s", "k"),
        ("server CPU s", "server_cpu_s", "f2"),
        ("msgs per CPU-s", "msgs_per_server_cpu_s", "k"),
        ("loadgen CPU s", "client_cpu_s", "f2"),
        ("RTT p50 ms", "rtt_p50_us", "ms"),
        ("RTT p99 ms", "rtt_p99_us", "ms"),
    ]),
    "echo-large": ("Echo large: 4 connections, 1 MiB binary, 2 in flight each", [
        ("MiB/s", "mib_per_s", "f0"),
        ("server CPU s", "server_cpu_s", "f2"),
        ("RTT p50 ms", "rtt_p50_us", "ms"),
        ("RTT p99 ms", "rtt_p99_us", "ms"),
    ]),
    "fanout": ("Fan-out: subscribers on /ws/camera, one publisher at 200 msgs/s", [
        ("deliveries/s", "deliveries_per_s", "k"),
        ("server CPU s", "server_cpu_s", "f2"),
        ("CPU µs/delivery", "server_cpu_us_per_delivery", "f2"),
        ("loadgen CPU s", "client_cpu_s", "f2"),
        ("p50 ms", "lat_p50_us", "ms"),
        ("p99 ms", "lat_p99_us", "ms"),
        ("undelivered", "loss", "i"),
    ]),
    "fanout-sat": ("Saturated fan-out: publisher as fast as a 32-message window allows", [
        ("deliveries/s", "deliveries_per_s", "k"),
        ("server CPU s", "server_cpu_s", "f2"),
        ("CPU µs/delivery", "server_cpu_us_per_delivery", "f2"),
        ("loadgen CPU s", "client_cpu_s", "f2"),
        ("p50 ms", "lat_p50_us", "ms"),
        ("p99 ms", "lat_p99_us", "ms"),
        ("undelivered", "loss", "i"),
    ]),
    "idle": ("Idle connections held", [
        ("held", "held", "i"),
        ("RSS before MiB", "rss_before_kib", "mib"),
        ("RSS after MiB", "rss_after_kib", "mib"),
        ("KiB/conn", "kib_per_conn", "f2"),
    ]),
    "idle-max": ("Most connections one server process holds (fd limit 20,000)", [
        ("held", "held", "i"),
        ("RSS after MiB", "rss_after_kib", "mib"),
        ("KiB/conn", "kib_per_conn", "f2"),
    ]),
}


def fmt(v, kind):
    if v is None:
        return "–"
    if kind == "k":
        return f"{v / 1000:.1f}k" if v < 1e6 else f"{v / 1e6:.2f}M"
    if kind == "ms":
        return f"{v / 1000:.2f}" if v < 100_000 else f"{v / 1000:.0f}"
    if kind == "mib":
        return f"{v / 1024:.0f}"
    if kind == "i":
        return f"{v:,.0f}"
    return f"{v:.{int(kind[1:])}f}"


def summarize(values):
    """Median and (min, max) of the numbers among `values`."""
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not nums:
        return None, None, None
    return statistics.median(nums), min(nums), max(nums)


def cell(values, kind):
    med, lo, hi = summarize(values)
    if med is None:
        return "–"
    if len([v for v in values if v is not None]) > 1 and lo != hi:
        return f"{fmt(med, kind)} ({fmt(lo, kind)}–{fmt(hi, kind)})"
    return fmt(med, kind)


def median_of(results, server, scenario, key):
    return summarize([r.get(key) for r in results.get((server, scenario), [])])[0]


def target_lines(results):
    """The README's targets, checked against the medians (only where both sides ran)."""
    m = lambda srv, sc, key: median_of(results, srv, sc, key)  # noqa: E731
    lines = []

    def check(name, ok, detail):
        if ok is None:
            return
        lines.append(f"| {name} | {'met' if ok else '**not met**'} | {detail} |")

    def ratio(a, b):
        return a / b if a is not None and b else None

    r = ratio(m("omnisock", "echo", "msgs_per_s"), m("ws", "echo", "msgs_per_s"))
    if r is not None:
        check("echo msgs/s ≥ 2× Node ws", r >= 2, f"{r:.2f}×")
    p99, loss = m("omnisock", "fanout", "lat_p99_us"), m("omnisock", "fanout", "loss")
    cpu_r = ratio(m("omnisock", "fanout", "server_cpu_s"), m("ws", "fanout", "server_cpu_s"))
    if p99 is not None:
        check("fan-out p99 ≤ 2 ms", p99 <= 2000, f"{p99 / 1000:.2f} ms")
        check("fan-out zero loss", loss == 0, f"loss {loss:,.0f}")
    if cpu_r is not None:
        check("fan-out server CPU ≤ 1/3 of Node ws", cpu_r <= 1 / 3, f"{cpu_r:.2f}× Node's CPU")
    r = ratio(m("omnisock", "fanout-sat", "deliveries_per_s"), m("ws", "fanout-sat", "deliveries_per_s"))
    if r is not None:
        check("saturated fan-out ≥ 2.5× Node ws", r >= 2.5, f"{r:.2f}×")
    r = ratio(m("omnisock", "fanout-sat", "deliveries_per_s"), m("picows", "fanout-sat", "deliveries_per_s"))
    if r is not None:
        check("saturated fan-out ≥ picows", r >= 1, f"{r:.2f}×")
    kib = m("omnisock", "idle", "kib_per_conn")
    if kib is not None:
        check("idle ≤ 4 KiB/connection", kib <= 4, f"{kib:.2f} KiB")
    held = m("omnisock", "idle-max", "held")
    if held is not None:
        check("≥ 19,000 connections held", held >= 19000, f"{held:,.0f}")
    r = ratio(m("omnisock", "echo-large", "mib_per_s"), m("ws", "echo-large", "mib_per_s"))
    if r is not None:
        check("1 MiB echo ≥ 2× Node ws", r >= 2, f"{r:.2f}×")
    if not lines:
        return []
    return ["| target | verdict | omnisock |", "| --- | --- | --- |", *lines]


def tables(results, servers, scenarios, plan):
    out = []
    for sc in scenarios:
        title, cols = TABLES[sc]
        if sc.startswith("fanout"):
            title += f" ({plan.fanout_subs:,} subscribers)"
        if sc == "idle":
            title += f" ({plan.idle_procs * plan.idle_per_proc:,} connections)"
        out += [f"### {sc}: {title}", ""]
        out.append("| server | " + " | ".join(c[0] for c in cols) + " |")
        out.append("| --- |" + " ---: |" * len(cols))
        for srv in servers:
            rs = results.get((srv, sc), [])
            row = [cell([r.get(key) if r.get("ok") else None for r in rs], kind) for _, key, kind in cols]
            failed = sum(1 for r in rs if not r.get("ok"))
            name = SERVER_LABEL[srv] + (f" ({failed} failed)" if failed else "")
            out.append(f"| {name} | " + " | ".join(row) + " |")
        out.append("")
    return out


def problems(results):
    out = []
    runs = [r for rs in results.values() for r in rs]
    noisy = sum(1 for r in runs if r.get("noisy"))
    if noisy:
        out.append(f"- {noisy} of {len(runs)} runs started while the machine was more than "
                   "--busy-limit busy with other work; compare spreads, not single numbers")
    for (srv, sc), rs in sorted(results.items()):
        for i, r in enumerate(rs):
            msg = r.get("server_crashed") or r.get("error")
            if sc != "idle-max":  # there, refusals at the descriptor limit are the point
                msg = msg or r.get("first_error")
            if msg:
                out.append(f"- {SERVER_LABEL[srv]}, {sc}, run {i + 1}: {msg}")
            closes = {k: v for k, v in (r.get("hub_counters") or {}).items()
                      if k.endswith("_closes") and isinstance(v, int) and v}
            if closes:
                out.append(f"- {SERVER_LABEL[srv]}, {sc}, run {i + 1}: hub counters {closes}")
            if r.get("server_log"):
                out += ["  ```", *("  " + l for l in r["server_log"].splitlines()), "  ```"]
    return out


def versions():
    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd=ROOT).stdout.strip()
        except Exception:  # noqa: BLE001
            return "?"

    py = run([VENV_PY, "-c", "import websockets, picows, sys; "
              "print(sys.version.split()[0], websockets.__version__, picows.__version__)"]).split()
    ws = "?"
    try:
        with open(os.path.join(PEERS, "node_modules", "ws", "package.json")) as f:
            ws = json.load(f)["version"]
    except OSError:
        pass
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    rev = run(["git", "rev-parse", "--short", "HEAD"]) or "no commit"
    built = None
    if os.path.exists(HUB_COPY[0]):
        built = datetime.datetime.fromtimestamp(os.path.getmtime(HUB_COPY[0]), datetime.timezone.utc)
    return {
        "machine": f"{os.cpu_count()} vCPU ({cpu}), Linux {platform.release()}",
        "omnisock": f"git {rev}" + (" + local changes" if run(["git", "status", "--porcelain"]) else "")
        + (f"; hub binary built {built:%Y-%m-%d %H:%M} UTC" if built else ""),
        "rustc": run(["rustc", "--version"]),
        "Python": py[0] if py else "?",
        "websockets": py[1] if len(py) > 1 else "?",
        "picows": py[2] if len(py) > 2 else "?",
        "Node": run(["node", "--version"]),
        "ws": ws,
    }


def commands(plan, servers, scenarios, threads):
    lg = rel(LOADGEN)
    out = []
    for srv in servers:
        cmd = server_command(srv, "PORT", hub=HUB)
        out.append(" ".join(rel(c) if os.path.isabs(c) else c for c in cmd))
    out += ["", "# load generator, one line per scenario (PID: the server's process id)"]
    for sc in scenarios:
        if sc in ("idle", "idle-max"):
            n, per = plan.idle_shape(sc)
            out.append(f"# {sc}: {n} processes at once, each from its own 127.1.x.y, RSS read before and after")
            out.append(f"{lg} --threads {threads} idle --url ws://127.0.0.1:PORT --path /echo --conns {per} "
                       f"--source-ip 127.1.X.Y --wait-stdin --hold 120")
        else:
            out.append(f"{lg} --threads {threads} " + " ".join(plan.loadgen_args(sc, "ws://127.0.0.1:PORT", "PID")))
    return out


def write_report(path, results, servers, scenarios, plan, argv, started, threads):
    v = versions()
    lines = [
        "# omnisock benchmark results",
        "",
        f"Run on {started:%Y-%m-%d %H:%M} UTC with `python3 bench/run.py {' '.join(argv)}`".rstrip() + ".",
        f"Each cell is the median of {plan.repeat} run(s); the min–max spread follows in parentheses.",
        "Server CPU is utime + stime of the server process over the measurement window.",
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {k} | {val} |" for k, val in v.items()),
        "",
    ]
    tl = target_lines(results)
    if tl:
        lines += ["## Targets", "", *tl, ""]
    lines += ["## Results", "", *tables(results, servers, scenarios, plan)]
    pr = problems(results)
    if pr:
        lines += ["## Problems seen", "", *pr, ""]
    lines += ["## Commands", "", "Servers (each started fresh on a free port for every run):", "", "```sh",
              *commands(plan, servers, scenarios, threads), "```", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


# --------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short smoke run: 2 s, fewer connections, 1 repeat")
    ap.add_argument("--repeat", type=int, help="runs of every scenario per server (default 3, quick 1)")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma list of {','.join(SCENARIOS)}")
    ap.add_argument("--baseline", metavar="BINARY",
                    help="also measure this omnisock binary (e.g. built from the previous commit) as server 'baseline'")
    ap.add_argument("--servers", default=",".join(SERVERS), help=f"comma list of {','.join(SERVERS)}")
    ap.add_argument("--duration", type=float, help="seconds measured per echo/fan-out run")
    ap.add_argument("--threads", type=int, default=1, help="load generator runtime threads (default 1)")
    ap.add_argument("--no-setup", action="store_true", help="skip bench/setup.sh")
    ap.add_argument("--no-build", action="store_true", help="skip the cargo builds")
    ap.add_argument("--out", default=os.path.join(BENCH, "hub", "RESULTS.md"), help="report file (bench/collect.py then rebuilds bench/RESULTS.md)")
    ap.add_argument("--busy-limit", type=float, default=0.25,
                    help="wait before each run until the machine is less busy than this (0-1)")
    ap.add_argument("--max-wait", type=float, default=120,
                    help="longest wait in seconds for the machine to settle before each run")
    ap.add_argument("--nice", type=int, default=0,
                    help="niceness for servers and load generator; negative (root) favours them over other work")
    args = ap.parse_args()
    NICE[0] = args.nice

    plan = Plan(args.quick, args.duration, args.repeat)
    scenarios = [s for s in args.scenarios.split(",") if s]
    servers = [s for s in args.servers.split(",") if s]
    for s in scenarios:
        if s not in SCENARIOS:
            sys.exit(f"unknown scenario {s!r}; choose from {', '.join(SCENARIOS)}")
    for s in servers:
        if s not in SERVERS:
            sys.exit(f"unknown server {s!r}; choose from {', '.join(SERVERS)}")
    if args.baseline:
        BASELINE[0] = os.path.abspath(args.baseline)
        SERVER_LABEL["baseline"] = "omnisock hub (baseline build)"
        servers.append("baseline")

    if not args.no_setup and any(s != "omnisock" for s in servers):
        subprocess.run(["bash", os.path.join(BENCH, "setup.sh")], check=True)
    if not args.no_build:
        packages = ["-p", "omnisock-loadgen"] + (["-p", "omnisock-cli"] if "omnisock" in servers else [])
        build = subprocess.run(["cargo", "build", "--release", *packages], cwd=ROOT)
        if build.returncode != 0 and "omnisock" in servers:
            print("building the hub failed; building the load generator alone", flush=True)
            subprocess.run(["cargo", "build", "--release", "-p", "omnisock-loadgen"], cwd=ROOT, check=True)
    if "omnisock" in servers and not os.access(HUB, os.X_OK):
        print(f"{rel(HUB)} not found: leaving the omnisock hub out", flush=True)
        servers.remove("omnisock")
    if not os.access(LOADGEN, os.X_OK):
        sys.exit(f"{rel(LOADGEN)} not found; build it with cargo build --release -p omnisock-loadgen")
    if shutil.which("node") is None and "ws" in servers:
        servers.remove("ws")

    started = datetime.datetime.now(datetime.timezone.utc)
    logdir = tempfile.mkdtemp(prefix="omnisock-bench-")
    if "omnisock" in servers:
        HUB_COPY[0] = os.path.join(logdir, "omnisock")
        shutil.copy2(HUB, HUB_COPY[0])
    raw_path = os.path.join(logdir, "results.jsonl")
    results = {}
    total = plan.repeat * len(scenarios) * len(servers)
    n = 0
    with open(raw_path, "w") as raw:
        for rep in range(plan.repeat):
            order = servers[rep % len(servers):] + servers[:rep % len(servers)]
            for sc in scenarios:
                for srv in order:
                    n += 1
                    quiet = wait_for_quiet(args.busy_limit, max_wait=args.max_wait)
                    print(f"[{n}/{total}] run {rep + 1}: {sc} on {SERVER_LABEL[srv]}", flush=True)
                    r = run_one(srv, sc, plan, logdir, args.threads)
                    if not quiet:
                        r["noisy"] = True
                    results.setdefault((srv, sc), []).append(r)
                    raw.write(json.dumps({"run": rep + 1, "scenario": sc, "server": srv, **r}) + "\n")
                    raw.flush()
                    brief = {k: r.get(k) for k in ("msgs_per_s", "mib_per_s", "deliveries_per_s", "loss",
                                                   "lat_p99_us", "held", "kib_per_conn", "server_cpu_s",
                                                   "error") if r.get(k) is not None}
                    print(f"    {json.dumps(brief)}", flush=True)

    report = ["", *tables(results, servers, scenarios, plan)]
    tl = target_lines(results)
    if tl:
        report += ["### Targets", "", *tl, ""]
    pr = problems(results)
    if pr:
        report += ["### Problems seen", "", *pr, ""]
    print("\n".join(report))
    write_report(args.out, results, servers, scenarios, plan, sys.argv[1:], started, args.threads)
    if os.path.abspath(args.out) == os.path.join(BENCH, "hub", "RESULTS.md"):
        subprocess.run([sys.executable, os.path.join(BENCH, "collect.py")], check=False)
    print(f"wrote {rel(args.out)}; raw results and server logs in {logdir}")


if __name__ == "__main__":
    main()
