#!/usr/bin/env python3
"""The C client (omnisock_client_send_* + omnisock_client_wait/poll on the calling thread)
against a blocking tungstenite client in Rust (`omnisock-loadgen rtt`: no runtime, no extra
thread), both against one `omnisock hub` /echo route, interleaved and repeated.

    python3 bench/c/run.py                 # 5 rounds, writes bench/c/RESULTS.md (~4 min)
    python3 bench/c/run.py --rounds 3 --count 5000 --idle 5

Builds with cargo (omnisock-ffi, omnisock-cli, omnisock-loadgen) unless --no-build, and
compiles bench/c/rtt.c with gcc against include/omnisock.h.
"""

import argparse
import datetime
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
import clientcmp  # noqa: E402

TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
REL = os.path.join(TARGET, "release")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--count", type=int, default=20000, help="most sequential round trips per run")
    ap.add_argument("--pipelined", type=int, default=100000)
    ap.add_argument("--large", type=int, default=50)
    ap.add_argument("--max-time", type=float, default=5.0, help="upper bound in seconds on each phase")
    ap.add_argument("--idle", type=float, default=10.0, help="seconds the idle client is watched")
    ap.add_argument("--idle-clients", type=int, default=50)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--baseline-lib", help="a folder with another build's libomnisock.so: its C client runs as a third column "
                                           "(to measure a change in the same run)")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    a = ap.parse_args()
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "omnisock-ffi", "-p", "omnisock-cli", "-p", "omnisock-loadgen"],
                       cwd=ROOT, check=True)
    def compile_against(libdir, name):
        exe = os.path.join(TARGET, "c-bench", name)
        os.makedirs(os.path.dirname(exe), exist_ok=True)
        subprocess.run(["gcc", "-O2", "-std=c11", "-D_DEFAULT_SOURCE", "-I", os.path.join(ROOT, "include"), os.path.join(HERE, "rtt.c"),
                        "-L", libdir, "-lomnisock", "-Wl,-rpath," + os.path.abspath(libdir), "-o", exe], check=True)
        return exe

    exe = compile_against(REL, "rtt")
    common = [str(a.count), str(a.pipelined), str(a.large), str(a.max_time), str(a.idle), str(a.idle_clients)]
    commands = {
        "__hub__": os.path.join(REL, "omnisock"),
        "c": lambda url: [exe, url, *common],
        "tungstenite": lambda url: [os.path.join(REL, "omnisock-loadgen"), "rtt", "--url", url, "--count", str(a.count),
                                    "--pipelined", str(a.pipelined), "--large", str(a.large), "--max-time", str(a.max_time),
                                    "--idle", str(a.idle), "--idle-clients", str(a.idle_clients)],
    }
    names = {"c": "omnisock C client", "tungstenite": "tungstenite (blocking, Rust)"}
    pairs = [("c", "tungstenite")]
    if a.baseline_lib:
        base = compile_against(a.baseline_lib, "rtt-baseline")
        commands["base"] = lambda url: [base, url, *common]
        names["base"] = "C client, baseline build"
        pairs.append(("c", "base"))
    timeout = 4 * a.max_time + a.idle + 120
    runs = clientcmp.interleave(commands, a.rounds, timeout)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# C client: omnisock vs a blocking tungstenite client",
        "",
        f"{now} · {clientcmp.machine_note()}.",
        "",
        f"`python3 bench/c/run.py --rounds {a.rounds} --count {a.count} --idle {a.idle:g}"
        f"{' --baseline-lib DIR' if a.baseline_lib else ''}`: {a.rounds} interleaved rounds",
        "(the order rotates each round), one fresh client process per run, both against one `omnisock hub` /echo",
        "(loopback). Each cell: median (min–max) over the rounds. The C client (`bench/c/rtt.c`) sends with",
        "`omnisock_client_send_text` and blocks in `omnisock_client_wait` + `omnisock_client_poll` on the same",
        "thread; the yardstick (`omnisock-loadgen rtt`, `bench/loadgen/src/rtt.rs`) is tungstenite on a blocking",
        "`TcpStream`, writing and reading on the calling thread. Pipelined: 64 in flight. Idle CPU: utime+stime",
        f"of the whole process over {a.idle:g} s with one open client (default keepalive). Idle memory: RSS growth",
        f"over {a.idle_clients} open clients. Ratios: > 1 means the C client is better (faster, lower latency, less).",
        *(["Baseline build: the same C client linked against another build of libomnisock (`--baseline-lib DIR`)."] if a.baseline_lib else []),
        "",
        clientcmp.table(runs, names, pairs),
        "",
    ]
    errs = clientcmp.errors(runs)
    if errs:
        lines += ["Errors:", ""] + errs + [""]
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "collect.py")], check=False)


if __name__ == "__main__":
    main()
