"""Work orders with a known cause, planted in the demo year for ``analyze causes`` to find.

* works that drew complaints: 40 % of the 2025 permits that were not revoked draw 1–5
  orders (掘路施工, 噪声 at night, 井盖缺失) a few metres from the trench, on days between
  the permit's planned start and end;
* depressions that flood: the DEM's road low points (:func:`.raster.road_pits`) draw 3–10
  积水 orders each, on the storm days, inside the pit.

Each planted order carries its cause (``permit:<id>`` or ``pit:<k>``); roads in poor
condition already draw the background's 道路破损 orders (:mod:`.complaints`), which carry
``road:<id>``. :func:`yangpu_gis.datasets.demo.generate` returns them in
``attrs["planted_causes"]`` of the complaints layer. Invented, like the rest of the demo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["pit_orders", "works_orders"]

#: Share of the 2025 permits (not revoked) whose works drew complaints.
WORKS_SHARE = 0.4
#: What works draw: category, weight, text template, hour weights (24).
_WORKS = (
    ("掘路施工", 0.5, 0, [0] * 7 + [3, 6, 8, 8, 6, 4, 6, 8, 8, 6, 4, 2, 1, 1, 0, 0, 0]),
    ("噪声", 0.4, 0, [6, 4, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 6, 9, 8]),
    ("井盖缺失", 0.1, 0, [0] * 6 + [2, 4, 6, 6, 5, 4, 4, 4, 4, 5, 6, 5, 3, 2, 1, 0, 0, 0]),
)
_YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def _hours(rng: np.random.Generator, weights: Sequence[float], n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(24, n, p=w / w.sum()) * 3600 + rng.integers(0, 3600, n)


def works_orders(permits: gpd.GeoDataFrame, outline: shapely.Geometry,
                 rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Orders drawn by works: arrays ``x, y, t, cat, text, cause`` (see the module notes).

    ``t`` is seconds since 2025-01-01 00:00 (Shanghai time).
    """
    start = pd.to_datetime(permits["planned_start"]).dt.date
    end = pd.to_datetime(permits["planned_end"]).dt.date
    live = (end >= _YEAR[0]) & (start <= _YEAR[1])
    if "status" in permits:
        live &= permits["status"].astype(str) != "已撤销"
    idx = np.flatnonzero(live.to_numpy())
    chosen = np.sort(rng.choice(idx, int(round(WORKS_SHARE * idx.size)), replace=False))
    cats = np.array([w[0] for w in _WORKS], dtype=object)
    p = np.array([w[1] for w in _WORKS])
    out: dict[str, list] = {k: [] for k in ("x", "y", "t", "cat", "text", "cause")}
    for i in chosen:
        geom = permits.geometry.iloc[i]
        first = max(start.iloc[i], _YEAR[0])
        last = min(end.iloc[i], _YEAR[1])
        k = int(min(rng.geometric(0.45), 5))
        edge = geom.boundary if geom.geom_type.endswith("Polygon") else geom
        for _ in range(k):
            pt = edge.interpolate(float(rng.random()), normalized=True)
            x, y = pt.x + rng.normal(0, 8), pt.y + rng.normal(0, 8)
            if not outline.contains(shapely.Point(x, y)):
                x, y = pt.x, pt.y
            c = int(rng.choice(len(cats), p=p))
            day = (first - _YEAR[0]).days + int(rng.integers(0, (last - first).days + 1))
            out["x"].append(x)
            out["y"].append(y)
            out["t"].append(day * 86400 + int(_hours(rng, _WORKS[c][3], 1)[0]))
            out["cat"].append(cats[c])
            out["text"].append(_WORKS[c][2])
            out["cause"].append(f"permit:{permits['permit_id'].iloc[i]}")
    return _arrays(out)


def pit_orders(pits: Sequence[tuple[float, float, float, float]], storms: Mapping[str, float],
               rng: np.random.Generator) -> dict[str, np.ndarray]:
    """积水 orders at the DEM's road low points on storm days: arrays as :func:`works_orders`."""
    days = np.array([(dt.date.fromisoformat(d) - _YEAR[0]).days for d in storms])
    w = np.array(list(storms.values()), dtype=float)
    out: dict[str, list] = {k: [] for k in ("x", "y", "t", "cat", "text", "cause")}
    for k, (px, py, radius, _depth) in enumerate(pits):
        n = int(rng.integers(3, 11))
        r = radius * 0.6 * np.sqrt(rng.random(n))
        a = rng.uniform(0, 2 * np.pi, n)
        day = rng.choice(days, n, p=w / w.sum())
        t = day * 86400 + _hours(rng, [3] * 7 + [6, 8, 8, 8, 7] + [6] * 6 + [5, 4, 4, 3, 3, 3],
                                 n)
        out["x"] += (px + r * np.cos(a)).tolist()
        out["y"] += (py + r * np.sin(a)).tolist()
        out["t"] += t.tolist()
        out["cat"] += ["积水"] * n
        out["text"] += [0] * n
        out["cause"] += [f"pit:{k}"] * n
    return _arrays(out)


def _arrays(cols: dict[str, list]) -> dict[str, np.ndarray]:
    types = {"x": float, "y": float, "t": np.int64, "cat": object, "text": np.int64,
             "cause": object}
    return {k: np.asarray(v, dtype=types[k]) for k, v in cols.items()}
