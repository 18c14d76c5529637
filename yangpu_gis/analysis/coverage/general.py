"""The general coverage analysis: which targets, and how much of each, lie within the
service distance of a provider, in a straight line or along a network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely

from ...errors import ValidationError
from .. import network
from ..inputs import metric
from .defaults import COVERAGE_DEFAULTS, Distance
from .network import network_coverage
from .parts import KIND_NAMES, ids_of, parts_frame
from .service import euclidean_coverage, nearest_euclid, service_distances

__all__ = ["ServiceCoverage", "service_coverage"]


@dataclass
class ServiceCoverage:
    """What :func:`service_coverage` found.

    Attributes
    ----------
    targets : GeoDataFrame
        The targets with their columns and, aligned to their index: ``target_id``, ``kind``
        (point/line/polygon), ``length_m``, ``covered_length_m`` (lines), ``area_m2``,
        ``covered_area_m2`` (polygons), ``covered_share`` (0–1; 0 or 1 for points),
        ``covered`` (bool: the point is within reach, the whole line/polygon is),
        ``reached`` (bool: any part is), ``status`` (covered/partial/uncovered),
        ``nearest_provider_id`` and ``nearest_distance_m`` (straight or network distance
        to the nearest provider; missing when none can be reached at all).
    covered_parts, uncovered_parts : GeoDataFrame
        Single-part geometries with the ``target_id`` and ``target_row`` (position in
        ``targets``) they belong to, and ``length_m`` / ``area_m2``. Parts of one target
        are disjoint; network line parts of one target are merged where they meet.
    service_area : GeoDataFrame
        Straight line: the dissolved service area (disjoint polygons). Network: the
        reached stretches of the network (lines).
    providers : GeoDataFrame
        The providers with ``provider_id`` and ``service_m``.
    distance : str
        ``euclidean`` or ``network``.
    parameters : dict
    notes : list of str
    """

    targets: gpd.GeoDataFrame
    covered_parts: gpd.GeoDataFrame
    uncovered_parts: gpd.GeoDataFrame
    service_area: gpd.GeoDataFrame
    providers: gpd.GeoDataFrame
    distance: str
    parameters: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """District totals per kind of target, for reports and ``--json``."""
        t = self.targets
        out: dict = {
            "distance": self.distance,
            "targets": int(len(t)),
            "providers": int(len(self.providers)),
            **self.parameters,
        }
        for kind in ("point", "line", "polygon"):
            sub = t[t["kind"] == kind]
            if not len(sub):
                continue
            out[f"{kind}_targets"] = int(len(sub))
            out[f"{kind}_covered"] = int(sub["covered"].sum())
            out[f"{kind}_uncovered"] = int((sub["status"] == "uncovered").sum())
            if kind == "line":
                total, cov = sub["length_m"].sum(), sub["covered_length_m"].sum()
                out.update(length_m=round(float(total), 1), covered_length_m=round(float(cov), 1))
                out["line_covered_share"] = round(float(cov / total), 4) if total else None
            if kind == "polygon":
                total, cov = sub["area_m2"].sum(), sub["covered_area_m2"].sum()
                out.update(area_m2=round(float(total), 1), covered_area_m2=round(float(cov), 1))
                out["polygon_covered_share"] = round(float(cov / total), 4) if total else None
        out["notes"] = list(self.notes)
        return out


def service_coverage(
    targets: gpd.GeoDataFrame,
    providers: gpd.GeoDataFrame,
    *,
    service_m: float | None = None,
    service_column: str | None = None,
    distance: Distance = "euclidean",
    network_lines: gpd.GeoDataFrame | None = None,
    graph: network.WalkingGraph | None = None,
    target_id: str | None = None,
    provider_id: str | None = None,
    exclude_classes: Sequence[str] = network.NOT_WALKABLE,
    connect_dangling_m: float = 0.0,
    on_network_m: float = COVERAGE_DEFAULTS.on_network_m,
    quad_segs: int = COVERAGE_DEFAULTS.quad_segs,
) -> ServiceCoverage:
    """Which targets, and how much of each, lie within the service distance of a provider.

    Capacity-free: a provider serves everything within its distance. See the module
    docstring for the method.

    Parameters
    ----------
    targets : GeoDataFrame
        Points, lines or polygons (mixed allowed) in a metric CRS (lon/lat is refused,
        see :mod:`yangpu_gis.analysis.inputs`).
    providers : GeoDataFrame
        Points, lines or polygons in a metric CRS (projected to the targets' CRS).
    service_m : float, optional, keyword-only
        Service distance in metres of every provider (and of those whose
        ``service_column`` is empty).
    service_column : str, optional, keyword-only
        Provider column with each provider's own service distance, metres.
    distance : {"euclidean", "network"}, keyword-only
        Straight line (default) or along ``network_lines`` / ``graph``.
    network_lines : GeoDataFrame, optional, keyword-only
        Lines to walk along (the ``roads`` layer, river centre lines). Default for
        ``distance="network"``: the line targets themselves.
    graph : WalkingGraph, optional, keyword-only
        A prebuilt graph of ``network_lines`` (reuse it across calls).
    target_id, provider_id : str, optional, keyword-only
        Id columns; default the catalogue id column present, else the first ``*_id``
        column, else the index.
    exclude_classes : sequence of str, keyword-only
        Road classes left out of the network (default: expressways, not walkable).
    connect_dangling_m : float, keyword-only
        See :func:`~yangpu_gis.analysis.network.walking_graph` (metres).
    on_network_m : float, keyword-only
        Network mode, line targets that are not themselves the network: a target is on
        the network where it lies within this distance (metres) of a reached stretch.
    quad_segs : int, keyword-only
        Segments per quarter circle of straight-line service areas.

    Returns
    -------
    ServiceCoverage

    Raises
    ------
    ValidationError
        Unknown ``distance``, missing service distance, or no network to walk along.
    CRSError
        Targets or providers without a CRS or in lon/lat degrees.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString, Point
    >>> roads = gpd.GeoDataFrame({"road_id": ["R1"]}, geometry=[LineString([(0, 0), (1000, 0)])],
    ...                          crs="EPSG:4549")
    >>> stops = gpd.GeoDataFrame({"stop_id": ["S1"]}, geometry=[Point(200, 0)], crs="EPSG:4549")
    >>> r = service_coverage(roads, stops, service_m=300, provider_id="stop_id")
    >>> round(float(r.targets["covered_length_m"].iloc[0]), 3)
    500.0
    >>> r = service_coverage(roads, stops, service_m=300, distance="network")
    >>> round(float(r.targets["covered_share"].iloc[0]), 3)
    0.5
    """
    if distance not in ("euclidean", "network"):
        raise ValidationError(f"unknown distance {distance!r}", hint="euclidean or network")
    targets = metric(targets, "targets")
    providers = metric(providers, "providers")
    if providers.crs != targets.crs:
        providers = providers.to_crs(targets.crs)
    s = service_distances(providers, service_m, service_column)
    tids = ids_of(targets, target_id)
    pids = ids_of(providers, provider_id)
    geoms = targets.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    dims = np.where(missing, -1, shapely.get_dimensions(np.where(missing, None, geoms)))
    pg = providers.geometry.to_numpy()
    p_ok = ~(shapely.is_missing(pg) | shapely.is_empty(pg))
    notes: list[str] = []
    if missing.any():
        notes.append(f"{int(missing.sum())} targets without geometry are left out")

    if distance == "euclidean":
        share, cp, ci, up, ui, region = euclidean_coverage(geoms, dims, pg[p_ok], s[p_ok], quad_segs)
        near_pos, near_d = nearest_euclid(geoms, pg[p_ok])
        near_pos = np.where(near_pos >= 0, np.flatnonzero(p_ok)[np.clip(near_pos, 0, None)], -1)
        service = gpd.GeoDataFrame(
            {"kind": ["service_area"] * len(region)},
            geometry=gpd.GeoSeries(region, crs=targets.crs),
            crs=targets.crs,
        )
    else:
        share, cp, ci, up, ui, near_pos, near_d, service, more = network_coverage(
            targets,
            geoms,
            dims,
            pg,
            s,
            p_ok,
            network_lines=network_lines,
            graph=graph,
            exclude_classes=exclude_classes,
            connect_dangling_m=connect_dangling_m,
            on_network_m=on_network_m,
        )
        notes.extend(more)

    out = targets.copy()
    out["target_id"] = tids
    out["kind"] = [KIND_NAMES.get(int(d)) for d in dims]
    line = dims == 1
    poly = dims == 2
    out["length_m"] = np.where(line, shapely.length(geoms), np.nan)
    out["area_m2"] = np.where(poly, shapely.area(geoms), np.nan)
    out["covered_length_m"] = np.where(line, share * out["length_m"].to_numpy(), np.nan)
    out["covered_area_m2"] = np.where(poly, share * out["area_m2"].to_numpy(), np.nan)
    share = np.where(missing, np.nan, share)
    out["covered_share"] = share
    out["covered"] = np.nan_to_num(share) >= 1 - 1e-9
    out["reached"] = np.nan_to_num(share) > 1e-12
    out["status"] = np.where(
        out["covered"], "covered", np.where(out["reached"], "partial", "uncovered")
    )
    has = (near_pos >= 0) & np.isfinite(near_d)
    out["nearest_provider_id"] = np.where(
        has, pids[np.clip(near_pos, 0, None)] if len(pids) else None, None
    )
    out["nearest_distance_m"] = np.where(has, near_d, np.nan)
    prov = providers.copy()
    prov["provider_id"] = pids
    prov["service_m"] = s
    params = {
        "distance": distance,
        "service_m": float(service_m) if service_m is not None else None,
        "service_column": service_column,
    }
    return ServiceCoverage(
        targets=out,
        covered_parts=parts_frame(cp, ci, tids, targets.crs),
        uncovered_parts=parts_frame(up, ui, tids, targets.crs),
        service_area=service,
        providers=prov,
        distance=distance,
        parameters=params,
        notes=notes,
    )
