"""Walking distances and 2SFCA accessibility of parking, per demand location and period."""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...errors import ValidationError
from .. import network
from ..inputs import metric
from .defaults import PARKING_DEFAULTS, PERIODS, Decay, ParkingDefaults

__all__ = [
    "access_points",
    "parking_accessibility",
    "parking_distances",
    "parking_walking_graph",
    "two_step_fca",
]


def _weights(d: np.ndarray, decay: Decay, sigma_m: float | None, catchment_m: float) -> np.ndarray:
    if decay == "none":
        return np.ones_like(d, dtype=float)
    if decay == "gaussian":
        sigma = sigma_m if sigma_m is not None else catchment_m / 2
        return np.exp(-d * d / (2 * sigma**2))
    raise ValidationError(f"unknown decay {decay!r}", hint="none or gaussian")


def two_step_fca(
    demand: pd.Series,
    supply: pd.Series,
    distances: pd.DataFrame,
    *,
    catchment_m: float = PARKING_DEFAULTS.catchment_m,
    decay: Decay = "none",
    sigma_m: float | None = None,
) -> pd.Series:
    """Two-step floating catchment area accessibility (2SFCA / E2SFCA).

    Step 1, per supply site *j*: :math:`R_j = S_j / \\sum_{i: d_{ij} \\le d_0} W(d_{ij}) D_i`.
    Step 2, per demand site *i*: :math:`A_i = \\sum_{j: d_{ij} \\le d_0} W(d_{ij}) R_j`
    (Luo & Wang 2003; with distance-decay weights *W*, Luo & Qi 2009). Without decay
    ``W = 1``. The same formulation as PySAL ``access`` (``two_stage_fca``).

    Parameters
    ----------
    demand : pandas.Series
        Demand :math:`D_i` (spaces) indexed by demand id.
    supply : pandas.Series
        Supply :math:`S_j` (spaces) indexed by supply id.
    distances : pandas.DataFrame
        ``origin`` (demand id), ``destination`` (supply id), ``distance_m``.
    catchment_m : float, keyword-only
        Catchment :math:`d_0`, metres (inclusive). Default 500 m.
    decay : {"none", "gaussian"}, keyword-only
        ``gaussian``: :math:`W(d) = \\exp(-d^2 / 2\\sigma^2)` (as ``access.weights.gaussian``).
    sigma_m : float, optional, keyword-only
        Gaussian width, metres; default ``catchment_m / 2`` (weight 0.135 at the edge).

    Returns
    -------
    pandas.Series
        :math:`A_i`, accessible supply per unit of demand, indexed like ``demand``; 0 where
        no supply is in reach. A supply site with no demand in reach serves nobody
        (:math:`R_j = 0`).

    Examples
    --------
    >>> dist = pd.DataFrame({"origin": ["a", "b"], "destination": ["p", "p"],
    ...                      "distance_m": [100.0, 300.0]})
    >>> two_step_fca(pd.Series({"a": 30.0, "b": 10.0}), pd.Series({"p": 20.0}), dist).tolist()
    [0.5, 0.5]
    """
    d = distances[distances["distance_m"] <= catchment_m]
    d = d[d["origin"].isin(demand.index) & d["destination"].isin(supply.index)]
    w = _weights(d["distance_m"].to_numpy(float), decay, sigma_m, catchment_m)
    dem = demand.reindex(d["origin"]).to_numpy(float)
    pressure = pd.Series(w * dem).groupby(d["destination"].to_numpy()).sum()
    s = supply.reindex(pressure.index).fillna(0).to_numpy(float)
    p = pressure.to_numpy(float)
    ratio = pd.Series(np.divide(s, p, out=np.zeros_like(s), where=p > 0), index=pressure.index)
    contrib = w * ratio.reindex(d["destination"]).fillna(0).to_numpy(float)
    a = pd.Series(contrib).groupby(d["origin"].to_numpy()).sum()
    return a.reindex(demand.index).fillna(0.0).rename("access")


def access_points(locations: gpd.GeoDataFrame) -> np.ndarray:
    """Where a demand location is walked from: its representative point.

    :func:`shapely.point_on_surface` (inside the compound or building, unlike a centroid).
    The parking accessibility here and the coverage report's parking reach
    (:func:`yangpu_gis.analysis.coverage.parking_reach`) both measure from these points.

    Parameters
    ----------
    locations : GeoDataFrame
        Demand locations or compounds.

    Returns
    -------
    numpy.ndarray
        Points, aligned to ``locations``.
    """
    return shapely.point_on_surface(locations.geometry.to_numpy())


def parking_walking_graph(
    roads: gpd.GeoDataFrame,
    crs: object,
    *,
    defaults: ParkingDefaults = PARKING_DEFAULTS,
    connect_dangling_m: float | None = None,
) -> network.WalkingGraph:
    """The walking graph of parking access: the roads in ``crs``, repaired as the defaults say.

    One graph definition for the parking accessibility (:func:`analyze_parking`) and the
    coverage report's parking reach, so both walk the same network.

    Parameters
    ----------
    roads : GeoDataFrame
        The ``roads`` layer.
    crs : CRS
        The CRS of the demand locations (metric).
    defaults : ParkingDefaults, keyword-only
        ``snap_tolerance_m`` and ``connect_dangling_m``.
    connect_dangling_m : float, optional, keyword-only
        Overrides ``defaults.connect_dangling_m`` (metres).

    Returns
    -------
    WalkingGraph
    """
    return network.walking_graph(
        metric(roads, "roads").to_crs(crs),
        snap_tolerance_m=defaults.snap_tolerance_m,
        connect_dangling_m=(defaults.connect_dangling_m if connect_dangling_m is None
                            else connect_dangling_m),
    )


def parking_distances(
    locations: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    method: Literal["euclidean", "network"] = "euclidean",
    graph: network.WalkingGraph | None = None,
    catchment_m: float = PARKING_DEFAULTS.catchment_m,
) -> pd.DataFrame:
    """Distances from each demand location (representative point) to each facility.

    Parameters
    ----------
    locations : GeoDataFrame
        Demand locations (``demand_id``).
    supply : GeoDataFrame
        Facilities (``facility_id``).
    method : {"euclidean", "network"}, keyword-only
        Straight line, or walking along ``graph``.
    graph : WalkingGraph, optional, keyword-only
        Required for ``network``.
    catchment_m : float, keyword-only
        Largest distance kept, metres.

    Returns
    -------
    pandas.DataFrame
        ``origin`` (demand id), ``destination`` (facility id), ``distance_m``.
    """
    o = gpd.GeoSeries(access_points(locations), index=locations["demand_id"].to_numpy(),
                      crs=locations.crs)
    d = gpd.GeoSeries(supply.geometry.to_numpy(), index=supply["facility_id"].to_numpy(),
                      crs=supply.crs)
    if method == "network":
        if graph is None:
            raise ValidationError("network distances need a walking graph",
                                  hint="network.walking_graph(roads)")
        return network.network_distances(graph, o, d, cutoff_m=catchment_m)
    if method == "euclidean":
        return network.euclidean_distances(o, d, cutoff_m=catchment_m)
    raise ValidationError(f"unknown distance method {method!r}", hint="euclidean or network")


def parking_accessibility(
    locations: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    distances: pd.DataFrame,
    *,
    catchment_m: float = PARKING_DEFAULTS.catchment_m,
    decay: Decay = "none",
    sigma_m: float | None = None,
) -> pd.DataFrame:
    """Accessible spaces per demanded space, and the shortfall, per location and period.

    The demand a location's own spaces cannot meet (``residual``) competes for the public
    facilities within the catchment by :func:`two_step_fca`, giving ``public_access``
    (accessible public spaces per residual space). Then ``access_ratio = (own + public_access
    × residual) / demand`` and ``shortfall = residual × max(0, 1 − public_access)``.

    Parameters
    ----------
    locations : GeoDataFrame
        From :func:`demand_locations`.
    supply : GeoDataFrame
        From :func:`classify_supply`.
    distances : pandas.DataFrame
        From :func:`parking_distances`.
    catchment_m, decay, sigma_m
        As in :func:`two_step_fca`.

    Returns
    -------
    pandas.DataFrame
        ``demand_id, period, demand, own_spaces, residual_demand, public_access,
        access_ratio, shortfall``; ``access_ratio`` is missing where demand is 0.
    """
    rows = []
    ids = locations["demand_id"].to_numpy()
    for p in PERIODS:
        dem = locations[f"demand_{p}"].to_numpy(float)
        own = locations[f"own_{p}"].to_numpy(float)
        residual = np.clip(dem - own, 0, None)
        public = supply[supply[f"serves_{p}"] == "public"]
        a = two_step_fca(
            pd.Series(residual, index=ids),
            pd.Series(public["capacity"].to_numpy(float), index=public["facility_id"].to_numpy()),
            distances, catchment_m=catchment_m, decay=decay, sigma_m=sigma_m,
        ).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(dem > 0, (own + a * residual) / np.where(dem > 0, dem, 1), np.nan)
        rows.append(pd.DataFrame({
            "demand_id": ids, "period": p, "demand": dem, "own_spaces": own,
            "residual_demand": residual, "public_access": a, "access_ratio": ratio,
            "shortfall": residual * np.clip(1 - a, 0, None),
        }))
    return pd.concat(rows, ignore_index=True)

