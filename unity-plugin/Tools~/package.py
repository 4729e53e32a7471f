#!/usr/bin/env python3
"""Assembles the Unity package folder and .tgz from unity-plugin/ and the native libraries.

Called by build-package.sh. Writes target/unity-package/<name>/ and <name>-<version>.tgz.
Every asset gets a .meta with a GUID derived from the package name and the asset's path, so
rebuilding never changes GUIDs (references in users' projects stay valid).
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

# (platform id, source path under target/, path in the package, importer settings)
NATIVES = [
    ("linux-x64", "release/libomnisock.so", "Plugins/Linux/x86_64/libomnisock.so",
     dict(editor=("Linux", "x86_64"), standalone={"Linux64": "x86_64"})),
    ("windows-x64", "x86_64-pc-windows-msvc/release/omnisock.dll", "Plugins/Windows/x86_64/omnisock.dll",
     dict(editor=("Windows", "x86_64"), standalone={"Win64": "x86_64"})),
    ("windows-x64", "x86_64-pc-windows-gnu/release/omnisock.dll", "Plugins/Windows/x86_64/omnisock.dll",
     dict(editor=("Windows", "x86_64"), standalone={"Win64": "x86_64"})),
    ("macos", "universal-apple-darwin/release/libomnisock.dylib", "Plugins/macOS/libomnisock.dylib",
     dict(editor=("OSX", "AnyCPU"), standalone={"OSXUniversal": "AnyCPU"})),
    ("android", "aarch64-linux-android/release/libomnisock.so", "Plugins/Android/arm64-v8a/libomnisock.so",
     dict(android="ARM64")),
    ("android", "armv7-linux-androideabi/release/libomnisock.so", "Plugins/Android/armeabi-v7a/libomnisock.so",
     dict(android="ARMv7")),
    ("android", "x86_64-linux-android/release/libomnisock.so", "Plugins/Android/x86_64/libomnisock.so",
     dict(android="X86_64")),
    ("ios", "aarch64-apple-ios/release/libomnisock.a", "Plugins/iOS/libomnisock.a",
     dict(ios=True)),
]

# With --natives DIR (scripts/release.sh): DIR/<folder>/<file> -> the same package paths.
RELEASE_NATIVES = [
    ("linux-x64", "linux-x86_64/libomnisock.so", "Plugins/Linux/x86_64/libomnisock.so",
     dict(editor=("Linux", "x86_64"), standalone={"Linux64": "x86_64"})),
    ("linux-arm64", "linux-aarch64/libomnisock.so", "Plugins/Linux/arm64/libomnisock.so",
     dict(editor=("Linux", "ARM64"), standalone={"Linux64": "ARM64"})),
    ("windows-x64", "windows-x86_64/omnisock.dll", "Plugins/Windows/x86_64/omnisock.dll",
     dict(editor=("Windows", "x86_64"), standalone={"Win64": "x86_64"})),
    ("macos", "macos-universal/libomnisock.dylib", "Plugins/macOS/libomnisock.dylib",
     dict(editor=("OSX", "AnyCPU"), standalone={"OSXUniversal": "AnyCPU"})),
]

STANDALONES = ["Linux64", "OSXUniversal", "Win", "Win64"]


def guid(package, path):
    return hashlib.md5(("%s/%s" % (package, path)).encode()).hexdigest()


def plugin_meta(g, editor=None, standalone=None, android=None, ios=False):
    standalone = standalone or {}
    excl = {
        "Android": 0 if android else 1,
        "Editor": 0 if editor else 1,
        "iOS": 0 if ios else 1,
    }
    for s in STANDALONES:
        excl[s] = 0 if s in standalone else 1
    lines = [
        "fileFormatVersion: 2",
        "guid: " + g,
        "PluginImporter:",
        "  externalObjects: {}",
        "  serializedVersion: 2",
        "  iconMap: {}",
        "  executionOrder: {}",
        "  defineConstraints: []",
        "  isPreloaded: 0",
        "  isOverridable: 0",
        "  isExplicitlyReferenced: 0",
        "  validateReferences: 1",
        "  platformData:",
        "  - first:",
        "      : Any",
        "    second:",
        "      enabled: 0",
        "      settings:",
    ]
    for k in sorted(excl):
        lines.append("        Exclude %s: %d" % (k, excl[k]))
    lines += [
        "  - first:",
        "      Android: Android",
        "    second:",
        "      enabled: %d" % (1 if android else 0),
        "      settings:",
        "        CPU: %s" % (android or "ARMv7"),
        "  - first:",
        "      Any: ",
        "    second:",
        "      enabled: 0",
        "      settings: {}",
        "  - first:",
        "      Editor: Editor",
        "    second:",
        "      enabled: %d" % (1 if editor else 0),
        "      settings:",
        "        CPU: %s" % (editor[1] if editor else "AnyCPU"),
        "        DefaultValueInitialized: true",
        "        OS: %s" % (editor[0] if editor else "AnyOS"),
    ]
    for s in STANDALONES:
        lines += [
            "  - first:",
            "      Standalone: " + s,
            "    second:",
            "      enabled: %d" % (1 if s in standalone else 0),
            "      settings:",
            "        CPU: %s" % standalone.get(s, "None"),
        ]
    lines += [
        "  - first:",
        "      iPhone: iOS",
        "    second:",
        "      enabled: %d" % (1 if ios else 0),
        "      settings:",
        "        AddToEmbeddedBinaries: false",
        "        CPU: AnyCPU",
        "        CompileFlags: ",
        "        FrameworkDependencies: ",
        "  userData: ",
        "  assetBundleName: ",
        "  assetBundleVariant: ",
    ]
    return "\n".join(lines) + "\n"


def plain_meta(g, path, is_dir):
    if is_dir:
        body = "folderAsset: yes\nDefaultImporter:\n  externalObjects: {}\n"
    elif path.endswith(".cs"):
        body = ("MonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n"
                "  executionOrder: 0\n  icon: {instanceID: 0}\n")
    elif path.endswith(".asmdef"):
        body = "AssemblyDefinitionImporter:\n  externalObjects: {}\n"
    elif path.endswith((".md", ".json", ".txt")):
        body = "TextScriptImporter:\n  externalObjects: {}\n"
    else:
        body = "DefaultImporter:\n  externalObjects: {}\n"
    return "fileFormatVersion: 2\nguid: %s\n%s  userData: \n  assetBundleName: \n  assetBundleVariant: \n" % (g, body)


def hidden(rel):
    # Unity ignores names ending in "~" and starting with "."; no .meta for those or inside them.
    return any(p.endswith("~") or p.startswith(".") for p in rel.split("/"))


def assets(folder):
    """(path, package-relative path) of every file and folder Unity imports, meta files aside."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not hidden(d) and d != "__pycache__"]
        for n in sorted(dirnames) + sorted(filenames):
            full = os.path.join(dirpath, n)
            rel = os.path.relpath(full, folder).replace(os.sep, "/")
            if n.endswith(".meta") or hidden(rel) or rel == "package.json" or n.endswith(".pyc"):
                continue
            yield full, rel


def source_metas(src, write):
    """The .meta files of unity-plugin/ itself, committed so that installing the package from a
    git URL imports it with the same GUIDs as the tarball. Returns an exit status."""
    with open(os.path.join(src, "package.json")) as f:
        name = json.load(f)["name"]
    stale = []
    for full, rel in assets(src):
        want = plain_meta(guid(name, rel), rel, os.path.isdir(full))
        have = open(full + ".meta").read() if os.path.exists(full + ".meta") else None
        if have != want:
            if write:
                with open(full + ".meta", "w") as f:
                    f.write(want)
            stale.append(rel + ".meta")
    if write:
        print("wrote %d .meta files" % len(stale))
        return 0
    if stale:
        print("stale or missing .meta files in unity-plugin/ (run unity-plugin/Tools~/package.py "
              "--root . --source-metas write): " + ", ".join(stale))
        return 1
    print("unity-plugin/ .meta files are current")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--require", default="linux-x64", help="comma-separated platforms that must be present")
    ap.add_argument("--natives", help="take the libraries from this folder (scripts/release.sh's staging)")
    ap.add_argument("--out", help="output folder (default target/unity-package)")
    ap.add_argument("--source-metas", choices=["write", "check"],
                    help="write (or check) the .meta files committed in unity-plugin/ for git-URL installs")
    a = ap.parse_args()
    root = a.root
    src = os.path.join(root, "unity-plugin")
    if a.source_metas:
        sys.exit(source_metas(src, a.source_metas == "write"))
    with open(os.path.join(src, "package.json")) as f:
        pkg = json.load(f)
    name, version = pkg["name"], pkg["version"]
    cargo = open(os.path.join(root, "Cargo.toml")).read()
    m = re.search(r'\[workspace\.package\][^\[]*?version\s*=\s*"([^"]+)"', cargo, re.S)
    if m and m.group(1) != version:
        sys.exit("package.json version %s differs from the workspace version %s" % (version, m.group(1)))

    out_root = a.out or os.path.join(root, "target", "unity-package")
    out = os.path.join(out_root, name)
    shutil.rmtree(out, ignore_errors=True)
    # Tools~ (build scripts) stays out of the package.
    shutil.copytree(src, out, ignore=shutil.ignore_patterns("Tools~", "*.pyc", "__pycache__"))

    found = set()
    natives = RELEASE_NATIVES if a.natives else NATIVES
    for platform, lib, dest, settings in natives:
        path = os.path.join(a.natives or os.path.join(root, "target"), lib)
        if not os.path.isfile(path) or os.path.exists(os.path.join(out, dest)):
            continue
        os.makedirs(os.path.dirname(os.path.join(out, dest)), exist_ok=True)
        shutil.copy2(path, os.path.join(out, dest))
        if platform == "linux-x64" and not a.natives and shutil.which("strip"):
            # Debug info is most of the file; players do not need it.
            subprocess.run(["strip", "--strip-debug", os.path.join(out, dest)], check=True)
        with open(os.path.join(out, dest + ".meta"), "w") as f:
            f.write(plugin_meta(guid(name, dest), **settings))
        found.add(platform)
        print("native: %-12s %s -> %s" % (platform, os.path.relpath(path, root), dest))
    missing = [p for p in a.require.split(",") if p and p not in found]
    if missing:
        sys.exit("missing native libraries for: %s (see unity-plugin/Tools~/build-native.sh)" % ", ".join(missing))

    # .meta for every other file and folder that has none.
    for full, rel in assets(out):
        if not os.path.exists(full + ".meta"):
            with open(full + ".meta", "w") as f:
                f.write(plain_meta(guid(name, rel), rel, os.path.isdir(full)))

    tgz = os.path.join(out_root, "%s-%s.tgz" % (name, version))
    with tarfile.open(tgz, "w:gz") as t:
        # npm/UPM tarball layout: everything under package/, sorted, no owner info.
        for dirpath, dirnames, filenames in os.walk(out):
            dirnames.sort()
            for n in sorted(filenames):
                full = os.path.join(dirpath, n)
                info = t.gettarinfo(full, "package/" + os.path.relpath(full, out).replace(os.sep, "/"))
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = 0
                with open(full, "rb") as f:
                    t.addfile(info, f)
    print("package folder: %s" % os.path.relpath(out, root))
    print("package tarball: %s (%d bytes)" % (os.path.relpath(tgz, root), os.path.getsize(tgz)))


if __name__ == "__main__":
    main()
