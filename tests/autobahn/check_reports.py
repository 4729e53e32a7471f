#!/usr/bin/env python3
"""Checks Autobahn|Testsuite reports: fails if any case's behavior is FAILED.

Usage: check_reports.py REPORT_DIR AGENT [--min-cases N] [--no-unimplemented]

REPORT_DIR holds the index.json written by wstest (reports/servers or reports/clients).
OK, NON-STRICT, INFORMATIONAL and UNIMPLEMENTED are accepted (UNIMPLEMENTED not with
--no-unimplemented: every case, permessage-deflate included, must run); FAILED (in `behavior` or
`behaviorClose`) and a missing agent or too few cases are failures. Prints the count per
behavior and, for each failed case, its description, expectation and what was observed.
"""

import argparse
import json
import os
import sys
from collections import Counter

ACCEPTED = {"OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED"}


def case_key(case_id):
    return tuple(int(p) if p.isdigit() else p for p in case_id.split("."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report_dir")
    ap.add_argument("agent")
    ap.add_argument("--min-cases", type=int, default=1)
    ap.add_argument("--no-unimplemented", action="store_true")
    args = ap.parse_args()
    accepted = ACCEPTED - {"UNIMPLEMENTED"} if args.no_unimplemented else ACCEPTED

    index_path = os.path.join(args.report_dir, "index.json")
    try:
        with open(index_path) as f:
            index = json.load(f)
    except (OSError, ValueError) as e:
        print(f"autobahn: cannot read {index_path}: {e}")
        return 1
    if args.agent not in index:
        print(f"autobahn: agent {args.agent!r} missing from {index_path} (agents: {sorted(index)})")
        return 1

    cases = index[args.agent]
    behaviors = Counter()
    close_behaviors = Counter()
    failed = []
    for case_id in sorted(cases, key=case_key):
        result = cases[case_id]
        b = result.get("behavior")
        bc = result.get("behaviorClose")
        behaviors[b] += 1
        close_behaviors[bc] += 1
        if b not in accepted or bc not in accepted:
            failed.append((case_id, result))

    print(f"autobahn [{args.agent}]: {len(cases)} cases")
    print("  behavior:      " + ", ".join(f"{k}={v}" for k, v in sorted(behaviors.items())))
    print("  behaviorClose: " + ", ".join(f"{k}={v}" for k, v in sorted(close_behaviors.items())))

    for label in ("NON-STRICT", "INFORMATIONAL"):
        ids = [c for c in sorted(cases, key=case_key) if cases[c].get("behavior") == label]
        if ids:
            print(f"  {label}: {' '.join(ids)}")

    for case_id, result in failed:
        print(f"  FAILED case {case_id}: behavior={result.get('behavior')} "
              f"behaviorClose={result.get('behaviorClose')} remoteCloseCode={result.get('remoteCloseCode')}")
        report = result.get("reportfile")
        if report:
            try:
                with open(os.path.join(args.report_dir, report)) as f:
                    detail = json.load(f)
                for key in ("description", "expectation", "result", "resultClose"):
                    if detail.get(key):
                        print(f"    {key}: {' '.join(str(detail[key]).split())}")
            except (OSError, ValueError):
                pass

    if len(cases) < args.min_cases:
        print(f"autobahn: only {len(cases)} cases ran, expected at least {args.min_cases}")
        return 1
    ok = len(cases) - len(failed)
    print(f"autobahn [{args.agent}]: {ok} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
