#!/usr/bin/env python3
"""Do two output files of downhill say the same thing?

    scripts/same_output.py A B

Exit status 0 when they do, 1 (with a line saying why) when not. Files
with the same bytes are the same. Two PNGs are the same when their pixels
are (read by `gdal_translate -of ENVI`, so the check is GDAL's decoding,
not downhill's), whatever their compression. Two HTML pages are the same
when they are equal after every embedded `data:image/png;base64,` picture
is replaced by its pixels' SHA-256. Anything else must match byte for byte.
Used by scripts/bench-before-after.sh; needs gdal-bin for PNGs.
"""
import base64
import hashlib
import os
import re
import subprocess
import sys
import tempfile

DATA_PNG = re.compile(rb"data:image/png;base64,([A-Za-z0-9+/=]+)")


def pixels(png: bytes) -> str:
    """SHA-256 of a PNG's pixels (and size), as GDAL decodes them."""
    with tempfile.TemporaryDirectory() as d:
        src, raw = os.path.join(d, "a.png"), os.path.join(d, "a.raw")
        with open(src, "wb") as f:
            f.write(png)
        subprocess.run(["gdal_translate", "-q", "-of", "ENVI", src, raw], check=True)
        with open(raw, "rb") as f:
            data = f.read()
        with open(raw[:-4] + ".hdr", "rb") as f:
            header = f.read()
    size = b" ".join(line for line in header.splitlines() if line.split(b"=")[0].strip() in (b"samples", b"lines", b"bands"))
    return hashlib.sha256(size + b"\n" + data).hexdigest()


def main() -> int:
    a_path, b_path = sys.argv[1:3]
    with open(a_path, "rb") as f:
        a = f.read()
    with open(b_path, "rb") as f:
        b = f.read()
    if a == b:
        return 0
    name = os.path.basename(a_path)
    if a.startswith(b"\x89PNG") and b.startswith(b"\x89PNG"):
        if pixels(a) == pixels(b):
            return 0
        print(f"{name}: different pixels")
        return 1
    if name.endswith(".html"):
        swap = lambda m: b"png-pixels:" + pixels(base64.b64decode(m.group(1))).encode()
        if DATA_PNG.sub(swap, a) == DATA_PNG.sub(swap, b):
            return 0
        print(f"{name}: different page or embedded pixels")
        return 1
    print(f"{name}: different bytes")
    return 1


if __name__ == "__main__":
    sys.exit(main())
