"""Check one excavation application against the permits, roads and pipelines it would meet.

:func:`check_permit` applies exactly the rules of :mod:`yangpu_gis.analysis.excavation` to a
proposed permit and says what it would trigger, with a verdict: ``refuse`` (inside a road's
moratorium), ``coordinate`` (concurrent with or repeating other digs: plan them as one joint
work), ``conditions`` (pipelines within clearance: a protection plan first) or ``approve``.
Only the permits near the application are touched (an STRtree query, then a walk of the
coordination group it would join), so a check takes milliseconds.

:func:`trench_along` draws an application without GIS software: a trench of a given width
along a stretch of one road's centre line, as a one-row frame with the permit columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from ...catalogue import get_layer
from ...errors import CRSError, ValidationError
from .defaults import DEFAULT_ROAD_WIDTH_M, EXCAVATION_DEFAULTS, gas_clearances
from .inputs import active_permits, as_dates, metric_crs, pair_gaps, permit_arrays
from .joins import permit_road_pairs, spatial_pairs
from .moratorium import moratorium_breaches
from .pipelines import pipelines_at_risk

__all__ = ["APPLICATION_ID", "APPLICATION_STATUS", "VERDICTS", "PermitCheck", "check_permit",
           "trench_along"]

#: ``permit_id`` given to an application that has none.
APPLICATION_ID = "APPLICATION"
#: ``status`` of an application drawn by :func:`trench_along`.
APPLICATION_STATUS = "申请中"
#: Verdict codes, most serious first, with the text of the verdict line.
VERDICTS = {
    "refuse": "不予许可 REFUSE",
    "coordinate": "须协调同步施工 COORDINATE",
    "conditions": "附条件许可 APPROVE WITH CONDITIONS",
    "approve": "可予许可 APPROVE",
}
_RULE_TEXT = {"new_road": "新建/改建道路5年禁挖期", "major_repair": "大修道路3年禁挖期"}


@dataclass
class PermitCheck:
    """What one application would trigger (see :func:`check_permit`)."""

    permit_id: str
    verdict: str
    verdict_line: str
    conflicts: pd.DataFrame
    moratorium: pd.DataFrame
    pipelines: pd.DataFrame
    roads: pd.DataFrame
    group: pd.DataFrame
    parameters: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO strings)."""

        def records(df: pd.DataFrame) -> list[dict]:
            out = df.copy()
            for c in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[c]):
                    out[c] = out[c].dt.strftime("%Y-%m-%d")
            return out.astype(object).where(out.notna(), None).to_dict(orient="records")

        return {
            "permit_id": self.permit_id,
            "verdict": self.verdict,
            "verdict_line": self.verdict_line,
            "conflicts": records(self.conflicts),
            "moratorium": records(self.moratorium),
            "pipelines_at_risk": records(self.pipelines),
            "roads": records(self.roads),
            "coordination_group": records(self.group),
            "parameters": self.parameters,
        }


def _one_application(application: gpd.GeoDataFrame, crs) -> gpd.GeoDataFrame:
    """The application as a one-row frame in ``crs``; several features become one footprint."""
    if not isinstance(application, gpd.GeoDataFrame) or len(application) == 0:
        raise ValidationError("the application must be a GeoDataFrame with a footprint",
                              hint="one feature (Polygon, MultiPolygon or LineString) with "
                              "planned_start and planned_end")
    if application.crs is None:
        raise CRSError("the application has no CRS",
                       hint="GeoJSON is WGS84 (EPSG:4326): set_crs('EPSG:4326')")
    app = application.to_crs(crs) if crs is not None else application
    app = app.reset_index(drop=True)
    if len(app) > 1:
        for col in ("planned_start", "planned_end"):
            if col in app and pd.to_datetime(app[col], errors="coerce").nunique() > 1:
                raise ValidationError(
                    f"the application's {len(app)} features have different {col}",
                    hint="check one application at a time (one feature, or several parts "
                    "of one dig with the same dates)")
        geom = shapely.union_all(np.asarray(app.geometry.values, dtype=object))
        app = gpd.GeoDataFrame(app.drop(columns=app.geometry.name).iloc[:1],
                               geometry=[geom], crs=app.crs)
    if "permit_id" not in app or pd.isna(app["permit_id"].iloc[0]):
        app["permit_id"] = APPLICATION_ID
    app["permit_id"] = app["permit_id"].astype(str)
    return app


def _group_walk(
    arr, app_geom, app_start: int, app_end: int, distance_m: float, repeat_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Direct partners of the application and the whole group it would join (positions)."""
    tree = shapely.STRtree(arr.geoms)
    _, t = spatial_pairs(tree, np.array([app_geom], dtype=object), distance_m)
    gaps = pair_gaps(np.full(len(t), app_start), np.full(len(t), app_end), arr.start[t],
                     arr.end[t])
    direct = np.unique(t[gaps <= repeat_days])
    seen = np.zeros(len(arr), dtype=bool)
    seen[direct] = True
    frontier = direct
    while len(frontier):
        q, t = spatial_pairs(tree, arr.geoms[frontier], distance_m)
        f = frontier[q]
        ok = pair_gaps(arr.start[f], arr.end[f], arr.start[t], arr.end[t]) <= repeat_days
        new = np.unique(t[ok & ~seen[t]])
        seen[new] = True
        frontier = new
    return direct, np.flatnonzero(seen)


def _details(permits: gpd.GeoDataFrame, pos: np.ndarray) -> pd.DataFrame:
    cols = [c for c in ("permit_id", "applicant", "utility", "planned_start", "planned_end",
                        "road_id", "status") if c in permits.columns]
    out = pd.DataFrame(permits[cols].iloc[pos]).reset_index(drop=True)
    for c in ("planned_start", "planned_end"):
        out[c] = pd.to_datetime(out[c]).dt.normalize()
    out["permit_id"] = out["permit_id"].astype(str)
    return out


def check_permit(
    application: gpd.GeoDataFrame,
    permits: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    pipelines: gpd.GeoDataFrame,
    *,
    distance_m: float = EXCAVATION_DEFAULTS.distance_m,
    repeat_days: int = EXCAVATION_DEFAULTS.repeat_days,
    new_road_years: int = EXCAVATION_DEFAULTS.new_road_years,
    major_repair_years: int = EXCAVATION_DEFAULTS.major_repair_years,
    clearance_m: float = EXCAVATION_DEFAULTS.clearance_m,
    gas_clearance_m: float | None = None,
    gas_high_pressure_clearance_m: float | None = None,
    default_width_m: dict[str, float] | None = None,
    exclude_status: Sequence[str] = EXCAVATION_DEFAULTS.exclude_status,
) -> PermitCheck:
    """Everything a proposed permit would trigger against the registry, and a verdict.

    Parameters
    ----------
    application : GeoDataFrame
        The proposed permit: ``planned_start``, ``planned_end`` and a footprint, in any CRS
        (reprojected to that of ``permits``); ``permit_id``, ``applicant``, ``utility``
        optional. Several features are taken as parts of one dig (same dates required).
        A registered permit with the same ``permit_id`` is left out (re-checking it).
    permits, roads, pipelines : GeoDataFrame
        The registry layers (roads and pipelines may be cut to the application's
        surroundings, e.g. with ``Registry.read(bbox=...)``).
    distance_m, repeat_days : see :func:`~yangpu_gis.analysis.excavation.conflicts`.
    new_road_years, major_repair_years : see
        :func:`~yangpu_gis.analysis.excavation.moratorium_breaches` (城市道路管理条例 Art. 33).
    clearance_m, gas_clearance_m, gas_high_pressure_clearance_m : see
        :func:`~yangpu_gis.analysis.excavation.pipelines_at_risk`.
    default_width_m : dict, optional
        Road width by class where ``width_m`` is missing.
    exclude_status : sequence of str, default :data:`~.defaults.EXCLUDED_STATUS`
        Registered permits with one of these statuses (revoked …) are left out, as in
        :func:`~.analyze.analyze_excavation`; ``()`` keeps them all.

    Returns
    -------
    PermitCheck
        ``conflicts`` (the other permit, ``kind``, ``distance_m``, ``days_apart`` and its
        details), ``moratorium``, ``pipelines``, ``roads`` (roads dug and metres),
        ``group`` (registered permits of the coordination group it would join), the
        ``verdict`` code (:data:`VERDICTS`) and a one-line ``verdict_line``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> permits = gpd.GeoDataFrame({"permit_id": ["P1"], "utility": ["gas"],
    ...     "planned_start": ["2025-05-01"], "planned_end": ["2025-05-20"]},
    ...     geometry=[box(0, 0, 40, 3)], crs="EPSG:4549")
    >>> empty = gpd.GeoDataFrame({"road_id": [], "pipe_id": [], "utility": []},
    ...     geometry=[], crs="EPSG:4549")
    >>> app = gpd.GeoDataFrame({"utility": ["water"], "planned_start": ["2025-05-15"],
    ...     "planned_end": ["2025-06-01"]}, geometry=[box(30, 0, 80, 3)], crs="EPSG:4549")
    >>> check_permit(app, permits, empty, empty).verdict
    'coordinate'
    """
    gas_clearance_m, gas_high_pressure_clearance_m = gas_clearances(
        gas_clearance_m, gas_high_pressure_clearance_m)
    width = default_width_m or DEFAULT_ROAD_WIDTH_M
    crs = metric_crs(permits, roads, pipelines)
    permits = active_permits(permits, exclude_status)
    app = _one_application(application, crs)
    pid = app["permit_id"].iloc[0]
    existing = permits[permits["permit_id"].astype(str) != pid]
    app_arr = permit_arrays(app, "the application")
    arr = permit_arrays(existing)
    geom = app_arr.geoms[0]
    direct, group = _group_walk(arr, geom, int(app_arr.start[0]), int(app_arr.end[0]),
                                distance_m, repeat_days)
    gaps = pair_gaps(app_arr.start[0], app_arr.end[0], arr.start[direct], arr.end[direct])
    found = _details(existing, direct)
    found.insert(1, "kind", np.where(gaps <= 0, "concurrent", "repeat").astype(object))
    found.insert(2, "distance_m", shapely.distance(geom, arr.geoms[direct]))
    found.insert(3, "days_apart", np.maximum(gaps, 0).astype(np.int64))
    found = found.sort_values(["kind", "days_apart", "permit_id"]).reset_index(drop=True)

    breaches = moratorium_breaches(app, roads, new_road_years=new_road_years,
                                   major_repair_years=major_repair_years,
                                   default_width_m=width)
    at_risk = pipelines_at_risk(app, pipelines, clearance_m=clearance_m,
                                gas_clearance_m=gas_clearance_m,
                                gas_high_pressure_clearance_m=gas_high_pressure_clearance_m)
    _, r, metres = permit_road_pairs(app_arr.geoms, roads, width)
    dug = pd.DataFrame({"road_id": roads["road_id"].astype(str).to_numpy(dtype=object)[r],
                        "name": (roads["name"].to_numpy(dtype=object)[r] if "name" in roads
                                 else None),
                        "metres": metres})
    members = _details(existing, group)
    params = {"distance_m": distance_m, "repeat_days": repeat_days,
              "new_road_years": new_road_years, "major_repair_years": major_repair_years,
              "clearance_m": clearance_m, "gas_clearance_m": gas_clearance_m,
              "gas_high_pressure_clearance_m": gas_high_pressure_clearance_m}
    verdict, line = _verdict(pid, app_arr, found, breaches, at_risk, members, repeat_days)
    return PermitCheck(pid, verdict, line, found, breaches, at_risk, dug, members, params)


def _verdict(pid, app_arr, found, breaches, at_risk, members, repeat_days) -> tuple[str, str]:
    reasons = []
    if len(breaches):
        b = breaches.iloc[0]
        name = f"{b['road_name']} " if isinstance(b["road_name"], str) else ""
        more = f" (+{len(breaches) - 1} more)" if len(breaches) > 1 else ""
        reasons.append(f"moratorium: {name}{b['road_id']} {_RULE_TEXT[b['rule']]} until "
                       f"{b['protected_until']:%Y-%m-%d} (城市道路管理条例 Art. 33){more}")
    conc = found[found["kind"] == "concurrent"]
    rep = found[found["kind"] == "repeat"]
    if len(conc):
        reasons.append(f"{len(conc)} concurrent dig(s) on the same stretch: "
                       + ", ".join(conc["permit_id"].head(5)))
    if len(rep):
        reasons.append(f"{len(rep)} dig(s) within {repeat_days} days (反复掘路): "
                       + ", ".join(rep["permit_id"].head(5)))
    if len(members) > len(found):
        reasons.append(f"joins a coordination group of {len(members)} registered permits")
    if len(at_risk):
        by = at_risk["utility"].value_counts()
        reasons.append(f"{len(at_risk)} pipeline(s) within clearance ("
                       + ", ".join(f"{u} {n}" for u, n in by.items()) + ")")
    if len(breaches):
        verdict = "refuse"
    elif len(found):
        verdict = "coordinate"
    elif len(at_risk):
        verdict = "conditions"
    else:
        verdict = "approve"
    start, end = as_dates(app_arr.start)[0], as_dates(app_arr.end)[0]
    head = (f"VERDICT {VERDICTS[verdict]} — {pid} "
            f"({pd.Timestamp(start):%Y-%m-%d}–{pd.Timestamp(end):%Y-%m-%d})")
    return verdict, head + (": " + "; ".join(reasons) if reasons else ": nothing triggered")


def _road_line(roads: gpd.GeoDataFrame, road_id: str) -> shapely.LineString:
    """The centre line of ``road_id``; segments stored as several rows are merged."""
    if "road_id" not in roads.columns:
        raise ValidationError("roads lack column road_id")
    rows = roads[roads["road_id"].astype(str) == str(road_id)]
    if not len(rows):
        raise ValidationError(f"no road with road_id {road_id!r}",
                              hint="take a road_id from the roads layer, e.g. "
                              + ", ".join(map(str, roads["road_id"].head(3))))
    geom = shapely.line_merge(shapely.union_all(np.asarray(rows.geometry.values, dtype=object)))
    if geom.geom_type != "LineString":
        raise ValidationError(
            f"road {road_id!r} is not one continuous centre line ({geom.geom_type})",
            hint="draw the trench on each continuous part, or pass a frame holding one part")
    return geom


def trench_along(
    roads: gpd.GeoDataFrame,
    road_id: str,
    *,
    from_m: float = 0.0,
    to_m: float | None = None,
    width_m: float,
    planned_start: Any,
    planned_end: Any,
    permit_id: str = APPLICATION_ID,
    applicant: str | None = None,
    utility: str | None = None,
    status: str | None = APPLICATION_STATUS,
) -> gpd.GeoDataFrame:
    """A trench along one road's centre line, as an application for :func:`check_permit`.

    The footprint is the stretch of the centre line from ``from_m`` to ``to_m`` metres
    (measured from the line's first vertex, in its digitised direction;
    :func:`shapely.ops.substring`), buffered by ``width_m / 2`` on each side with flat ends,
    so its area is ``(to_m - from_m) * width_m`` on a straight road.

    Parameters
    ----------
    roads : GeoDataFrame
        ``roads`` in a metric CRS (the registry's EPSG:4549); ``road_id`` and centre lines.
        Several rows with the same ``road_id`` are merged into one line.
    road_id : str
        The road to dig; its id is written to the application's ``road_id``.
    from_m, to_m : float, keyword-only
        Where the trench starts and ends along the centre line, in metres. A negative value
        counts back from the line's end (``to_m=-20``: 20 m short of the end); ``to_m=None``
        is the end.
    width_m : float, keyword-only
        Trench width in metres (> 0).
    planned_start, planned_end : date, str or Timestamp, keyword-only
        The planned period (inclusive days).
    permit_id, applicant, utility, status : str, keyword-only
        The application's attributes (``status`` default :data:`APPLICATION_STATUS`).

    Returns
    -------
    GeoDataFrame
        One row with the ``excavation_permits`` catalogue columns (``permit_id``,
        ``applicant``, ``utility``, ``planned_start``, ``planned_end``, ``road_id``,
        ``status``) and the trench polygon, in ``roads``' CRS.

    Raises
    ------
    ValidationError
        Unknown or discontinuous road, a stretch outside the road or of no length, a width
        not > 0, an end before the start.
    CRSError
        A geographic (degrees) CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString
    >>> roads = gpd.GeoDataFrame({"road_id": ["R1"]}, geometry=[LineString([(0, 0), (200, 0)])],
    ...                          crs="EPSG:4549")
    >>> app = trench_along(roads, "R1", from_m=20, to_m=-20, width_m=1.5,
    ...                    planned_start="2026-03-02", planned_end="2026-03-22", utility="water")
    >>> round(app.geometry.iloc[0].area, 1)
    240.0
    """
    metric_crs(roads)
    if roads.crs is None:
        raise CRSError("roads have no CRS", hint="set_crs('EPSG:4549') (registry layers have it)")
    if not (np.isfinite(width_m) and width_m > 0):
        raise ValidationError(f"width_m must be a number > 0, got {width_m!r}")
    line = _road_line(roads, road_id)
    length = line.length
    a = float(from_m)
    b = length if to_m is None else float(to_m)
    a, b = (a + length if a < 0 else a), (b + length if b < 0 else b)
    if not (0 <= a < b <= length + 1e-9):
        raise ValidationError(
            f"the trench {from_m!r}..{to_m!r} m is not a stretch of road {road_id!r} "
            f"({length:.1f} m long)",
            hint="0 <= from_m < to_m <= the road's length; negative values count from the end")
    start, end = pd.Timestamp(planned_start).normalize(), pd.Timestamp(planned_end).normalize()
    if end < start:
        raise ValidationError(f"planned_end {end:%Y-%m-%d} is before planned_start "
                              f"{start:%Y-%m-%d}")
    footprint = substring(line, a, min(b, length)).buffer(width_m / 2, cap_style="flat")
    values = {"permit_id": str(permit_id), "applicant": applicant, "utility": utility,
              "planned_start": start, "planned_end": end, "road_id": str(road_id),
              "status": status}
    cols = get_layer("excavation_permits").column_names
    return gpd.GeoDataFrame({c: [values.get(c)] for c in cols}, geometry=[footprint],
                            crs=roads.crs)
