"""Rivers, the water-quality assessment sections (断面) on them and their monthly samples of
2025 (GB 3838 classes).
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ... import settings
from .base import Base, river_geoms
from .common import largest_polygon


def rivers_layer(base: Base) -> gpd.GeoDataFrame:
    """The ``rivers`` layer: the Huangpu, the inner rivers and the park lake."""
    rivers = river_geoms(base.outline)
    return gpd.GeoDataFrame(
        {
            "river_id": [f"HD{k:03d}" for k in range(1, len(rivers) + 1)],
            "name": [r[0] for r in rivers],
            "river_chief": [r[2] for r in rivers],
            "grade": [r[1] for r in rivers],
        },
        geometry=[shapely.set_precision(r[3], 0.01) for r in rivers],
        crs=settings.working_crs,
    )


#: Water-quality assessment sections (断面): id, name, river index in :func:`river_geoms`,
#: position along the river (fraction of its length, or of the ring 2 m inside a polygon),
#: target class. Summer months of the sections in :data:`_SUMMER_POOR` fall to IV–V.
WATER_STATIONS = (
    ("WS01", "黄浦江杨浦大桥断面", 0, 0.12, "III"),
    ("WS02", "黄浦江复兴岛断面", 0, 0.33, "III"),
    ("WS03", "复兴岛运河断面", 1, 0.25, "III"),
    ("WS04", "杨树浦港平凉路断面", 2, 0.15, "IV"),
    ("WS05", "杨树浦港周家嘴路断面", 2, 0.35, "IV"),
    ("WS06", "虬江上游断面", 3, 0.25, "IV"),
    ("WS07", "虬江下游断面", 3, 0.80, "IV"),
    ("WS08", "东走马塘断面", 4, 0.50, "IV"),
    ("WS09", "走马塘断面", 5, 0.50, "IV"),
    ("WS10", "新江湾城中央河道断面", 6, 0.50, "IV"),
    ("WS11", "新江湾城公园湖断面", 8, 0.30, "IV"),
)  # fmt: skip
_SUMMER_POOR = {"WS06": (7, 8), "WS08": (7, 8)}


def water_stations_layer(rivers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The 11 municipal assessment sections on the demo rivers (one on the 新江湾城 lake)."""
    rows, geoms = [], []
    for sid, name, k, frac, target in WATER_STATIONS:
        geom = rivers.geometry.iloc[k]
        lake = rivers["name"].iloc[k].endswith("湖")
        path = geom if geom.geom_type == "LineString" else largest_polygon(geom.buffer(-2)).exterior
        geoms.append(shapely.set_precision(path.interpolate(frac, normalized=True), 0.01))
        rows.append({"station_id": sid, "name": name, "river_id": rivers["river_id"].iloc[k],
                     "water_body": "lake" if lake else "river", "target_class": target})
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=settings.working_crs)


#: Sample value ranges (mg/L) by GB 3838 class, with a margin from the limits so rounding
#: keeps the class: ``good`` is class I–II, the other parameters of a sample run up to III.
_SAMPLE_RANGES = {
    "good": {"do": (6.1, 7.4), "codmn": (2.5, 3.9), "nh3n": (0.2, 0.48), "tp": (0.05, 0.095),
             "tp_lake": (0.012, 0.024), "cod": (11.0, 14.5), "bod5": (2.0, 2.9)},
    "III": {"do": (5.05, 6.0), "codmn": (4.1, 5.9), "nh3n": (0.52, 0.98), "tp": (0.105, 0.195),
            "tp_lake": (0.026, 0.049), "cod": (15.5, 19.8), "bod5": (3.1, 3.95)},
    "IV": {"do": (3.1, 4.9), "codmn": (6.1, 9.6), "nh3n": (1.02, 1.46), "tp": (0.205, 0.29),
           "tp_lake": (0.052, 0.095), "cod": (20.5, 29.0), "bod5": (4.1, 5.8)},
    "V": {"do": (2.2, 2.9), "codmn": (10.2, 13.5), "nh3n": (1.55, 1.9), "tp": (0.31, 0.38),
          "tp_lake": (0.11, 0.18), "cod": (31.0, 37.0), "bod5": (6.2, 8.5)},
}
_SAMPLE_DIGITS = {"do": 2, "codmn": 2, "nh3n": 3, "tp": 3, "cod": 1, "bod5": 2}


def water_samples_table(stations: gpd.GeoDataFrame, seed: int) -> pd.DataFrame:
    """Monthly samples of 2025 at every section: class III or IV (decided by one or two
    parameters), a couple of class V summer months, never worse than V (lakes have their
    stricter TP limits)."""
    rng = np.random.default_rng([seed, 3838])  # own stream: the other layers are unchanged
    params = tuple(_SAMPLE_DIGITS)
    rows = []
    for st in stations.itertuples():
        lake = st.water_body == "lake"
        share_iii = 0.75 if st.target_class == "III" else 0.45
        for month in range(1, 13):
            if month in _SUMMER_POOR.get(st.station_id, ()):
                cls = "V"
            else:
                cls = "III" if rng.uniform() < share_iii else "IV"
            deciding = set(rng.choice(len(params), size=int(rng.integers(1, 3)), replace=False))
            row: dict[str, object] = {
                "sample_id": f"{st.station_id}-2025{month:02d}",
                "station_id": st.station_id,
                "sampled_on": dt.date(2025, month, int(rng.integers(8, 21))).isoformat(),
            }
            for k, name in enumerate(params):
                key = "tp_lake" if lake and name == "tp" else name
                if k in deciding:
                    lo, hi = _SAMPLE_RANGES[cls][key]
                else:  # anywhere from class I–II up to III
                    lo, hi = sorted((*_SAMPLE_RANGES["good"][key], *_SAMPLE_RANGES["III"][key]))[::3]
                row[name] = round(float(rng.uniform(lo, hi)), _SAMPLE_DIGITS[name])
            rows.append(row)
    return pd.DataFrame(rows)
