#!/usr/bin/env python3
"""Assembles bench/RESULTS.md from the result files each benchmark writes.

Every benchmark writes its own file (bench/run.py → bench/hub/RESULTS.md, bench/python/run.py →
bench/python/RESULTS.md, and so on); this joins them into one document, in a fixed order, with
each file's headings moved one level down. Run it after any benchmark (bench/run.py does).
"""

import os
import re

BENCH = os.path.dirname(os.path.abspath(__file__))

PARTS = [
    ("hub", "The hub (omnisock hub vs Python websockets, picows, Node ws)"),
    ("clients", "Client round trips: every binding against its peer (summary)"),
    ("c", "C client (omnisock C ABI vs a blocking tungstenite client)"),
    ("python", "Python binding (omnisock wheel vs websockets, picows)"),
    ("csharp", "Unity / C# (omnisock vs Mono's ClientWebSocket)"),
    ("java", "Android / Java (omnisock vs OkHttp 3.13)"),
    ("redis", "Several hubs on Redis (omnisock vs Django Channels + channels_redis)"),
    ("memory", "The hub's memory model (this build vs the previous one; stalled readers)"),
    ("live", "Live streams: conflation by key on the seed-002 shape"),
    ("deflate", "permessage-deflate fan-out (compress once vs websockets' per connection)"),
    ("soak", "Soak (the hub for minutes under churn, stalled readers and bad input)"),
]


def demote(text: str) -> str:
    """Moves every Markdown heading one level down (outside code blocks)."""
    out, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and re.match(r"#{1,5} ", line):
            line = "#" + line
        out.append(line)
    return "\n".join(out)


def main() -> None:
    sections = ["# omnisock benchmark results", "",
                "Each section is written by its own benchmark (commands inside); `bench/collect.py` joins them.",
                "All figures are from this 2-core machine, load generator and server on the same cores.", ""]
    for name, title in PARTS:
        path = os.path.join(BENCH, name, "RESULTS.md")
        sections.append(f"## {title}")
        sections.append("")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                body = f.read().strip()
            # Drop the part's own top heading; the section title replaces it.
            body = re.sub(r"\A#{1,3} [^\n]*\n+", "", body)
            sections.append(demote(body))
        else:
            sections.append(f"_not run yet: see bench/{name}/_")
        sections.append("")
    with open(os.path.join(BENCH, "RESULTS.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(sections))
    print("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
