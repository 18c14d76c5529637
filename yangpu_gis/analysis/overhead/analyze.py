"""Length of overhead lines buried per year, road and subdistrict: :func:`analyze_overhead`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd

from ...errors import ValidationError
from ..inputs import common_metric_crs, require_columns
from ..result import AnalysisResult

__all__ = ["DONE_STATUSES", "LEFT_STATUSES", "OverheadResult", "analyze_overhead"]

#: Statuses of a line no longer overhead: buried (已入地) or removed (已拆除, 无主已清理).
DONE_STATUSES = ("buried", "removed")
#: Statuses of a line still to do.
LEFT_STATUSES = ("overhead", "burying")


def _lengths(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    f = frame.assign(buried_m=np.where(frame["status"] == "buried", frame["length_m"], 0.0),
                     removed_m=np.where(frame["status"] == "removed", frame["length_m"], 0.0),
                     left_m=np.where(frame["status"].isin(LEFT_STATUSES), frame["length_m"],
                                     0.0))
    out = f.groupby(by, dropna=False).agg(lines=("line_id", "nunique"),
                                          total_m=("length_m", "sum"),
                                          buried_m=("buried_m", "sum"),
                                          removed_m=("removed_m", "sum"),
                                          left_m=("left_m", "sum")).reset_index()
    for c in ("total_m", "buried_m", "removed_m", "left_m"):
        out[c] = out[c].round(1)
    out["share_done"] = ((out["buried_m"] + out["removed_m"]) / out["total_m"]).round(4)
    return out


@dataclass
class OverheadResult(AnalysisResult):
    """All outputs of :func:`analyze_overhead`.

    Attributes
    ----------
    by_year : DataFrame
        Per year: length buried, removed, done, done cumulatively and its share of all
        lines; length planned for the year and how much of it is done.
    by_road, by_subdistrict : DataFrame
        Lines, total, buried, removed and left length, share done.
    left : DataFrame
        Lines still overhead or being buried, overdue first (planned for a past year).
    lines : GeoDataFrame
        The lines with ``length_m`` and ``overdue`` (the map).
    """

    by_year: pd.DataFrame
    by_road: pd.DataFrame
    by_subdistrict: pd.DataFrame
    left: pd.DataFrame
    lines: gpd.GeoDataFrame
    parameters: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    topic: ClassVar[str] = "overhead"

    def tables(self) -> dict[str, pd.DataFrame]:
        """``by_year, by_road, by_subdistrict, left``."""
        return {"by_year": self.by_year, "by_road": self.by_road,
                "by_subdistrict": self.by_subdistrict, "left": self.left}

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``lines`` (``overhead.gpkg``)."""
        return {"lines": self.lines}

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures for the CLI."""
        ln = self.lines
        total = float(ln["length_m"].sum())
        done = float(ln.loc[ln["status"].isin(DONE_STATUSES), "length_m"].sum())
        return {"lines": int(len(ln)), "total_km": round(total / 1000, 2),
                "done_km": round(done / 1000, 2),
                "share_done": round(done / total, 4) if total else None,
                "left_km": round((total - done) / 1000, 2),
                "overdue_lines": int(ln["overdue"].sum()),
                "parameters": self.parameters, "notes": self.notes}


def analyze_overhead(lines: gpd.GeoDataFrame, *, as_of_year: int,
                     roads: gpd.GeoDataFrame | None = None,
                     subdistricts: gpd.GeoDataFrame | None = None) -> OverheadResult:
    """Overhead length buried or removed per year, road and subdistrict, and what is left.

    A line counts as done (buried or removed) in the year of its ``buried_date`` (the day
    it went underground or was taken down); one done without a date is counted in the
    totals, not in a year (noted). A line still overhead or being buried whose
    ``plan_year`` is before ``as_of_year`` is overdue.

    Parameters
    ----------
    lines : GeoDataFrame
        The ``overhead_lines`` layer (``line_id, status``; ``road_id, plan_year,
        buried_date`` when known), in a metric CRS.
    as_of_year : int, keyword-only
        The current year (overdue = planned before it).
    roads : GeoDataFrame, optional, keyword-only
        For road names in ``by_road``.
    subdistricts : GeoDataFrame, optional, keyword-only
        Lengths are split exactly at their borders (``geopandas.overlay``).

    Returns
    -------
    OverheadResult

    Raises
    ------
    ValidationError
        Missing columns, unknown statuses.
    """
    require_columns(lines, ("line_id", "status"), "overhead lines")
    crs = common_metric_crs(lines, roads, subdistricts, what="overhead lines")
    known = (*DONE_STATUSES, *LEFT_STATUSES)
    bad = sorted(set(lines["status"].astype(str)) - set(known))
    if bad:
        raise ValidationError(f"unknown status {bad[0]!r} of overhead lines",
                              hint="statuses: " + ", ".join(known))
    notes: list[str] = []
    ln = lines.reset_index(drop=True).copy()
    ln["status"] = ln["status"].astype(str)
    ln["length_m"] = ln.geometry.length.round(2)
    year = pd.to_datetime(ln["buried_date"], errors="coerce").dt.year \
        if "buried_date" in ln else pd.Series(np.nan, index=ln.index)
    done = ln["status"].isin(DONE_STATUSES)
    if (done & year.isna()).any():
        notes.append(f"{int((done & year.isna()).sum())} lines done without buried_date: in "
                     "the totals, in no year")
    plan = pd.to_numeric(ln["plan_year"], errors="coerce") if "plan_year" in ln \
        else pd.Series(np.nan, index=ln.index)
    ln["overdue"] = ln["status"].isin(LEFT_STATUSES) & (plan < as_of_year)
    total = float(ln["length_m"].sum())
    years = sorted({int(y) for y in pd.concat([year, plan]).dropna()})
    rows = []
    cumulative = 0.0
    for y in years:
        this = done & (year == y)
        buried = float(ln.loc[this & (ln["status"] == "buried"), "length_m"].sum())
        removed = float(ln.loc[this & (ln["status"] == "removed"), "length_m"].sum())
        cumulative += buried + removed
        planned = plan == y
        rows.append({"year": y, "buried_m": round(buried, 1), "removed_m": round(removed, 1),
                     "done_m": round(buried + removed, 1),
                     "cumulative_done_m": round(cumulative, 1),
                     "cumulative_share": round(cumulative / total, 4) if total else np.nan,
                     "planned_m": round(float(ln.loc[planned, "length_m"].sum()), 1),
                     "planned_done_m": round(float(ln.loc[planned & done, "length_m"].sum()),
                                             1)})
    by_year = pd.DataFrame(rows, columns=["year", "buried_m", "removed_m", "done_m",
                                          "cumulative_done_m", "cumulative_share",
                                          "planned_m", "planned_done_m"])
    by_road = _lengths(ln.assign(road_id=ln["road_id"] if "road_id" in ln else None),
                       ["road_id"])
    if roads is not None and len(roads) and "name" in roads:
        names = roads.drop_duplicates("road_id").set_index("road_id")["name"]
        by_road.insert(1, "name", by_road["road_id"].map(names))
    by_road = by_road.sort_values(["left_m", "road_id"], ascending=[False, True],
                                  ignore_index=True)
    if subdistricts is not None and len(subdistricts):
        require_columns(subdistricts, ("subdistrict_id",), "subdistricts")
        pieces = gpd.overlay(ln[["line_id", "status", "geometry"]],
                             subdistricts[["subdistrict_id", "geometry"]].to_crs(crs),
                             how="intersection", keep_geom_type=True)
        pieces["length_m"] = pieces.geometry.length
        by_sub = _lengths(pieces, ["subdistrict_id"])
    else:
        by_sub = _lengths(ln.assign(subdistrict_id="district"), ["subdistrict_id"])
    cols = [c for c in ("line_id", "kind", "owner", "road_id", "status", "plan_year",
                        "length_m", "overdue") if c in ln]
    left = pd.DataFrame(ln.loc[ln["status"].isin(LEFT_STATUSES), cols])
    left = left.sort_values(["overdue", "plan_year", "line_id"],
                            ascending=[False, True, True], ignore_index=True)
    return OverheadResult(by_year=by_year, by_road=by_road, by_subdistrict=by_sub, left=left,
                          lines=ln, parameters={"as_of_year": int(as_of_year)}, notes=notes)
