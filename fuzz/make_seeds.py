#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora into fuzz/seeds/<target>/.

Seeds come from the bundled tiles (crops of data/N52W007.hgt and
data/N43E007.hgt), hand-made TIFFs (striped and tiled, uncompressed,
PackBits, LZW and DEFLATE, Int16/Float32, classic and BigTIFF, tie point
or transformation matrix, PixelIsPoint), zipped tiles, the bundled
gazetteer and a set of formulas. Standard library only; deterministic.

Usage: python3 fuzz/make_seeds.py   (from the repository root)
"""

import json
import os
import struct
import zipfile
import io
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(ROOT, "fuzz", "seeds")


def out(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tile_rows(name, n=1201):
    with open(os.path.join(ROOT, "data", name), "rb") as f:
        raw = f.read()
    return [raw[r * 2 * n:(r + 1) * 2 * n] for r in range(n)]


def crop(rows, r0, c0, h, w):
    """Big-endian int16 samples of a h x w crop, as a list of ints."""
    vals = []
    for r in range(r0, r0 + h):
        row = rows[r]
        for c in range(c0, c0 + w):
            vals.append(struct.unpack(">h", row[2 * c:2 * c + 2])[0])
    return vals


# ---------------------------------------------------------------- TIFF writer

def packbits(data):
    outb = bytearray()
    i = 0
    while i < len(data):
        run = 1
        while i + run < len(data) and run < 128 and data[i + run] == data[i]:
            run += 1
        if run > 1:
            outb += struct.pack("b", -(run - 1)) + data[i:i + 1]
            i += run
            continue
        j = i
        while j < len(data) and j - i < 128 and not (
                j + 1 < len(data) and data[j + 1] == data[j]):
            j += 1
        j = max(j, i + 1)
        outb += struct.pack("b", j - i - 1) + data[i:j]
        i = j
    return bytes(outb)


def lzw(data):
    """TIFF LZW (MSB-first codes, early change)."""
    clear, eoi = 256, 257
    table = {bytes([i]): i for i in range(256)}
    next_code, width = 258, 9
    bits, nbits, outb = 0, 0, bytearray()

    def emit(code):
        nonlocal bits, nbits
        bits = (bits << width) | code
        nbits += width
        while nbits >= 8:
            nbits -= 8
            outb.append((bits >> nbits) & 0xFF)

    emit(clear)
    w = b""
    for b in data:
        wc = w + bytes([b])
        if wc in table:
            w = wc
            continue
        emit(table[w])
        table[wc] = next_code
        next_code += 1
        if next_code in (512, 1024, 2048):
            width += 1
        if next_code == 4094:
            emit(clear)
            table = {bytes([i]): i for i in range(256)}
            next_code, width = 258, 9
        w = bytes([b])
    if w:
        emit(table[w])
    emit(eoi)
    if nbits:
        outb.append((bits << (8 - nbits)) & 0xFF)
    return bytes(outb)


def predict2(raw, w, h, size):
    """Horizontal differencing on little-endian samples of `size` bytes."""
    fmt = {2: "<h", 4: "<f"}[size]
    if size != 2:
        return raw
    outb = bytearray()
    for r in range(h):
        prev = 0
        for c in range(w):
            v = struct.unpack_from(fmt, raw, (r * w + c) * size)[0]
            outb += struct.pack("<h", ((v - prev + 32768) % 65536) - 32768)
            prev = v
    return bytes(outb)


def tiff(values, w, h, *, sample="int16", compression=1, tile=None,
         rows_per_strip=None, bigtiff=False, geo="tie", epsg=4326,
         point=False, nodata=None, predictor=1,
         origin=(-7.0, 53.0), cell=1.0 / 1200):
    if sample == "int16":
        raw = b"".join(struct.pack("<h", v) for v in values)
        bits, fmt_code, size = 16, 2, 2
    else:
        raw = b"".join(struct.pack("<f", float(v)) for v in values)
        bits, fmt_code, size = 32, 3, 4

    def encode(chunk, cw, ch):
        if predictor == 2:
            chunk = predict2(chunk, cw, ch, size)
        if compression == 1:
            return chunk
        if compression == 8:
            return zlib.compress(chunk)
        if compression == 5:
            return lzw(chunk)
        if compression == 32773:
            return packbits(chunk)
        raise ValueError(compression)

    chunks = []
    if tile:
        tw, th = tile
        for ty in range(0, h, th):
            for tx in range(0, w, tw):
                buf = bytearray()
                for r in range(ty, ty + th):
                    for c in range(tx, tx + tw):
                        if r < h and c < w:
                            buf += raw[(r * w + c) * size:(r * w + c + 1) * size]
                        else:
                            buf += b"\0" * size
                chunks.append(encode(bytes(buf), tw, th))
    else:
        rps = rows_per_strip or h
        for r in range(0, h, rps):
            n = min(rps, h - r)
            chunks.append(encode(raw[r * w * size:(r + n) * w * size], w, n))

    tags = {
        256: (3, [w]), 257: (3, [h]), 258: (3, [bits]), 259: (3, [compression]),
        262: (3, [1]), 277: (3, [1]), 339: (3, [fmt_code]),
    }
    if predictor != 1:
        tags[317] = (3, [predictor])
    if tile:
        tags[322] = (3, [tile[0]])
        tags[323] = (3, [tile[1]])
    else:
        tags[278] = (3, [rows_per_strip or h])
    model = 2 if epsg == 4326 else 1
    keys = [1, 1, 0, 0]
    entries = [(1024, 0, 1, model), (1025, 0, 1, 2 if point else 1)]
    entries.append((2048 if model == 2 else 3072, 0, 1, epsg))
    for e in entries:
        keys += list(e)
    keys[3] = len(entries)
    tags[34735] = (3, keys)
    if geo == "tie":
        tags[33550] = (12, [cell, cell, 0.0])
        tags[33922] = (12, [0.0, 0.0, 0.0, origin[0], origin[1], 0.0])
    else:
        tags[34264] = (12, [cell, 0.0, 0.0, origin[0], 0.0, -cell, 0.0, origin[1],
                            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    if nodata is not None:
        tags[42113] = (2, nodata)

    # Layout: header, chunk data, then the IFD and its out-of-line values.
    head = 16 if bigtiff else 8
    data = bytearray()
    offsets = []
    for c in chunks:
        offsets.append(head + len(data))
        data += c
        if len(data) % 2:
            data += b"\0"
    off_type = 16 if bigtiff else 4
    cnt_type = 16 if bigtiff else 4
    if tile:
        tags[324] = (off_type, offsets)
        tags[325] = (cnt_type, [len(c) for c in chunks])
    else:
        tags[273] = (off_type, offsets)
        tags[279] = (cnt_type, [len(c) for c in chunks])
    ifd_at = head + len(data)
    type_size = {2: 1, 3: 2, 4: 4, 12: 8, 16: 8}
    type_fmt = {3: "H", 4: "I", 12: "d", 16: "Q"}
    entry_size, count_fmt, inline = (20, "Q", 8) if bigtiff else (12, "I", 4)
    n = len(tags)
    ifd_len = (8 if bigtiff else 2) + n * entry_size + (8 if bigtiff else 4)
    extra = bytearray()
    entries_b = bytearray()
    for tag in sorted(tags):
        typ, vals = tags[tag]
        if typ == 2:
            payload = vals.encode() + b"\0"
            count = len(payload)
        else:
            payload = b"".join(struct.pack("<" + type_fmt[typ], v) for v in vals)
            count = len(vals)
        if len(payload) <= inline:
            value = payload.ljust(inline, b"\0")
        else:
            at = ifd_at + ifd_len + len(extra)
            value = struct.pack("<" + count_fmt, at)
            extra += payload
            if len(extra) % 2:
                extra += b"\0"
        entries_b += struct.pack("<HH" + count_fmt, tag, typ, count) + value
    if bigtiff:
        header = b"II+\0" + struct.pack("<HHQ", 8, 0, ifd_at)
        ifd = struct.pack("<Q", n) + entries_b + struct.pack("<Q", 0)
    else:
        header = b"II*\0" + struct.pack("<I", ifd_at)
        ifd = struct.pack("<H", n) + entries_b + struct.pack("<I", 0)
    return bytes(header + data + ifd + extra)


# ---------------------------------------------------------------- seeds

def main():
    leinster = tile_rows("N52W007.hgt")
    nice = tile_rows("N43E007.hgt")

    # GeoTIFF: crops of the bundled tiles in every layout the reader knows.
    small = crop(leinster, 500, 600, 24, 20)
    voidy = crop(nice, 0, 0, 16, 16)
    variants = [
        ("int16_none_strip.tif", dict()),
        ("int16_deflate_strip.tif", dict(compression=8, rows_per_strip=8)),
        ("int16_lzw_strip.tif", dict(compression=5, rows_per_strip=5)),
        ("int16_lzw_pred2.tif", dict(compression=5, predictor=2)),
        ("int16_packbits_tiled.tif", dict(compression=32773, tile=(16, 16))),
        ("int16_deflate_tiled_big.tif", dict(compression=8, tile=(16, 16), bigtiff=True)),
        ("float32_deflate.tif", dict(sample="float32", compression=8, nodata="-9999")),
        ("int16_matrix_point.tif", dict(geo="matrix", point=True)),
        ("int16_utm.tif", dict(epsg=32629, origin=(600000.0, 5830000.0), cell=90.0)),
    ]
    for name, kw in variants:
        out("geotiff", name, tiff(small, 20, 24, **kw))
    out("geotiff", "int16_voids_nodata.tif",
        tiff(voidy, 16, 16, nodata="-32768", compression=8, origin=(7.0, 44.0)))

    # SRTM: the first byte chooses raw (even) or zip (odd).
    zero_tile = b"\0" * (1201 * 1201 * 2)
    part = b"".join(leinster[:12]) + zero_tile[12 * 2402:]

    def zipped(name, payload, method=zipfile.ZIP_DEFLATED):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", method) as z:
            z.writestr(entry(name, method), payload)
        return buf.getvalue()

    out("hgt_zip", "zip_zero_tile", b"\1" + zipped("N52W007.hgt", zero_tile))
    out("hgt_zip", "zip_leinster_rows", b"\1" + zipped("N52W007.hgt", part))
    out("hgt_zip", "zip_stored_short", b"\1" + zipped("N52W007.hgt", b"".join(leinster[:2]),
                                                      zipfile.ZIP_STORED))
    out("hgt_zip", "zip_two_tiles", b"\1" + _two(zero_tile[:1000]).getvalue())
    out("hgt_zip", "raw_rows", b"\0" + b"".join(leinster[:3]))

    # Gazetteers.
    with open(os.path.join(ROOT, "data", "peaks.csv"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    out("gazetteer_csv", "bundled_head.csv", "\n".join(lines[:8]) + "\n")
    out("gazetteer_csv", "positional.csv", "Mount Leinster,52.6177,-6.7800,795\nLugnaquilla,52.967,-6.465\n")
    out("gazetteer_csv", "header_reordered.csv",
        "lat,name,elevation,lon\n52.6177,\"Mount, Leinster\",795,-6.78\n# comment\n")
    features = []
    for i, line in enumerate(lines[1:8]):
        cells = line.split(",")
        try:
            lat, lon = float(cells[1]), float(cells[2])
        except (IndexError, ValueError):
            continue
        features.append({"type": "Feature", "properties": {"name": cells[0], "country": "IE"},
                         "geometry": {"type": "Point", "coordinates": [lon, lat, 795.0]}})
    out("gazetteer_geojson", "points.geojson",
        json.dumps({"type": "FeatureCollection", "features": features}))
    out("gazetteer_geojson", "one_feature.geojson",
        json.dumps({"type": "Feature", "properties": {"name": "Ｍｏｕｎｔ ‥", "elevation": 3},
                    "geometry": {"type": "Point", "coordinates": [-6.78, 52.6]}}))

    # Formulas.
    formulas = [
        "x^4 - 2*x^2 + y^2", "sin(x)*cos(y) + exp(-(x^2 + y^2))*x^3",
        "1e4*x + 2.5E-3*y^2 + 3e+2", "ln(x) + sqrt(y) / abs(x - y)",
        "x^x^x", "tan(PI*x) - E^y", "(x + y)*(x - y)/(1 + x^2)",
        "sin(sin(sin(sin(x))))", "-x", "x*y+x*y+x*y+x*y",
    ]
    for i, f in enumerate(formulas):
        out("formula", f"f{i:02}", f)

    # OpenStreetMap: XML extracts and PBF files encoded here from the same nodes.
    for name, text in osm_xml_seeds():
        out("osm_xml", name, text)
    nodes = OSM_NODES
    out("osm_pbf", "dense_zlib.osm.pbf", pbf_file(nodes, dense=True, compress=True))
    out("osm_pbf", "dense_raw.osm.pbf", pbf_file(nodes, dense=True, compress=False))
    out("osm_pbf", "plain_nodes.osm.pbf", pbf_file(nodes, dense=False, compress=True))


# (id, lat, lon, tags): summits as OpenStreetMap tags them, and others.
OSM_NODES = [
    (101, 52.6177, -6.7800, [("natural", "peak"), ("name", "Mount Leinster"), ("ele", "795")]),
    (102, 52.7000, -6.5000, [("natural", "volcano"), ("name", "Cnoc & Sliabh Ó Dónaill"),
                             ("ele", "1200 ft")]),
    (103, 52.8000, -6.6000, [("natural", "peak"), ("ele", "300")]),
    (104, 52.8100, -6.6100, [("amenity", "pub"), ("name", "The Summit Bar")]),
    (105, 44.2705, -71.3033, [("natural", "peak"), ("name:en", "Mount Washington"),
                              ("ele", "1917 m")]),
    (106, 52.9, -6.9, []),
]


def osm_xml_seeds():
    def esc(v):
        return v.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")

    body = []
    for nid, lat, lon, tags in OSM_NODES:
        if not tags:
            body.append(f'  <node id="{nid}" lat="{lat}" lon="{lon}" version="1"/>')
            continue
        body.append(f'  <node id="{nid}" lat="{lat}" lon="{lon}" version="1">')
        body += [f'    <tag k="{esc(k)}" v="{esc(v)}"/>' for k, v in tags]
        body.append("  </node>")
    body.append('  <way id="201" version="1">\n    <nd ref="101"/>\n'
                '    <tag k="natural" v="ridge"/>\n  </way>')
    full = ('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="seed">\n'
            + "\n".join(body) + "\n</osm>\n")
    yield "extract.osm", full
    yield "one_peak.osm", ('<osm><node id="1" lat="0.5" lon="0.5"><tag k="natural" v="peak"/>'
                           '<tag k="name" v="&#x41;lpha &lt;1&gt;"/></node></osm>')
    yield "bounds.osm", ('<osm><bounds minlat="52" minlon="-7" maxlat="53" maxlon="-6"/>'
                         '<node id="2" lat="52.5" lon="-6.5"/></osm>')


def varint(n):
    b = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            b.append(byte | 0x80)
        else:
            b.append(byte)
            return bytes(b)


def zigzag(n):
    return (n << 1) ^ (n >> 63) if n >= 0 else ((-n) << 1) - 1


def field(number, wire, payload):
    key = varint((number << 3) | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def packed(number, values):
    return field(number, 2, b"".join(varint(v) for v in values))


def pbf_blob(kind, message, compress):
    if compress:
        blob = field(2, 0, len(message)) + field(3, 2, zlib.compress(message, 9))
    else:
        blob = field(1, 2, message)
    header = field(1, 2, kind.encode()) + field(3, 0, len(blob))
    return struct.pack(">I", len(header)) + header + blob


def pbf_file(nodes, *, dense, compress):
    """An .osm.pbf file (OSMHeader + one OSMData block) of `nodes`."""
    header_block = field(4, 2, b"OsmSchema-V0.6") + field(4, 2, b"DenseNodes")
    strings = [""]

    def index(s):
        if s not in strings:
            strings.append(s)
        return strings.index(s)

    # Granularity 100 nanodegrees (the default): coordinates in 1e-7 degrees.
    coords = [(nid, round(lat * 1e7), round(lon * 1e7), tags) for nid, lat, lon, tags in nodes]
    if dense:
        ids, lats, lons, kv = [], [], [], []
        prev = (0, 0, 0)
        for nid, lat, lon, tags in coords:
            ids.append(zigzag(nid - prev[0]))
            lats.append(zigzag(lat - prev[1]))
            lons.append(zigzag(lon - prev[2]))
            prev = (nid, lat, lon)
            for k, v in tags:
                kv += [index(k), index(v)]
            kv.append(0)
        dense_nodes = packed(1, ids) + packed(8, lats) + packed(9, lons) + packed(10, kv)
        group = field(2, 2, dense_nodes)
    else:
        group = b""
        for nid, lat, lon, tags in coords:
            node = (field(1, 0, zigzag(nid))
                    + packed(2, [index(k) for k, _ in tags])
                    + packed(3, [index(v) for _, v in tags])
                    + field(8, 0, zigzag(lat)) + field(9, 0, zigzag(lon)))
            group += field(1, 2, node)
    table = b"".join(field(1, 2, s.encode()) for s in strings)
    block = field(1, 2, table) + field(2, 2, group)
    return pbf_blob("OSMHeader", header_block, compress) + pbf_blob("OSMData", block, compress)


def entry(name, method=zipfile.ZIP_DEFLATED):
    """A zip entry with a fixed date, so the seeds are the same on every run."""
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    info.compress_type = method
    return info


def _two(payload):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(entry("a.hgt"), payload)
        z.writestr(entry("b.hgt"), payload)
    return buf


if __name__ == "__main__":
    main()
