"""Checks an unpacked Unity package (tests/release/run.sh): one native library per desktop
platform, each with a .meta whose import settings enable exactly its platform and CPU, and a
.meta for every other asset."""
import os
import re
import sys

EXPECT = {
    # path: (editor OS, editor CPU, {standalone: CPU}, magic bytes of the file)
    "Plugins/Linux/x86_64/libomnisock.so": ("Linux", "x86_64", {"Linux64": "x86_64"}, b"\x7fELF"),
    "Plugins/Linux/arm64/libomnisock.so": ("Linux", "ARM64", {"Linux64": "ARM64"}, b"\x7fELF"),
    "Plugins/Windows/x86_64/omnisock.dll": ("Windows", "x86_64", {"Win64": "x86_64"}, b"MZ"),
    "Plugins/macOS/libomnisock.dylib": ("OSX", "AnyCPU", {"OSXUniversal": "AnyCPU"}, b"\xca\xfe\xba\xbe"),
}
STANDALONES = ["Linux64", "OSXUniversal", "Win", "Win64"]


def platform_blocks(meta):
    """{('Standalone', 'Win64'): (enabled, settings-text), ...} from a PluginImporter .meta."""
    out = {}
    for m in re.finditer(r"  - first:\n      (\w*): ?(\w*)\n    second:\n      enabled: (\d)\n      settings:(.*?)(?=\n  - first:|\n  userData)", meta, re.S):
        out[(m.group(1), m.group(2))] = (m.group(3) == "1", m.group(4))
    return out


def main(pkg):
    errors = []
    for rel, (eos, ecpu, standalone, magic) in EXPECT.items():
        path = os.path.join(pkg, rel)
        if not os.path.isfile(path):
            errors.append("missing " + rel)
            continue
        with open(path, "rb") as f:
            if not f.read(4).startswith(magic):
                errors.append("%s is not the expected kind of binary" % rel)
        if not os.path.isfile(path + ".meta"):
            errors.append("missing %s.meta" % rel)
            continue
        meta = open(path + ".meta").read()
        blocks = platform_blocks(meta)
        ed = blocks.get(("Editor", "Editor"))
        if not ed or not ed[0] or ("OS: %s" % eos) not in ed[1] or ("CPU: %s" % ecpu) not in ed[1]:
            errors.append("%s.meta: Editor should be enabled for %s %s" % (rel, eos, ecpu))
        for s in STANDALONES:
            b = blocks.get(("Standalone", s))
            if b is None:
                errors.append("%s.meta: no Standalone %s block" % (rel, s))
            elif b[0] != (s in standalone):
                errors.append("%s.meta: Standalone %s enabled=%s" % (rel, s, b[0]))
            elif s in standalone and ("CPU: %s" % standalone[s]) not in b[1]:
                errors.append("%s.meta: Standalone %s CPU should be %s" % (rel, s, standalone[s]))
        for other in (("Android", "Android"), ("iPhone", "iOS")):
            if blocks.get(other, (False, ""))[0]:
                errors.append("%s.meta: %s must not be enabled" % (rel, other[0]))
        if "Security" in meta:
            errors.append("%s.meta: names the Security framework" % rel)
        print("ok   - %s (%d bytes) with import settings for %s" % (rel, os.path.getsize(path), ", ".join(sorted(standalone))))
    for dirpath, dirnames, filenames in os.walk(pkg):
        for n in dirnames + filenames:
            rel = os.path.relpath(os.path.join(dirpath, n), pkg)
            if n.endswith(".meta") or n == "package.json" or any(p.endswith("~") or p.startswith(".") for p in rel.split(os.sep)):
                continue
            if not os.path.exists(os.path.join(dirpath, n) + ".meta"):
                errors.append("no .meta for " + rel)
    for e in errors:
        print("FAIL - " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
