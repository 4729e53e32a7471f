#!/usr/bin/env python3
"""Writes bench/soak/RESULTS.md from bench/soak/results.json (the last soak run).

Usage: bench/soak/report.py MINUTES   (bench/soak/run.sh calls it; then bench/collect.py)
"""

import datetime
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    minutes = sys.argv[1] if len(sys.argv) > 1 else "?"
    with open(os.path.join(HERE, "results.json"), encoding="utf-8") as f:
        r = json.loads(f.read().strip().splitlines()[-1])
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=HERE, capture_output=True, text=True).stdout.strip()
    except OSError:
        rev, dirty = "?", ""
    load = r.get("load", {})
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Soak",
        "",
        f"Run on {when} with `bench/soak/run.sh {minutes}` (git {rev}{' + local changes' if dirty else ''}): "
        f"`omnisock hub` with `bench/soak/hub.toml` for {r.get('duration_s', 0) / 60:.1f} minutes under churn, "
        "fan-out, large messages, stalled readers and bad input (`omnisock-loadgen soak`, loopback, 2 threads).",
        f"Verdict: **{'passed' if r.get('ok') else 'FAILED: ' + str(r.get('error'))}**.",
        "",
        "| | first third | last third | |",
        "| --- | --- | --- | --- |",
        f"| hub RSS, median (MiB) | {r['rss_mib_first_third']:.1f} | {r['rss_mib_last_third']:.1f} | "
        f"before load {r['rss_mib_before']:.1f}, max {r['rss_mib_max']:.1f} |",
        f"| hub open fds, max | {r['fds_max_first_third']} | {r['fds_max_last_third']} | "
        f"before load {r['fds_before']}, after it stopped {r['fds_after']} |",
        f"| probe echo p99 (ms, median of samples) | {r['probe_p99_ms_first_third']:.2f} | {r['probe_p99_ms_last_third']:.2f} | "
        f"{load.get('probe_failed', 0)} probes failed |",
        "",
        "| load | count |",
        "| --- | --- |",
        f"| churn connections (connect, echo, close) | {load.get('churn_connections', 0)} ({load.get('churn_failed', 0)} failed) |",
        f"| broadcast messages published (16 KiB) / received by readers | {load.get('published', 0)} / {load.get('fanout_received', 0)} |",
        f"| large echoes (4 MiB) | {load.get('large_echoes', 0)} |",
        f"| stalled subscribers opened | {load.get('stalled_opened', 0)} |",
        f"| bad inputs (garbage HTTP, extended-length ping, bad UTF-8, oversized, silent sockets) | {load.get('bad_inputs', 0)} |",
        "",
        "Fails when the median RSS of the last third exceeds the first third by more than 32 MiB, the probe p99 "
        "grows more than 3× (+5 ms), the fd maximum grows by more than 64, fds do not return to their level "
        "before the load, or any probe, large echo or more than 1% of churn connections fail.",
        "",
    ]
    with open(os.path.join(HERE, "RESULTS.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("wrote bench/soak/RESULTS.md")


if __name__ == "__main__":
    main()
