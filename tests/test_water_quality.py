"""GB 3838-2002 classes: every boundary value, TP river vs lake, stations, validation."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from yangpu_gis.analysis.water_quality import (
    CLASSES,
    classify_samples,
    classify_stations,
    classify_values,
    river_classes,
)
from yangpu_gis.errors import ValidationError

# GB 3838-2002 Table 1, typed in again here (independent of the module's table)
UPPER = {
    "codmn": [2, 4, 6, 10, 15],
    "nh3n": [0.15, 0.5, 1.0, 1.5, 2.0],
    "cod": [15, 15, 20, 30, 40],
    "bod5": [3, 3, 4, 6, 10],
}
TP = {"river": [0.02, 0.1, 0.2, 0.3, 0.4], "lake": [0.01, 0.025, 0.05, 0.1, 0.2]}
DO = [7.5, 6, 5, 3, 2]
EPS = 1e-9


def _oracle_upper(value, limits):
    for i, lim in enumerate(limits):
        if value <= lim:
            return i + 1
    return 6


def _cases():
    for p, lims in UPPER.items():
        for body in ("river", "lake"):
            yield p, body, lims
    for body, lims in TP.items():
        yield "tp", body, lims


@pytest.mark.parametrize(("param", "body", "limits"), list(_cases()))
def test_upper_limits_at_and_just_above_every_boundary(param, body, limits):
    values = []
    for lim in limits:
        values += [lim, lim + EPS, max(lim - EPS, 0)]
    got = classify_values(np.array(values), param, np.array([body] * len(values)))
    want = [_oracle_upper(v, limits) for v in values]
    assert got.tolist() == want
    # spot checks stated by hand: at the limit the value is in that class
    assert got[0] == 1 and got[3 * 4] == (5 if param not in ("cod", "bod5") else 5)
    assert got[3 * 4 + 1] == 6  # just above V: 劣V


def test_cod_and_bod5_share_class_one_and_two_limits():
    got = classify_values(np.array([15, 15.01, 3, 3.01]), "cod", np.array(["river"] * 4))
    assert got.tolist()[:2] == [1, 3]
    got = classify_values(np.array([3, 3.01]), "bod5", np.array(["river"] * 2))
    assert got.tolist() == [1, 3]


def test_dissolved_oxygen_lower_limits():
    values = []
    for lim in DO:
        values += [lim, lim - EPS, lim + EPS]
    got = classify_values(np.array(values), "do", np.array(["river"] * len(values)))
    want = []
    for v in values:
        want.append(next((i + 1 for i, lim in enumerate(DO) if v >= lim), 6))
    assert got.tolist() == want
    assert got[0] == 1 and got[1] == 2 and got[12] == 5 and got[13] == 6


def test_tp_river_vs_lake():
    v = np.array([0.05, 0.05, 0.2, 0.2, 0.25, 0.25])
    body = np.array(["river", "lake"] * 3)
    assert classify_values(v, "tp", body).tolist() == [2, 3, 3, 5, 4, 6]


def _stations():
    return gpd.GeoDataFrame(
        {"station_id": ["S1", "S2", "S3"], "name": ["a", "b", "c"], "river_id": ["R1", "R2", "L1"],
         "water_body": ["river", "river", "lake"]},
        geometry=[shapely.Point(0, 0), shapely.Point(1000, 0), shapely.Point(0, 1000)],
        crs="EPSG:4549")


def _samples():
    return pd.DataFrame({
        "station_id": ["S1", "S1", "S2", "S3", "S1"],
        "sampled_on": ["2025-03-01", "2025-09-01", "2025-05-05", "2025-06-01", "2024-06-01"],
        "do": [7.6, 5.5, 6.0, 8.0, 1.0],
        "codmn": [3.0, 5.0, 3.9, 2.0, 20],
        "nh3n": [0.4, 1.2, 2.5, 0.1, 3.0],
        "tp": [0.1, 0.3, 0.1, 0.1, 0.5],
    })


def test_samples_worst_parameter_and_ties():
    res = classify_samples(_samples(), _stations())
    assert list(res.columns[:4]) == ["station_id", "sampled_on", "class", "worst_parameter"]
    # S1 2025-03: do I, codmn II, nh3n II, tp II -> II by codmn,nh3n,tp
    assert res.loc[0, "class"] == "II" and res.loc[0, "worst_parameter"] == "codmn,nh3n,tp"
    # S1 2025-09: do III, codmn III, nh3n IV, tp IV -> IV
    assert res.loc[1, "class"] == "IV" and res.loc[1, "worst_parameter"] == "nh3n,tp"
    assert res.loc[2, "class"] == "劣V" and res.loc[2, "worst_parameter"] == "nh3n"
    # lake: tp 0.1 is class IV for lakes (II for rivers)
    assert res.loc[3, "class"] == "IV" and res.loc[3, "worst_parameter"] == "tp"
    assert res.loc[0, "sampled_on"] == dt.date(2025, 3, 1)


def test_stations_period_mean_and_compliance():
    st = _stations()
    res = classify_stations(_samples(), st, as_of=dt.date(2026, 2, 1)).set_index("station_id")
    # S1 means over 2025 only: do 6.55 (II), codmn 4 (II), nh3n 0.8 (III), tp 0.2 (III)
    assert res.loc["S1", "period"] == "2025" and res.loc["S1", "samples"] == 2
    assert res.loc["S1", "class"] == "III" and res.loc["S1", "worst_parameter"] == "nh3n,tp"
    assert bool(res.loc["S1", "compliant"]) is True
    assert res.loc["S2", "class"] == "劣V" and bool(res.loc["S2", "compliant"]) is False
    # target column per station overrides the option
    st["target_class"] = ["II", "III", "IV"]
    res2 = classify_stations(_samples(), st, period=2025).set_index("station_id")
    assert bool(res2.loc["S1", "compliant"]) is False and bool(res2.loc["S3", "compliant"]) is True
    res3 = classify_stations(_samples(), _stations(), period=2024).set_index("station_id")
    assert res3.loc["S1", "class"] == "劣V" and pd.isna(res3.loc["S2", "class"])


def test_validation_names_rows_and_fields():
    bad = _samples()
    bad.loc[1, "tp"] = -0.1
    bad.loc[2, "sampled_on"] = "soon"
    bad.loc[3, "station_id"] = "S9"
    with pytest.raises(ValidationError) as e:
        classify_samples(bad, _stations())
    text = e.value.render()
    assert "row 2, field 'tp'" in text and "row 3, field 'sampled_on'" in text
    assert "row 4, field 'station_id'" in text
    st = _stations()
    st.loc[0, "water_body"] = "sea"
    with pytest.raises(ValidationError, match="water_body"):
        classify_samples(_samples(), st)
    with pytest.raises(ValidationError, match="lack column"):
        classify_samples(_samples().drop(columns="tp"), _stations())


def test_river_stretches_take_nearest_station_class():
    rivers = gpd.GeoDataFrame({"river_id": ["R1", "R2"], "name": ["x", "y"]},
                              geometry=[shapely.LineString([(0, 50), (400, 50)]),
                                        shapely.LineString([(900, 60), (1400, 60)])],
                              crs="EPSG:4549")
    cls = classify_stations(_samples(), _stations(), period=2025)
    out = river_classes(rivers, _stations(), cls)
    assert out.set_index("river_id")["class"].to_dict() == {"R1": "III", "R2": "劣V"}
    assert set(CLASSES) >= set(out["class"])


@pytest.mark.parametrize("period", ["yesterday", "2025-13-01/2025-12-31", "2025/2026/2027",
                                    "2025-06-01/2025-01-01", "99999", ("2025-01-01",)])
def test_a_period_that_is_not_a_year_or_dates_is_refused(period):
    with pytest.raises(ValidationError, match="period"):
        classify_stations(_samples(), _stations(), period=period)


def test_a_period_as_text_equals_the_same_period_as_dates():
    as_text = classify_stations(_samples(), _stations(), period="2025-01-01/2025-12-31")
    as_tuple = classify_stations(_samples(), _stations(),
                                 period=(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    pd.testing.assert_frame_equal(as_text, as_tuple)
    as_year = classify_stations(_samples(), _stations(), period=2025)
    assert (as_year["samples"].to_numpy() == as_text["samples"].to_numpy()).all()
