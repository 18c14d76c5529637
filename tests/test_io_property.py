"""Property-based round trip: whatever text and numbers a bureau sheet holds come back equal.

Random parking sheets (Chinese text, quotes, commas, semicolons, HTML characters, Chinese
kind names, UTF-8 or GBK) go through CSV -> loader -> registry (both backends) -> read.
The expectation is computed independently from the generated rows.
"""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yangpu_gis import open_registry
from yangpu_gis.catalogue import PARKING_KIND_ALIASES, PARKING_KINDS

ALPHABET = list("杨浦区控江路停车场号弄五角场新村 ,;\"'<>&()（）-_/abcXYZ0123456789")
text = st.text(alphabet=ALPHABET, min_size=1, max_size=24).filter(lambda s: s.strip())
kinds = st.sampled_from([*PARKING_KINDS, *PARKING_KIND_ALIASES])
row = st.tuples(text, kinds, st.integers(0, 5000), st.booleans(),
                st.floats(121.50, 121.56), st.floats(31.26, 31.33))
sheets = st.lists(row, min_size=1, max_size=15)


@given(sheets=sheets, encoding=st.sampled_from(["utf-8", "gbk", "utf-8-sig"]))
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_csv_round_trip(registry_target, tmp_path, sheets, encoding):
    ids = [f"停车-{i:03d}" for i in range(len(sheets))]
    frame = pd.DataFrame({
        "编号": ids,
        "停车场名称": [r[0] for r in sheets],
        "类型": [r[1] for r in sheets],
        "泊位数": [r[2] for r in sheets],
        "错峰共享": ["是" if r[3] else "否" for r in sheets],
        "lon": [r[4] for r in sheets],
        "lat": [r[5] for r in sheets],
    })
    path = tmp_path / f"{uuid.uuid4().hex}.csv"
    frame.to_csv(path, index=False, encoding=encoding, float_format="%.10f")
    with open_registry(registry_target) as reg:
        reg.load(path, "parking_facilities", crs="EPSG:4326", mode="replace")
        got = reg.read("parking_facilities", crs="EPSG:4326").set_index("facility_id").loc[ids]
    assert got["name"].tolist() == [r[0].strip() for r in sheets]
    assert got["kind"].tolist() == [PARKING_KIND_ALIASES.get(r[1], r[1]) for r in sheets]
    assert got["capacity"].tolist() == [r[2] for r in sheets]
    assert got["shared_offpeak"].tolist() == [r[3] for r in sheets]
    assert np.allclose(got.geometry.x, [r[4] for r in sheets], atol=1e-9)
    assert np.allclose(got.geometry.y, [r[5] for r in sheets], atol=1e-9)
