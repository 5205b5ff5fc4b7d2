#!/usr/bin/env python3
"""Peers for scripts/bench-basins.sh.

numpy-walker: every start at once, gradient descent written the way the
reference notes vectorise it (bilinear gradient of a precomputed central-
difference grid, x <- x - alpha * grad, stop on leaving the grid or after
`patience` steps shorter than `tolerance`), full simulation, no shortcut.
pysheds: Priority-Flood fill, flat resolution and D8 flow directions and
accumulation, the hydrologists' way to get drainage basins.

Prints one JSON object per peer on stdout.
"""
import json
import math
import sys
import time

import numpy as np


def read_hgt(path):
    size = {1201 * 1201 * 2: 1201, 3601 * 3601 * 2: 3601}
    raw = np.fromfile(path, dtype=">i2")
    n = size[raw.size * 2]
    z = raw.reshape(n, n).astype(np.float32)
    z[z == -32768] = np.nan
    return z


def numpy_walker(z, lat0, stride, budget_s, alpha=10.0, tol=0.01, patience=20, max_steps=100_000):
    n = z.shape[0]
    lat = lat0 + 1 - np.arange(n) / (n - 1)
    m_lat = 111_132.954 - 559.822 * np.cos(2 * np.radians(lat))
    dx = (np.pi / 180) * 6_378_137.0 * np.cos(np.radians(lat)) / (n - 1)
    dy = m_lat / (n - 1)
    ge = np.zeros_like(z)
    gn = np.zeros_like(z)
    ge[:, 1:-1] = (z[:, 2:] - z[:, :-2]) / (2 * dx[:, None])
    gn[1:-1, :] = (z[:-2, :] - z[2:, :]) / (2 * dy[1:-1, None])
    rr, cc = np.mgrid[0:n:stride, 0:n:stride]
    r = rr.ravel().astype(np.float64)
    c = cc.ravel().astype(np.float64)
    still = np.zeros(r.size, np.int32)
    alive = np.ones(r.size, bool)
    steps = 0
    t = time.perf_counter()
    for _ in range(max_steps):
        idx = np.nonzero(alive)[0]
        if idx.size == 0 or time.perf_counter() - t > budget_s:
            break
        ri, ci = r[idx], c[idx]
        r0 = np.minimum(ri.astype(np.int64), n - 2)
        c0 = np.minimum(ci.astype(np.int64), n - 2)
        fr, fc = ri - r0, ci - c0

        def bil(a):
            return ((1 - fr) * ((1 - fc) * a[r0, c0] + fc * a[r0, c0 + 1])
                    + fr * ((1 - fc) * a[r0 + 1, c0] + fc * a[r0 + 1, c0 + 1]))

        de, dn = -alpha * bil(ge), -alpha * bil(gn)
        rows = np.clip(np.round(ri).astype(np.int64), 0, n - 1)
        nr = ri - dn / dy[rows]
        nc = ci + de / dx[rows]
        steps += idx.size
        out = (nr < 0) | (nc < 0) | (nr > n - 1) | (nc > n - 1) | ~np.isfinite(nr + nc)
        r[idx], c[idx] = nr, nc
        short = np.hypot(de, dn) < tol
        still[idx] = np.where(short, still[idx] + 1, 0)
        alive[idx[out | (still[idx] >= patience)]] = False
    seconds = time.perf_counter() - t
    return {"peer": "numpy-walker", "starts": int(r.size), "finished": int((~alive).sum()),
            "steps": int(steps), "seconds": seconds}


def pysheds_d8(path):
    """Times pysheds twice: the first run includes numba compiling its
    kernels (cold), the second is the rate compared against (warm)."""
    from pysheds.grid import Grid

    def once():
        t = time.perf_counter()
        grid = Grid.from_raster(path)
        dem = grid.read_raster(path)
        filled = grid.fill_depressions(grid.fill_pits(dem))
        flat = grid.resolve_flats(filled)
        fdir = grid.flowdir(flat)
        grid.accumulation(fdir)
        return int(dem.size), time.perf_counter() - t

    _, cold = once()
    cells, warm = once()
    return {"peer": "pysheds-d8", "cells": cells, "seconds": warm, "cold_seconds": cold}


if __name__ == "__main__":
    path, lat0, stride, budget = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    z = read_hgt(path)
    print(json.dumps(numpy_walker(z, lat0, stride, budget)), flush=True)
    try:
        print(json.dumps(pysheds_d8(path)), flush=True)
    except Exception as e:  # the peer is optional: say why it did not run
        print(json.dumps({"peer": "pysheds-d8", "error": str(e)}), flush=True)
