"""River water quality by GB 3838-2002 (地表水环境质量标准): sample and station classes.

A sample is classed I–V, or 劣V (worse than V), by its worst parameter; a station by the
mean of each parameter over a period (default: the last calendar year), with the parameter(s)
that decided. ``compliant`` means the station meets its target class (column
``target_class`` of the stations, else ``target_class=``; default III).

Limits (mg/L) of GB 3838-2002 Table 1 (DOMAIN.md, "Water quality"); a value equal to a limit
belongs to that class (upper limits are ``≤``, dissolved oxygen's lower limits ``≥``). Total
phosphorus has stricter limits for lakes and reservoirs (湖、库). Keep them overridable:
pass ``limits=`` (same shape as :data:`GB3838_LIMITS`).

Input tables are the catalogue layers ``water_stations`` (Point: ``station_id``, ``name``,
``river_id``, ``water_body`` ∈ {river, lake}) and ``water_samples`` (no geometry:
``station_id``, ``sampled_on``, ``do``, ``codmn``, ``nh3n``, ``tp``, optional ``cod``,
``bod5``), passed in as (Geo)DataFrames; they are validated here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError
from .defaults import TopicDefaults
from .inputs import metric, require_columns
from .result import AnalysisResult, parameters_frame

__all__ = [
    "CLASSES",
    "GB3838_LIMITS",
    "PARAMETERS",
    "WATER_QUALITY_DEFAULTS",
    "WaterQualityDefaults",
    "WaterQualityResult",
    "analyze_water_quality",
    "classify_samples",
    "classify_stations",
    "classify_values",
    "period_bounds",
    "river_classes",
    "validate_samples",
    "validate_stations",
]

#: Class labels, best first; index + 1 is the class rank (劣V = 6).
CLASSES = ("I", "II", "III", "IV", "V", "劣V")
#: Required and optional parameters, in the order ties are reported.
REQUIRED_PARAMETERS = ("do", "codmn", "nh3n", "tp")
PARAMETERS = (*REQUIRED_PARAMETERS, "cod", "bod5")
WATER_BODIES = ("river", "lake")

#: GB 3838-2002 Table 1 limits for classes I..V, mg/L: ``(kind, {water_body: limits})``;
#: kind ``min`` means the value must be at least the limit (dissolved oxygen).
GB3838_LIMITS: dict[str, tuple[str, dict[str, tuple[float, ...]]]] = {
    "do": ("min", {"river": (7.5, 6, 5, 3, 2), "lake": (7.5, 6, 5, 3, 2)}),
    "codmn": ("max", {"river": (2, 4, 6, 10, 15), "lake": (2, 4, 6, 10, 15)}),
    "nh3n": ("max", {"river": (0.15, 0.5, 1.0, 1.5, 2.0), "lake": (0.15, 0.5, 1.0, 1.5, 2.0)}),
    "tp": ("max", {"river": (0.02, 0.1, 0.2, 0.3, 0.4),
                   "lake": (0.01, 0.025, 0.05, 0.1, 0.2)}),
    "cod": ("max", {"river": (15, 15, 20, 30, 40), "lake": (15, 15, 20, 30, 40)}),
    "bod5": ("max", {"river": (3, 3, 4, 6, 10), "lake": (3, 3, 4, 6, 10)}),
}


@dataclass(frozen=True)
class WaterQualityDefaults(TopicDefaults):
    """The defaults of the water-quality analysis, with unit and source.

    ``analyze water-quality``'s options and :func:`analyze_water_quality` read their
    defaults here; ``parameters.csv`` lists them.
    """

    #: Class a station must meet where the stations have no ``target_class``.
    target_class: str = field(default="III", metadata={
        "unit": "GB 3838 class", "source": "usual target of Shanghai's assessment sections"})
    #: Period of the station classes (None: the calendar year before today).
    period: str | None = field(default=None, metadata={
        "unit": "year or START/END", "source": "default: the last calendar year"})


WATER_QUALITY_DEFAULTS = WaterQualityDefaults()


def class_rank(label: str) -> int:
    """1 for I … 6 for 劣V (accepts ``III``, ``3``, ``劣V`` / ``V+``)."""
    text = str(label).strip().upper().replace("劣V", "6").replace("V+", "6")
    if text.isdigit() and 1 <= int(text) <= 6:
        return int(text)
    if text in CLASSES:
        return CLASSES.index(text) + 1
    raise ValidationError(f"unknown water-quality class {label!r}", hint="I, II, III, IV, V or 劣V")


def classify_values(values: np.ndarray, parameter: str, water_body: np.ndarray, *,
                    limits: Mapping = GB3838_LIMITS) -> np.ndarray:
    """Class rank (1–6; 0 where the value is missing) of each value of one parameter.

    Examples
    --------
    >>> classify_values(np.array([0.2, 0.2]), "tp", np.array(["river", "lake"])).tolist()
    [3, 6]
    """
    kind, table = limits[parameter]
    v = np.asarray(values, dtype=float)
    out = np.zeros(len(v), dtype=np.int64)
    body = np.asarray(water_body, dtype=object)
    for wb, lims in table.items():
        sel = (body == wb) & ~np.isnan(v)
        if not sel.any():
            continue
        lim = np.asarray(lims, dtype=float)
        x = v[sel]
        # number of limits the value fails = class rank - 1 (a value at the limit passes)
        fails = (x[:, None] < lim[None, :]) if kind == "min" else (x[:, None] > lim[None, :])
        out[sel] = fails.sum(axis=1) + 1
    return out


def _worst(frame: pd.DataFrame, body: np.ndarray, limits: Mapping) -> pd.DataFrame:
    params = [p for p in PARAMETERS if p in frame.columns and p in limits]
    ranks = np.column_stack([classify_values(frame[p].to_numpy(dtype=float), p, body,
                                             limits=limits) for p in params])
    worst = ranks.max(axis=1)
    names = np.array(params, dtype=object)
    deciding = [",".join(names[row == w]) for row, w in zip(ranks, worst, strict=True)]
    out = pd.DataFrame({"class": [CLASSES[w - 1] for w in worst],
                        "worst_parameter": deciding, "class_rank": worst}, index=frame.index)
    for p, col in zip(params, ranks.T, strict=True):
        out[f"{p}_class"] = [CLASSES[c - 1] if c else None for c in col]
    return out


# ----------------------------------------------------------------- validation
def validate_stations(stations: pd.DataFrame) -> pd.DataFrame:
    """Check and normalise ``water_stations``: ids unique, ``water_body`` ∈ {river, lake}.

    Raises
    ------
    ValidationError
        Naming the rows (1-based) and field.
    """
    require_columns(stations, ("station_id", "water_body"), "water stations")
    out = stations.copy()
    out["station_id"] = out["station_id"].astype(str)
    body = out["water_body"].astype(str).str.strip().str.lower()
    body = body.replace({"河流": "river", "河道": "river", "湖泊": "lake", "湖库": "lake",
                         "水库": "lake", "reservoir": "lake"})
    rows = np.arange(1, len(out) + 1)
    problems = []
    bad = ~body.isin(WATER_BODIES).to_numpy()
    if bad.any():
        problems.append(Problem("water_body must be river or lake (湖库 count as lake)",
                                rows=rows[bad].tolist(), field="water_body"))
    dup = out["station_id"].duplicated(keep=False).to_numpy()
    if dup.any():
        problems.append(Problem("duplicate station_id", rows=rows[dup].tolist(),
                                field="station_id"))
    if problems:
        raise ValidationError("invalid water stations", problems=problems)
    out["water_body"] = body.to_numpy()
    return out


def validate_samples(samples: pd.DataFrame, stations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Check and normalise ``water_samples``: dates, non-negative numbers, known stations.

    Raises
    ------
    ValidationError
        Naming the rows (1-based) and field.
    """
    require_columns(samples, ("station_id", "sampled_on", *REQUIRED_PARAMETERS),
                    "water samples")
    out = samples.copy()
    out["station_id"] = out["station_id"].astype(str)
    rows = np.arange(1, len(out) + 1)
    problems = []
    dates = pd.to_datetime(out["sampled_on"], errors="coerce", format="mixed")
    if dates.isna().any():
        problems.append(Problem("not a date (YYYY-MM-DD)", rows=rows[dates.isna()].tolist(),
                                field="sampled_on"))
    out["sampled_on"] = dates.dt.normalize()
    for p in PARAMETERS:
        if p not in out.columns:
            continue
        v = pd.to_numeric(out[p], errors="coerce")
        bad_text = v.isna() & out[p].notna() & (out[p].astype(str).str.strip() != "")
        if bad_text.any():
            problems.append(Problem("not a number", rows=rows[bad_text].tolist(), field=p))
        if p in REQUIRED_PARAMETERS and (v.isna() & ~bad_text).any():
            problems.append(Problem("missing value", rows=rows[(v.isna() & ~bad_text)].tolist(),
                                    field=p))
        if (v < 0).any():
            problems.append(Problem("negative concentration", rows=rows[v < 0].tolist(),
                                    field=p, hint="all parameters are mg/L ≥ 0"))
        out[p] = v.astype(float)
    if stations is not None:
        unknown = ~out["station_id"].isin(stations["station_id"].astype(str)).to_numpy()
        if unknown.any():
            problems.append(Problem("station_id not among the water stations",
                                    rows=rows[unknown].tolist(), field="station_id"))
    if problems:
        raise ValidationError("invalid water samples", problems=problems)
    return out


# ----------------------------------------------------------------- analyses
def classify_samples(samples: pd.DataFrame, stations: pd.DataFrame, *,
                     limits: Mapping = GB3838_LIMITS) -> pd.DataFrame:
    """Class of every sample by its worst parameter.

    Returns
    -------
    pandas.DataFrame
        ``station_id, sampled_on, class, worst_parameter`` then ``class_rank`` and
        ``<parameter>_class`` for each parameter present; aligned to ``samples``' index.
        ``worst_parameter`` lists every parameter at the worst class, comma-separated.
    """
    st = validate_stations(stations)
    sm = validate_samples(samples, st)
    body = sm["station_id"].map(st.set_index("station_id")["water_body"]).to_numpy()
    res = _worst(sm, body, limits)
    return pd.concat([sm[["station_id"]], sm["sampled_on"].dt.date.rename("sampled_on"), res],
                     axis=1)


def period_bounds(period, as_of: dt.date | None = None) -> tuple[dt.date, dt.date, str]:
    """First and last day of ``period`` and its label (see :func:`classify_stations`).

    Raises
    ------
    ValidationError
        If ``period`` is neither a year nor ``START/END`` dates (or ends before it starts).
    """
    if period is None:
        year = (as_of or dt.date.today()).year - 1
        return dt.date(year, 1, 1), dt.date(year, 12, 31), str(year)
    if isinstance(period, int) or (isinstance(period, str) and period.isdigit()):
        y = int(period)
        if not 1900 <= y <= 2200:
            raise ValidationError(f"period {period!r} is not a calendar year",
                                  hint="give a year such as 2025, or START/END dates")
        return dt.date(y, 1, 1), dt.date(y, 12, 31), str(y)
    parts = tuple(period.split("/")) if isinstance(period, str) else tuple(period)
    try:
        start, end = (pd.Timestamp(p).date() for p in parts)
    except (ValueError, TypeError, OverflowError):  # one part, three parts, or not a date
        raise ValidationError(
            f"period {period!r} is neither a year nor START/END dates",
            hint="give a year (2025) or two dates (2025-01-01/2025-06-30)") from None
    if end < start:
        raise ValidationError(f"period {period!r} ends before it starts",
                              hint="give START/END with START on or before END")
    return start, end, f"{start.isoformat()}/{end.isoformat()}"


def classify_stations(
    samples: pd.DataFrame,
    stations: pd.DataFrame,
    *,
    period: int | str | tuple | None = None,
    as_of: dt.date | None = None,
    target_class: str = WATER_QUALITY_DEFAULTS.target_class,
    limits: Mapping = GB3838_LIMITS,
) -> pd.DataFrame:
    """Class of each station by the mean of each parameter over a period.

    Parameters
    ----------
    samples, stations : DataFrame
        ``water_samples`` and ``water_stations`` rows.
    period : int, str or (start, end), optional
        A calendar year, or inclusive dates; default the calendar year before ``as_of``.
    as_of : date, optional
        Default today.
    target_class : str
        Class a station must meet to be compliant when it has no ``target_class`` column
        value (default III, the usual target of Shanghai's assessment sections).
    limits : mapping
        Override of :data:`GB3838_LIMITS`.

    Returns
    -------
    pandas.DataFrame
        ``station_id, period, class, worst_parameter, compliant`` then ``target_class``,
        ``samples`` (count) and the mean of each parameter. Stations without samples in the
        period have no class (and ``compliant`` missing).
    """
    st = validate_stations(stations)
    sm = validate_samples(samples, st)
    start, end, label = period_bounds(period, as_of)
    d = sm["sampled_on"].dt.date
    sm = sm[(d >= start) & (d <= end)]
    params = [p for p in PARAMETERS if p in sm.columns]
    means = sm.groupby("station_id")[params].mean()
    counts = sm.groupby("station_id").size()
    base = st[["station_id", "water_body"]].set_index("station_id")
    means = means.reindex(base.index)
    have = counts.reindex(base.index).fillna(0).astype(int)
    res = _worst(means, base["water_body"].to_numpy(), limits)
    targets = (st.set_index("station_id")["target_class"].fillna(target_class)
               if "target_class" in st.columns else pd.Series(target_class, index=base.index))
    target_rank = targets.map(class_rank)
    out = pd.DataFrame({"station_id": base.index, "period": label}, index=base.index)
    out["class"] = res["class"].where(have > 0)
    out["worst_parameter"] = res["worst_parameter"].where(have > 0)
    out["compliant"] = (res["class_rank"] <= target_rank).astype("boolean").where(have > 0)
    out["target_class"] = targets.map(lambda t: CLASSES[class_rank(t) - 1])
    out["samples"] = have
    for p in params:
        out[f"mean_{p}"] = means[p].round(4)
    return out.reset_index(drop=True)


def river_classes(rivers: gpd.GeoDataFrame, stations: gpd.GeoDataFrame,
                  station_classes: pd.DataFrame, *, max_distance_m: float | None = None
                  ) -> gpd.GeoDataFrame:
    """Each river (stretch) with the class of its nearest classified station.

    Parameters
    ----------
    rivers : GeoDataFrame
        ``rivers`` layer (lines or polygons), metric CRS.
    stations : GeoDataFrame
        ``water_stations`` points.
    station_classes : DataFrame
        From :func:`classify_stations`.
    max_distance_m : float, optional
        Stretches farther than this from any station get no class.

    Returns
    -------
    GeoDataFrame
        ``rivers`` plus ``station_id``, ``class``, ``distance_m``.
    """
    cls = station_classes.dropna(subset=["class"])[["station_id", "class"]]
    pts = stations.assign(station_id=stations["station_id"].astype(str)).merge(cls, on="station_id")
    pts = gpd.GeoDataFrame(pts, geometry=stations.geometry.name, crs=stations.crs)
    if not len(pts) or not len(rivers):
        return rivers.assign(station_id=None, **{"class": None}, distance_m=np.nan)
    pts = pts.to_crs(rivers.crs)
    joined = gpd.sjoin_nearest(rivers, pts[["station_id", "class", pts.geometry.name]],
                               how="left", max_distance=max_distance_m, distance_col="distance_m")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined.drop(columns=[c for c in ("index_right",) if c in joined.columns])


# ----------------------------------------------------------------- entry point
@dataclass
class WaterQualityResult(AnalysisResult):
    """Everything :func:`analyze_water_quality` computes.

    Attributes
    ----------
    samples : DataFrame
        :func:`classify_samples`.
    stations : DataFrame
        :func:`classify_stations`.
    station_points : GeoDataFrame or None
        The stations with ``class, worst_parameter, compliant`` (None when the stations
        have no geometry).
    rivers : GeoDataFrame or None
        :func:`river_classes` (None without stations' geometry or without rivers).
    parameters : dict
        Period and target class used.
    """

    samples: pd.DataFrame
    stations: pd.DataFrame
    station_points: gpd.GeoDataFrame | None = None
    rivers: gpd.GeoDataFrame | None = None
    parameters: dict = field(default_factory=dict)

    topic: ClassVar[str] = "water_quality"

    def tables(self) -> dict[str, pd.DataFrame]:
        """``samples`` and ``stations``."""
        return {"samples": self.samples, "stations": self.stations}

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``stations`` (with their class) and ``rivers`` (class of the nearest station)."""
        out = {}
        if self.station_points is not None:
            out["stations"] = self.station_points
        if self.rivers is not None:
            out["rivers"] = self.rivers
        return out

    def parameters_table(self) -> pd.DataFrame:
        """Every parameter used, with the unit and source of each default."""
        return parameters_frame(self.parameters, WATER_QUALITY_DEFAULTS)

    def summary(self) -> dict:
        """Samples and stations classed, the period, compliant and worse-than-V stations."""
        st = self.stations
        return {
            "samples": len(self.samples), "stations": len(st),
            "period": st["period"].iloc[0] if len(st) else None,
            "stations_compliant": int(st["compliant"].fillna(False).sum()),
            "stations_worse_than_V": int((st["class"] == "劣V").sum()),
        }


def analyze_water_quality(
    samples: pd.DataFrame,
    stations: pd.DataFrame,
    *,
    rivers: gpd.GeoDataFrame | None = None,
    period: int | str | tuple | None = WATER_QUALITY_DEFAULTS.period,
    as_of: dt.date | None = None,
    target_class: str = WATER_QUALITY_DEFAULTS.target_class,
    limits: Mapping = GB3838_LIMITS,
) -> WaterQualityResult:
    """Classes of samples and stations, and of the rivers by their nearest station.

    Parameters
    ----------
    samples, stations : DataFrame
        ``water_samples`` and ``water_stations`` rows; stations as a GeoDataFrame (metric
        CRS) give the ``stations`` and ``rivers`` layers.
    rivers : GeoDataFrame, optional
        ``rivers`` layer (metric CRS), coloured by the class of the nearest station.
    period, as_of, target_class, limits
        See :func:`classify_stations`.

    Returns
    -------
    WaterQualityResult

    Raises
    ------
    ValidationError
        For invalid stations, samples or period.
    CRSError
        If the stations' or rivers' geometry is not in a metric CRS.
    """
    sample_cls = classify_samples(samples, stations, limits=limits)
    station_cls = classify_stations(samples, stations, period=period, as_of=as_of,
                                    target_class=target_class, limits=limits)
    points = river_cls = None
    if isinstance(stations, gpd.GeoDataFrame) and stations.crs is not None:
        st = metric(stations, "water stations").copy()
        st["station_id"] = st["station_id"].astype(str)
        points = st.merge(station_cls[["station_id", "class", "worst_parameter", "compliant"]],
                          on="station_id", how="left")
        if rivers is not None and len(rivers):
            river_cls = river_classes(metric(rivers, "rivers"), st, station_cls)
    parameters = {"period": station_cls["period"].iloc[0] if len(station_cls)
                  else period_bounds(period, as_of)[2], "target_class": target_class}
    return WaterQualityResult(sample_cls, station_cls, points, river_cls, parameters)
