#!/usr/bin/env python3
"""Writes a universal (fat) Mach-O file from per-architecture files, like `lipo -create`.

Usage: fat_macho.py OUT ARCH=FILE [ARCH=FILE ...]    (ARCH: arm64 or x86_64)

Works for executables, dylibs and static archives (.a): the slices are stored as they are,
each aligned to 16 KiB, behind a big-endian fat header. Used by scripts/build-macos.sh, which
cross-builds each architecture separately (no Apple tools on Linux).
"""
import struct
import sys

CPU = {"x86_64": (0x01000007, 3), "arm64": (0x0100000C, 0)}
ALIGN_LOG2 = 14


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    out, slices = argv[1], []
    for spec in argv[2:]:
        arch, _, path = spec.partition("=")
        if arch not in CPU or not path:
            sys.exit("fat_macho.py: bad slice %r (want arm64=FILE or x86_64=FILE)" % spec)
        with open(path, "rb") as f:
            slices.append((arch, f.read()))
    header = struct.pack(">II", 0xCAFEBABE, len(slices))
    offset = len(header) + 20 * len(slices)
    entries, body = [], []
    for arch, data in slices:
        align = 1 << ALIGN_LOG2
        pad = (-offset) % align
        offset += pad
        body.append(b"\0" * pad)
        cputype, subtype = CPU[arch]
        entries.append(struct.pack(">IIIII", cputype, subtype, offset, len(data), ALIGN_LOG2))
        body.append(data)
        offset += len(data)
    with open(out, "wb") as f:
        f.write(header + b"".join(entries) + b"".join(body))


if __name__ == "__main__":
    main(sys.argv)
