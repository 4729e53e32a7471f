"""Client benchmarks side by side: runs one command per client library against one
`omnisock hub` /echo route, interleaved and repeated, and turns their JSON lines into a
Markdown table of medians with the min–max spread.

Each command prints one JSON line whose numeric fields are the figures (see FIELDS). The order
of the libraries rotates between rounds (A B, B A, ...), so a slow moment of the shared machine
does not always hit the same library. Used by bench/c/run.py and bench/python/run.py.
"""

import json
import os
import socket
import statistics
import subprocess
import time

# (JSON field, column title, digits, higher is better)
FIELDS = [
    ("rtt_per_s", "sequential 64 B round trips/s", 0, True),
    ("rtt_p50_us", "round trip p50 µs", 1, False),
    ("rtt_p99_us", "round trip p99 µs", 1, False),
    ("paced_cpu_us", "CPU µs per round trip, paced (one every 5 ms)", 1, False),
    ("pipelined_per_s", "pipelined 64 B msgs/s", 0, True),
    ("large_mb_per_s", "1 MiB echo MB/s", 1, True),
    ("idle_cpu_ms", "idle client CPU ms (whole idle window)", 0, False),
    ("idle_wakeups_per_s", "idle client thread wake-ups/s", 1, False),
    ("idle_kib_per_client", "idle memory KiB per client", 1, False),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    """`omnisock hub` (embedded default config: /echo) on a free loopback port."""

    def __init__(self, binary):
        self.port = free_port()
        self.proc = subprocess.Popen([binary, "hub", "--listen", f"127.0.0.1:{self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit("omnisock hub exited at start")
                time.sleep(0.05)
        raise SystemExit("omnisock hub did not start")

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/echo"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def run_one(cmd, timeout, env=None):
    """Runs one client command; returns its last JSON line, or {"error": ...}."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"error": (out.stderr or out.stdout).strip()[-300:]}
    res = json.loads(lines[-1])
    if res.get("ok") is False:
        return {"error": res.get("error", "failed")}
    return res


def interleave(commands, rounds, timeout, env=None, log=print):
    """commands: {lib: fn(url) -> argv}. Returns {lib: [result per round]}, one hub for all."""
    hub_bin = commands.pop("__hub__")
    libs = list(commands)
    runs = {lib: [] for lib in libs}
    hub = Hub(hub_bin)
    try:
        for r in range(rounds):
            order = libs[r % len(libs):] + libs[:r % len(libs)]
            for lib in order:
                res = run_one(commands[lib](hub.url), timeout, env)
                runs[lib].append(res)
                log(f"round {r + 1} {lib}: {json.dumps(res)}")
    finally:
        hub.stop()
    return runs


def summary(values, digits):
    """'median (min–max)' of the values."""
    if not values:
        return "—"
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:,.{digits}f}"
    return f"{med:,.{digits}f} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"


def table(runs, names, pairs, fields=FIELDS):
    """Markdown table: one row per figure, one column per library, then one ratio column per
    (library, peer) pair of medians, oriented so that > 1 means the library beats the peer."""
    libs = list(runs)
    name = lambda l: names.get(l, l)  # noqa: E731
    head = "| figure | " + " | ".join(name(l) for l in libs) + " | " + \
        " | ".join(f"{name(a)} vs {name(b)}" for a, b in pairs) + " |"
    lines = [head, "|---|" + "---:|" * (len(libs) + len(pairs))]
    for key, title, digits, higher in fields:
        vals = {l: [r[key] for r in runs[l] if isinstance(r.get(key), (int, float))] for l in libs}
        if not any(vals.values()):
            continue
        cells = [summary(vals[l], digits) for l in libs]
        ratios = []
        for a, b in pairs:
            ma = statistics.median(vals[a]) if vals[a] else 0
            mb = statistics.median(vals[b]) if vals[b] else 0
            ratios.append("—" if ma == 0 or mb == 0 else f"{(ma / mb if higher else mb / ma):.2f}×")
        lines.append(f"| {title} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def errors(runs):
    return [f"- {lib} round {i + 1}: {r['error']}" for lib, rs in runs.items() for i, r in enumerate(rs) if r.get("error")]


def machine_note():
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} cores, load average {load:.1f} at the end of the run (the machine is shared: "
            "single runs are noisy, read the same-run ratios and the spread)")
