"""Road condition and the good-road rate (好路率) from the ``roads`` layer's PCI.

Each road's PCI (路面状况指数, 0–100) is graded 优 / 良 / 中 / 差 with a table by road
class; 好路率 is the share of *rated* road length graded 优 or 良 (DOMAIN.md, "Road
condition"). Lengths are split exactly at subdistrict boundaries (``geopandas.overlay``,
shapely intersections), so every metre is counted once, in the subdistrict it lies in.

The default grade table follows the structure of CJJ 36-2016 (城镇道路养护技术规范, PCI
evaluation by road class: stricter thresholds for expressways and arterials). The figures
below are **defaults to verify against the standard's table** before official reporting;
pass ``grades=`` to override them (e.g. the municipal road administration's own table).
Alleys and compound-internal roads are not municipal roads: they are graded with the branch
thresholds and can be left out with ``classes=``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError
from .defaults import TopicDefaults
from .inputs import metric, require_columns
from .result import AnalysisResult, parameters_frame

__all__ = [
    "DEFAULT_PCI_GRADES",
    "GOOD_GRADES",
    "GRADE_LABELS",
    "ROAD_CONDITION_DEFAULTS",
    "RoadConditionDefaults",
    "RoadConditionResult",
    "TARGET_GOOD_RATE",
    "analyze_road_condition",
    "grade_pci",
]

#: Grades, best first (CJJ 36: 优 A, 良 B, 中 C, 差 D).
GRADE_LABELS = ("优", "良", "中", "差")
#: Grades counted as good for 好路率.
GOOD_GRADES = ("优", "良")
#: Lowest PCI of 优, 良 and 中 per road class (below the last: 差). Defaults to verify
#: against CJJ 36-2016's PCI table; override with ``grades=``.
DEFAULT_PCI_GRADES: dict[str, tuple[float, float, float]] = {
    "expressway": (90.0, 80.0, 70.0),
    "arterial": (85.0, 75.0, 65.0),
    "secondary": (80.0, 70.0, 60.0),
    "branch": (80.0, 70.0, 60.0),
    "alley": (80.0, 70.0, 60.0),
    "internal": (80.0, 70.0, 60.0),
}
_CJJ36 = "CJJ 36-2016 structure (PCI by road class); figures to verify against the standard"


@dataclass(frozen=True)
class RoadConditionDefaults(TopicDefaults):
    """The figures of the road-condition analysis, with unit and source.

    ``analyze road-condition``'s options and :func:`analyze_road_condition` read their
    defaults here; ``parameters.csv`` lists them.
    """

    #: The plan's target for 好路率 (from 94.4 % to 95 %).
    target_rate: float = field(default=0.95, metadata={
        "unit": "share", "source": "district plan: 好路率 from 94.4 % to 95 %"})
    #: Road class -> lowest PCI of 优, 良 and 中 (below the last: 差).
    pci_grades: Mapping[str, tuple[float, float, float]] = field(
        default_factory=lambda: MappingProxyType(dict(DEFAULT_PCI_GRADES)),
        metadata={"unit": "PCI (0–100)", "source": _CJJ36})
    #: Length of the worst-roads ranking.
    worst_n: int = field(default=20, metadata={"unit": "roads", "source": "report layout"})


ROAD_CONDITION_DEFAULTS = RoadConditionDefaults()
#: The plan's target for 好路率 (from 94.4 % to 95 %).
TARGET_GOOD_RATE = ROAD_CONDITION_DEFAULTS.target_rate


def grade_pci(pci: pd.Series | np.ndarray, road_class: pd.Series | np.ndarray, *,
              grades: Mapping[str, Sequence[float]] = DEFAULT_PCI_GRADES) -> np.ndarray:
    """Grade label of each PCI (None where PCI is missing); a PCI equal to a threshold is in
    the better grade.

    Raises
    ------
    ValidationError
        For a road class the table lacks, or thresholds that are not decreasing.

    Examples
    --------
    >>> grade_pci(np.array([85.0, 84.9, np.nan]), np.array(["arterial"] * 3)).tolist()
    ['优', '良', None]
    """
    p = np.asarray(pci, dtype=float)
    rc = np.asarray(road_class, dtype=object)
    out = np.full(len(p), None, dtype=object)
    missing = sorted(set(rc[~pd.isna(p)]) - set(grades))
    if missing:
        raise ValidationError(f"no PCI grade thresholds for road class(es) {', '.join(map(str, missing))}",
                              hint="add them to grades=")
    for cls, th in grades.items():
        th = np.asarray(th, dtype=float)
        if len(th) != 3 or np.any(np.diff(th) >= 0):
            raise ValidationError(f"PCI thresholds of {cls} must be three decreasing numbers "
                                  f"(优, 良, 中), not {tuple(th)}")
        sel = (rc == cls) & ~np.isnan(p)
        idx = (p[sel][:, None] < th[None, :]).sum(axis=1)
        out[sel] = np.asarray(GRADE_LABELS, dtype=object)[idx]
    return out


@dataclass
class RoadConditionResult(AnalysisResult):
    """Everything :func:`analyze_road_condition` computes.

    Attributes
    ----------
    table : DataFrame
        ``subdistrict_id, road_class, length_m, good_length_m, good_rate`` (+ ``rated_length_m``,
        ``name``): one row per subdistrict and class, per subdistrict (``road_class`` =
        ``all``), and the district (``subdistrict_id`` = ``district``).
    worst : DataFrame
        Rated roads ranked worst first (PCI ascending, then longest).
    roads : GeoDataFrame
        The roads with ``grade`` and ``good``.
    pieces : GeoDataFrame
        Roads split at subdistrict boundaries, with ``subdistrict_id`` and ``length_m``.
    subdistricts : GeoDataFrame
        The subdistricts with their ``length_m, good_length_m, good_rate`` (for the map).
    parameters : dict
        Target rate, grade table and ranking length used.
    figures : dict
        District rate, target, gap (percentage points) and the good length still needed.
    """

    table: pd.DataFrame
    worst: pd.DataFrame
    roads: gpd.GeoDataFrame
    pieces: gpd.GeoDataFrame
    subdistricts: gpd.GeoDataFrame
    parameters: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)

    topic: ClassVar[str] = "road_condition"

    def tables(self) -> dict[str, pd.DataFrame]:
        """``road_condition`` and ``worst_roads``."""
        return {"road_condition": self.table, "worst_roads": self.worst}

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``subdistricts`` (with 好路率) and ``roads`` (with grade)."""
        return {"subdistricts": self.subdistricts, "roads": self.roads}

    def parameters_table(self) -> pd.DataFrame:
        """Every parameter used, with the unit and source of each default; the grade table
        one row per road class (``pci_grades.<class>``: lowest PCI of 优/良/中)."""
        values = {k: v for k, v in self.parameters.items() if k != "pci_grades"}
        for cls, th in self.parameters.get("pci_grades", {}).items():
            values[f"pci_grades.{cls}"] = "/".join(f"{t:g}" for t in th)
        frame = parameters_frame(values, ROAD_CONDITION_DEFAULTS)
        meta = {f.name: f.metadata for f in fields(ROAD_CONDITION_DEFAULTS)}["pci_grades"]
        grade_rows = frame["parameter"].str.startswith("pci_grades.")
        frame.loc[grade_rows, "unit"] = meta["unit"]
        frame.loc[grade_rows, "source"] = meta["source"]
        return frame

    def summary(self) -> dict:
        """District 好路率, target, gap and the good length still needed."""
        return dict(self.figures)


def _check_roads(roads: gpd.GeoDataFrame) -> None:
    require_columns(roads, ("road_id", "road_class", "pci"), "roads")
    metric(roads, "roads")
    p = pd.to_numeric(roads["pci"], errors="coerce")
    bad = (p < 0) | (p > 100)
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 1).tolist()
        raise ValidationError("PCI outside 0–100", problems=[Problem("PCI outside 0–100",
                                                                     rows=rows, field="pci")])


def analyze_road_condition(
    roads: gpd.GeoDataFrame,
    subdistricts: gpd.GeoDataFrame,
    *,
    grades: Mapping[str, Sequence[float]] = DEFAULT_PCI_GRADES,
    target_rate: float = ROAD_CONDITION_DEFAULTS.target_rate,
    classes: Sequence[str] | None = None,
    worst_n: int = ROAD_CONDITION_DEFAULTS.worst_n,
) -> RoadConditionResult:
    """Grade roads by PCI and compute 好路率 by subdistrict, road class and district.

    Parameters
    ----------
    roads : GeoDataFrame
        ``roads`` layer (``road_id``, ``road_class``, ``pci``; metric CRS).
    subdistricts : GeoDataFrame
        ``subdistricts`` layer (``subdistrict_id``, ``name``).
    grades : mapping
        Road class -> lowest PCI of 优, 良, 中 (:data:`DEFAULT_PCI_GRADES`).
    target_rate : float
        Target share of good length (the plan: 0.95).
    classes : sequence of str, optional
        Road classes to include (default all).
    worst_n : int
        Length of the worst-stretches ranking.

    Returns
    -------
    RoadConditionResult

    Raises
    ------
    ValidationError
        For a target outside (0, 1], missing columns, or a PCI outside 0–100.
    CRSError
        If the roads are not in a metric CRS.

    Notes
    -----
    Roads without a PCI count in ``length_m`` but not in ``rated_length_m``; the rate is
    ``good_length_m / rated_length_m``. Road length outside every subdistrict is reported
    under ``subdistrict_id`` ``outside``.
    """
    if not 0.0 < target_rate <= 1.0:
        raise ValidationError(f"target good-road rate {target_rate!r} is not a share in (0, 1]",
                              hint="give the rate as a fraction, e.g. 0.95 for 95 %")
    _check_roads(roads)
    r = roads if classes is None else roads[roads["road_class"].isin(classes)]
    r = r[["road_id", *[c for c in ("name",) if c in r.columns], "road_class", "pci",
           r.geometry.name]].copy()
    r["pci"] = pd.to_numeric(r["pci"], errors="coerce")
    r["grade"] = grade_pci(r["pci"], r["road_class"], grades=grades)
    r["good"] = r["grade"].isin(GOOD_GRADES)
    r["rated"] = r["pci"].notna()
    subs = subdistricts[["subdistrict_id", subdistricts.geometry.name]].to_crs(r.crs)
    pieces = gpd.overlay(r, subs, how="intersection", keep_geom_type=True)
    covered = subs.geometry.union_all()
    outside = r.copy()
    outside[outside.geometry.name] = r.geometry.difference(covered)
    outside = outside[~outside.geometry.is_empty & (outside.geometry.length > 0)]
    if len(outside):
        outside["subdistrict_id"] = "outside"
        pieces = pd.concat([pieces, outside[pieces.columns]], ignore_index=True)
    pieces = gpd.GeoDataFrame(pieces, geometry=pieces.geometry.name, crs=r.crs)
    pieces["length_m"] = pieces.geometry.length
    pieces["rated_length_m"] = np.where(pieces["rated"], pieces["length_m"], 0.0)
    pieces["good_length_m"] = np.where(pieces["good"], pieces["length_m"], 0.0)

    sums = ["length_m", "rated_length_m", "good_length_m"]
    by_class = pieces.groupby(["subdistrict_id", "road_class"], as_index=False)[sums].sum()
    by_sub = pieces.groupby("subdistrict_id", as_index=False)[sums].sum().assign(road_class="all")
    whole = r.assign(length_m=r.geometry.length)
    whole["rated_length_m"] = np.where(whole["rated"], whole["length_m"], 0.0)
    whole["good_length_m"] = np.where(whole["good"], whole["length_m"], 0.0)
    dist_class = whole.groupby("road_class", as_index=False)[sums].sum().assign(
        subdistrict_id="district")
    dist = pd.DataFrame([whole[sums].sum()]).assign(subdistrict_id="district", road_class="all")
    table = pd.concat([by_class, by_sub, dist_class, dist], ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["good_rate"] = np.where(table["rated_length_m"] > 0,
                                      table["good_length_m"] / table["rated_length_m"], np.nan)
    names = subdistricts.set_index("subdistrict_id")["name"] if "name" in subdistricts else {}
    table["name"] = table["subdistrict_id"].map(lambda s: names.get(s, "杨浦区" if s == "district"
                                                                    else "区界外"))
    for c in sums:
        table[c] = table[c].round(2)
    table["good_rate"] = table["good_rate"].round(5)
    table = table[["subdistrict_id", "road_class", "length_m", "good_length_m", "good_rate",
                   "rated_length_m", "name"]]

    rated = whole[whole["rated"]].copy()
    major = pieces.sort_values("length_m", ascending=False).drop_duplicates("road_id")
    rated["subdistrict_id"] = rated["road_id"].map(major.set_index("road_id")["subdistrict_id"])
    rated["length_m"] = rated["length_m"].round(2)
    worst = rated.sort_values(["pci", "length_m"], ascending=[True, False]).head(worst_n)
    worst = pd.DataFrame(worst.drop(columns=[r.geometry.name, "good", "rated", "rated_length_m",
                                             "good_length_m"])).reset_index(drop=True)
    worst.insert(0, "rank", np.arange(1, len(worst) + 1))

    total = dist.iloc[0]
    rate = total["good_length_m"] / total["rated_length_m"] if total["rated_length_m"] else np.nan
    needed = max(0.0, target_rate * total["rated_length_m"] - total["good_length_m"])
    summary = {
        "good_rate": round(float(rate), 5),
        "target_rate": target_rate,
        "gap_pp": round(max(0.0, target_rate - float(rate)) * 100, 3),
        "good_length_needed_m": round(float(needed), 1),
        "length_m": round(float(total["length_m"]), 1),
        "rated_length_m": round(float(total["rated_length_m"]), 1),
        "unrated_length_m": round(float(total["length_m"] - total["rated_length_m"]), 1),
        "roads": len(r),
    }
    subs_map = subdistricts.merge(
        table[table["road_class"] == "all"][["subdistrict_id", "length_m", "good_length_m",
                                              "good_rate"]], on="subdistrict_id", how="left")
    parameters = {"target_rate": target_rate,
                  "pci_grades": {k: tuple(v) for k, v in grades.items()},
                  "worst_n": worst_n}
    if classes is not None:
        parameters["classes"] = list(classes)
    return RoadConditionResult(table, worst, r.drop(columns=["rated"]), pieces, subs_map,
                               parameters=parameters, figures=summary)
