#!/usr/bin/python3
"""Builds a pure-Python wheel from a package directory, byte for byte the same on every run (fixed
zip timestamps, sorted entries), so the lab's orchestrator artifact has a stable sha256.
Usage: make-wheel.py SOURCE_DIR PACKAGE DIST_NAME VERSION OUT_DIR [REQUIRES...]
  SOURCE_DIR/PACKAGE is the import package; REQUIRES become Requires-Dist lines."""
import base64
import hashlib
import os
import sys
import zipfile

EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def entry(archive, name, data, record):
    info = zipfile.ZipInfo(name, date_time=EPOCH)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append(f"{name},sha256={digest},{len(data)}")


def main(source, package, dist, version, out, requires):
    normalized = dist.replace("-", "_")
    info_dir = f"{normalized}-{version}.dist-info"
    files = []
    for folder, dirs, names in os.walk(os.path.join(source, package)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                files.append((os.path.relpath(path, source).replace(os.sep, "/"), path))
    metadata = "".join(
        [f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"]
        + [f"Requires-Dist: {r}\n" for r in requires]
    ).encode()
    wheel = b"Wheel-Version: 1.0\nGenerator: lyra-fleet-lab\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    target = os.path.join(out, f"{normalized}-{version}-py3-none-any.whl")
    record = []
    with zipfile.ZipFile(target, "w") as archive:
        for name, path in sorted(files):
            with open(path, "rb") as handle:
                entry(archive, name, handle.read(), record)
        entry(archive, f"{info_dir}/METADATA", metadata, record)
        entry(archive, f"{info_dir}/WHEEL", wheel, record)
        record.append(f"{info_dir}/RECORD,,")
        info = zipfile.ZipInfo(f"{info_dir}/RECORD", date_time=EPOCH)
        info.external_attr = 0o644 << 16
        archive.writestr(info, ("\n".join(record) + "\n").encode())
    print(target)


if __name__ == "__main__":
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    main(*sys.argv[1:6], sys.argv[6:])
