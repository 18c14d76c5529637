"""Renewal priority of every pipeline segment: :func:`analyze_pipelines`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...errors import ValidationError
from ..complaints.common import check_positive, first_container, local_days
from ..excavation.inputs import active_permits
from ..inputs import common_metric_crs, require_columns
from ..result import AnalysisResult
from .defaults import FACTORS, PIPELINES_DEFAULTS
from .tables import RenewalTables

__all__ = ["CAST_IRON", "PipelinesResult", "analyze_pipelines", "near_counts"]

#: Cast-iron materials: the gas safety view puts these mains first.
CAST_IRON = ("灰口铸铁管", "铸铁管")
#: Materials renewed whatever their age (国办发〔2022〕22号: all grey cast-iron gas mains).
_ALWAYS_DUE = ("灰口铸铁管",)
_SENSITIVE = ("school", "hospital")
_EPOCH = dt.date(1970, 1, 1)
_D = PIPELINES_DEFAULTS


def near_counts(lines: np.ndarray, things: np.ndarray, distance_m: float,
                weights: np.ndarray | None = None) -> np.ndarray:
    """Per line, the (weighted) number of ``things`` within ``distance_m`` (STR-tree)."""
    out = np.zeros(len(lines))
    if not len(lines) or not len(things):
        return out
    li, ti = shapely.STRtree(things).query(lines, predicate="dwithin", distance=distance_m)
    w = np.ones(len(ti)) if weights is None else np.asarray(weights, dtype=float)[ti]
    np.add.at(out, li, w)
    return out


@dataclass
class PipelinesResult(AnalysisResult):
    """All outputs of :func:`analyze_pipelines`.

    Attributes
    ----------
    renewal : GeoDataFrame
        One row per segment, rank 1 = renew first: ``pipe_id, rank, score``, each factor
        (``f_<factor>``, 0–1) and its contribution to the score (``c_<factor>``, points;
        they add up to ``score``), the counts behind them and ``due`` (past its renewal age,
        or grey cast iron).
    by_utility, by_subdistrict : DataFrame
        Segments, length, due length and mean score per utility (and subdistrict).
    gas_safety : DataFrame
        Cast-iron gas mains, those within reach of a school or hospital first, then by score.
    parameters : dict
    notes : list of str
    """

    renewal: gpd.GeoDataFrame
    by_utility: pd.DataFrame
    by_subdistrict: pd.DataFrame
    gas_safety: pd.DataFrame
    parameters: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    topic: ClassVar[str] = "pipelines"

    @property
    def defaults(self):
        return PIPELINES_DEFAULTS

    def tables(self) -> dict[str, pd.DataFrame]:
        """``renewal, by_utility, by_subdistrict, gas_safety``."""
        return {"renewal": pd.DataFrame(self.renewal.drop(columns="geometry")),
                "by_utility": self.by_utility, "by_subdistrict": self.by_subdistrict,
                "gas_safety": self.gas_safety}

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``renewal`` (``pipelines.gpkg``)."""
        return {"renewal": self.renewal}

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures for the CLI."""
        r = self.renewal
        top = r.nsmallest(5, "rank")
        return {
            "segments": int(len(r)),
            "due_segments": int(r["due"].sum()),
            "due_length_km": round(float(r.loc[r["due"], "length_m"].sum()) / 1000, 2),
            "top": [{"pipe_id": str(x.pipe_id), "utility": str(x.utility),
                     "score": float(x.score)} for x in top.itertuples()],
            "gas_cast_iron": int(len(self.gas_safety)),
            "gas_cast_iron_near_schools_hospitals": int(self.gas_safety["near_sensitive"].sum())
            if len(self.gas_safety) else 0,
            "as_of": self.parameters["as_of"],
            "parameters": self.parameters,
            "notes": self.notes,
        }


def _lookup(values: pd.Series, table, unknown: float) -> np.ndarray:
    v = values.astype("string").to_numpy(dtype=object, na_value=None)
    return np.array([table.get(x, unknown) if x is not None else unknown for x in v], float)


def _recent(frame: gpd.GeoDataFrame | None, column: str, as_of: dt.date, years: int
            ) -> gpd.GeoDataFrame | None:
    """Rows of ``frame`` whose ``column`` day (Shanghai) lies in the ``365 × years`` days up
    to and including ``as_of``."""
    if frame is None or not len(frame):
        return None
    day = local_days(frame[column])
    hi = (as_of - _EPOCH).days
    return frame[(day > hi - 365 * years) & (day <= hi)]


def _totals(r: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    g = r.assign(due_length_m=np.where(r["due"], r["length_m"], 0.0)).groupby(by, dropna=False)
    out = g.agg(segments=("pipe_id", "size"), length_km=("length_m", "sum"),
                due_segments=("due", "sum"), due_length_km=("due_length_m", "sum"),
                mean_score=("score", "mean"), max_score=("score", "max"))
    out["length_km"] = (out["length_km"] / 1000).round(3)
    out["due_length_km"] = (out["due_length_km"] / 1000).round(3)
    out["due_share"] = (out["due_length_km"] / out["length_km"]).round(4)
    out["mean_score"] = out["mean_score"].round(2)
    return out.reset_index()


def analyze_pipelines(
    pipelines: gpd.GeoDataFrame,
    *,
    as_of: dt.date | str,
    permits: gpd.GeoDataFrame | None = None,
    complaints: gpd.GeoDataFrame | None = None,
    pois: gpd.GeoDataFrame | None = None,
    compounds: gpd.GeoDataFrame | None = None,
    subdistricts: gpd.GeoDataFrame | None = None,
    tables: RenewalTables | None = None,
    damage_distance_m: float = _D.damage_distance_m,
    damage_years: int = _D.damage_years,
    complaint_distance_m: float = _D.complaint_distance_m,
    complaint_years: int = _D.complaint_years,
    stake_distance_m: float = _D.stake_distance_m,
    safety_distance_m: float = _D.safety_distance_m,
) -> PipelinesResult:
    """Renewal priority of every pipeline segment (see :mod:`.defaults` for the model).

    ``score = 100 × Σ weight_f × factor_f`` over the factors ``age`` (years in service ÷ the
    utility's renewal age, at most 1; 0.5 when ``install_year`` is missing), ``material``,
    ``pressure`` (table lookups; ``unknown`` for values not in the table), ``diameter``
    (``diameter_mm`` ÷ 1000, at most 1), ``damage`` (permits, not revoked, within
    ``damage_distance_m`` that started in the ``damage_years`` before ``as_of``, ÷ 3),
    ``complaints`` (orders of
    the utility's categories within ``complaint_distance_m`` in the ``complaint_years``
    before ``as_of``, ÷ 5) and ``stakes`` (schools and hospitals within
    ``stake_distance_m``, plus 0.25 per compound, ÷ 2). Rank 1 is the highest score; ties
    go to the older segment, then the smaller ``pipe_id``.

    Parameters
    ----------
    pipelines : GeoDataFrame
        The ``pipelines`` layer (``pipe_id, utility``; ``install_year, material,
        pressure_class, diameter_mm`` when known).
    as_of : date or ISO date string, keyword-only
        The analysis date: ages and the recent-years windows count back from it.
    permits, complaints, pois, compounds, subdistricts : GeoDataFrame, optional
        ``excavation_permits``, ``complaints``, ``pois`` (``kind`` school/hospital),
        ``residential_compounds``, ``subdistricts`` (a segment's subdistrict is the one
        holding its midpoint). A missing layer gives its factor 0 (noted).
    tables : RenewalTables, optional
        Weights and factor tables (:func:`~.tables.load_renewal_tables`).
    damage_distance_m, damage_years, complaint_distance_m, complaint_years, \
stake_distance_m, safety_distance_m
        See :data:`~.defaults.PIPELINES_DEFAULTS`.

    Returns
    -------
    PipelinesResult

    Raises
    ------
    ValidationError
        Missing columns, a bad date, non-positive distances, bad tables.
    CRSError
        Frames not in one metric CRS.
    """
    require_columns(pipelines, ("pipe_id", "utility"), "pipelines")
    check_positive(damage_distance_m=damage_distance_m,
                   complaint_distance_m=complaint_distance_m,
                   stake_distance_m=stake_distance_m, safety_distance_m=safety_distance_m)
    for name, v in (("damage_years", damage_years), ("complaint_years", complaint_years)):
        if not (isinstance(v, int | np.integer) and v >= 1):
            raise ValidationError(f"{name} must be a whole number >= 1, not {v!r}")
    try:  # a date, or an ISO date or date-time string (nothing after it is dropped)
        day = as_of if isinstance(as_of, dt.date) else (
            dt.datetime.fromisoformat(as_of).date() if isinstance(as_of, str) and "T" in as_of
            else dt.date.fromisoformat(str(as_of)))
    except ValueError:
        raise ValidationError(f"the analysis date must be a date like 2025-12-31, not "
                              f"{as_of!r}") from None
    t = (tables or RenewalTables()).checked()
    d = PIPELINES_DEFAULTS
    crs = common_metric_crs(pipelines, permits, complaints, pois, compounds, subdistricts,
                            what="pipelines and their surroundings")
    notes: list[str] = []
    p = pipelines.reset_index(drop=True)
    lines = p.geometry.to_numpy()
    utility = p["utility"].astype(str).to_numpy()
    n = len(p)

    year = pd.to_numeric(p["install_year"], errors="coerce").to_numpy(float) \
        if "install_year" in p else np.full(n, np.nan)
    age = day.year - year
    if np.any(age < 0):
        raise ValidationError(f"{int(np.sum(age < 0))} pipes were installed after {day} "
                              f"(first: {p['pipe_id'].iloc[int(np.argmax(age < 0))]})",
                              hint="check install_year, or analyse as of a later date")
    renew = np.array([t.renewal_age.get(u, 30.0) for u in utility])
    f_age = np.where(np.isnan(age), 0.5, np.clip(age / renew, 0, 1))
    if np.isnan(age).any():
        notes.append(f"{int(np.isnan(age).sum())} segments without install_year: age factor 0.5")
    material = p["material"] if "material" in p else pd.Series([None] * n)
    f_mat = _lookup(material, t.material, t.material.get("unknown", 0.5))
    pressure = p["pressure_class"] if "pressure_class" in p else pd.Series([None] * n)
    f_pre = _lookup(pressure, t.pressure, t.pressure.get("unknown", 0.2))
    diam = pd.to_numeric(p["diameter_mm"], errors="coerce").to_numpy(float) \
        if "diameter_mm" in p else np.full(n, np.nan)
    f_dia = np.clip(np.nan_to_num(diam, nan=0.0) / d.diameter_full_mm, 0, 1)

    # revoked permits dug nothing: the excavation analyses' one filter leaves them out
    recent_permits = _recent(active_permits(permits) if permits is not None else None,
                             "planned_start", day, damage_years)
    n_permits = near_counts(lines, recent_permits.geometry.to_numpy(), damage_distance_m) \
        if recent_permits is not None else np.zeros(n)
    if permits is None or not len(permits):
        notes.append("no excavation permits: damage factor 0")
    f_dmg = np.clip(n_permits / d.damage_full, 0, 1)

    n_compl = np.zeros(n)
    recent = _recent(complaints, "received_at", day, complaint_years)
    if recent is not None:
        for u, cats in t.complaint_categories.items():
            sel = np.flatnonzero(utility == u)
            c = recent[recent["category"].astype(str).isin(list(cats))]
            if len(sel) and len(c):
                n_compl[sel] = near_counts(lines[sel], c.geometry.to_numpy(),
                                           complaint_distance_m)
    else:
        notes.append("no complaints: complaints factor 0")
    f_cmp = np.clip(n_compl / d.complaint_full, 0, 1)

    n_sens = np.zeros(n)
    sensitive = None
    if pois is not None and len(pois):
        require_columns(pois, ("kind",), "pois")
        sensitive = pois[pois["kind"].astype(str).isin(_SENSITIVE)].reset_index(drop=True)
        n_sens = near_counts(lines, sensitive.geometry.to_numpy(), stake_distance_m)
    n_comp = near_counts(lines, compounds.geometry.to_numpy(), stake_distance_m) \
        if compounds is not None and len(compounds) else np.zeros(n)
    f_stk = np.clip((n_sens + d.compound_weight * n_comp) / d.stakes_full, 0, 1)

    f = dict(zip(FACTORS, (f_age, f_mat, f_pre, f_dia, f_dmg, f_cmp, f_stk), strict=True))
    contrib = {k: 100.0 * t.weights.get(k, 0.0) * v for k, v in f.items()}
    score = np.sum(list(contrib.values()), axis=0)
    due = (~np.isnan(age) & (age >= renew)) | np.isin(material.astype(str).to_numpy(),
                                                        _ALWAYS_DUE)
    order = np.lexsort((p["pipe_id"].astype(str).to_numpy(), np.nan_to_num(year, nan=9999),
                        -np.round(score, 9)))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    mid = shapely.line_interpolate_point(lines, 0.5, normalized=True) if n else lines
    subs = first_container(mid, subdistricts, "subdistrict_id")[0] \
        if subdistricts is not None and len(subdistricts) else np.full(n, None, object)

    out = pd.DataFrame({"pipe_id": p["pipe_id"].astype(str), "rank": rank,
                        "score": np.round(score, 2), "utility": utility})
    for c in ("material", "pressure_class", "diameter_mm", "install_year", "owner"):
        if c in p:
            out[c] = p[c].to_numpy()
    out["age_years"] = age
    out["length_m"] = np.round(shapely.length(lines), 2)
    out["subdistrict_id"] = subs
    out["due"] = due
    out["n_permits_near"] = n_permits.astype(int)
    out["n_complaints_near"] = n_compl.astype(int)
    out["n_schools_hospitals_near"] = n_sens.astype(int)
    out["n_compounds_near"] = n_comp.astype(int)
    for k in FACTORS:
        out[f"f_{k}"] = np.round(f[k], 4)
    for k in FACTORS:
        out[f"c_{k}"] = np.round(contrib[k], 2)
    renewal = gpd.GeoDataFrame(out, geometry=lines, crs=crs).sort_values(
        "rank", ignore_index=True)

    gas = renewal[(renewal["utility"] == "gas")
                  & renewal.get("material", pd.Series(dtype=str)).astype(str).isin(CAST_IRON)]
    safety = pd.DataFrame(gas[[c for c in ("pipe_id", "rank", "score", "material",
                                           "install_year", "age_years", "pressure_class",
                                           "diameter_mm", "subdistrict_id") if c in gas]])
    if len(gas) and sensitive is not None and len(sensitive):
        tree = shapely.STRtree(sensitive.geometry.to_numpy())
        near_idx = tree.nearest(gas.geometry.to_numpy())
        dist = shapely.distance(gas.geometry.to_numpy(), sensitive.geometry.to_numpy()[near_idx])
        name_col = "name" if "name" in sensitive else "kind"
        safety["nearest_school_or_hospital"] = sensitive[name_col].to_numpy()[near_idx]
        safety["nearest_kind"] = sensitive["kind"].to_numpy()[near_idx]
        safety["distance_m"] = np.round(dist, 1)
    else:
        safety["nearest_school_or_hospital"] = None
        safety["nearest_kind"] = None
        safety["distance_m"] = np.nan
    safety["near_sensitive"] = safety["distance_m"] <= safety_distance_m
    safety = safety.sort_values(["near_sensitive", "score", "pipe_id"],
                                ascending=[False, False, True], ignore_index=True)
    safety.insert(0, "safety_rank", np.arange(1, len(safety) + 1))

    params = {"as_of": day.isoformat(), "damage_distance_m": damage_distance_m,
              "damage_years": damage_years, "complaint_distance_m": complaint_distance_m,
              "complaint_years": complaint_years, "stake_distance_m": stake_distance_m,
              "safety_distance_m": safety_distance_m,
              **{f"weight_{k}": t.weights.get(k, 0.0) for k in FACTORS},
              **{f"renewal_age_{k}": v for k, v in t.renewal_age.items()}}
    return PipelinesResult(renewal=renewal, by_utility=_totals(renewal, ["utility"]),
                           by_subdistrict=_totals(renewal, ["subdistrict_id", "utility"]),
                           gas_safety=safety, parameters=params, notes=notes)
