"""The Python binding has every capability capabilities.toml lists for it.

Each ``python = "..."`` entry is a dotted attribute path (``omnisock.Hub.send_many``), or a
callable with a keyword parameter (``omnisock.connect(fallback_urls)``); ``none: ...`` entries
are deliberate gaps.
"""

import importlib
import inspect
import pathlib
import re

MANIFEST = pathlib.Path(__file__).resolve().parents[2] / "capabilities.toml"


def python_entries():
    entries, cap = [], None
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        m = re.fullmatch(r'id = "(.*)"', line)
        if m:
            cap = m.group(1)
        m = re.fullmatch(r'python = "(.*)"', line)
        if m:
            entries.append((cap, m.group(1)))
    return entries


def resolve(path):
    """The object a dotted path names, importing the longest module prefix; None if missing."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            if not hasattr(obj, name):
                return None
            obj = getattr(obj, name)
        return obj
    return None


def exists(entry):
    m = re.fullmatch(r"([\w.]+)\((\w+)\)", entry)
    if m is None:
        return resolve(entry) is not None
    obj = resolve(m.group(1))
    if obj is None:
        return False
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        # pyo3 classes expose their constructor signature through __text_signature__.
        params = {p.strip(" *").split("=")[0] for p in (obj.__text_signature__ or "").strip("()").split(",")}
    return m.group(2) in params


def test_every_listed_capability_exists():
    entries = python_entries()
    assert len(entries) > 20, f"capabilities.toml has python entries (read {len(entries)})"
    missing = [f"{cap}: {e}" for cap, e in entries if not e.startswith("none:") and not exists(e)]
    assert not missing, f"capabilities.toml lists Python attributes that do not exist: {missing}"


def test_a_missing_attribute_is_reported():
    # The checker itself must be able to fail.
    assert not exists("omnisock.Hub.no_such_capability")
    assert not exists("omnisock.connect(no_such_option)")
    assert exists("omnisock.connect(fallback_urls)")
