"""River monitoring: river stretches farther than the service distance from every
water-quality station; and synthetic demo stations."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..inputs import metric
from .defaults import COVERAGE_DEFAULTS, Distance
from .general import ServiceCoverage, service_coverage
from .parts import ids_of
from .report import PresetReport
from .totals import line_stretches, target_table, zone_tables

__all__ = ["river_monitoring", "synthetic_stations"]


def synthetic_stations(
    rivers: gpd.GeoDataFrame,
    *,
    spacing_m: float = COVERAGE_DEFAULTS.station_spacing_m,
    drop_every: int = 3,
) -> gpd.GeoDataFrame:
    """Demo water-quality stations along rivers (synthetic: there is no station layer yet).

    Stations are placed every ``spacing_m`` along each river line (along the bank of river
    polygons), starting half a spacing in, and every ``drop_every``-th one is left out so
    the demo shows blank spots. Deterministic.

    Parameters
    ----------
    rivers : GeoDataFrame
        The ``rivers`` layer.
    spacing_m : float, keyword-only
        Station spacing, metres.
    drop_every : int, keyword-only
        Leave out every n-th station (0 keeps all).

    Returns
    -------
    GeoDataFrame
        ``station_id``, ``name``, ``river_id``, ``source`` (``synthetic``), points.
    """
    rivers = metric(rivers, "rivers")
    geoms = rivers.geometry.to_numpy()
    ref = np.where(shapely.get_dimensions(geoms) == 2, shapely.boundary(geoms), geoms)
    rows, pts = [], []
    names = rivers["name"].to_numpy(object) if "name" in rivers else [None] * len(rivers)
    rids = ids_of(rivers, "river_id" if "river_id" in rivers else None)
    k = 0
    for r, line in enumerate(ref):
        if line is None or line.is_empty:
            continue
        at = np.arange(spacing_m / 2, line.length, spacing_m)
        if not len(at):
            at = np.array([line.length / 2])
        for p in shapely.line_interpolate_point(line, at):
            k += 1
            if drop_every and k % drop_every == 0:
                continue
            rows.append(
                {
                    "station_id": f"WQ{k:03d}",
                    "name": f"{names[r]}监测点{k:03d}",
                    "river_id": rids[r],
                    "source": "synthetic",
                }
            )
            pts.append(p)
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["station_id", "name", "river_id", "source"]),
        geometry=gpd.GeoSeries(pts, crs=rivers.crs),
        crs=rivers.crs,
    )


def river_monitoring(
    rivers: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    *,
    service_m: float = COVERAGE_DEFAULTS.river_service_m,
    distance: Distance = "euclidean",
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
    station_id: str | None = None,
    top_n: int = 20,
) -> PresetReport:
    """River stretches farther than ``service_m`` from every water-quality station.

    Distance is downstream-agnostic: straight line, or with ``distance="network"`` along
    the river lines in both directions (stations snap to the nearest river line; their
    access distance counts). River polygons (wide rivers such as 黄浦江) have no centre
    line here and are always covered by straight-line distance.

    Parameters
    ----------
    rivers : GeoDataFrame
        The ``rivers`` layer (lines and/or polygons).
    stations : GeoDataFrame
        Station points (any layer or file: water-quality sections, outfall monitors).
    service_m : float, keyword-only
        Largest acceptable distance to a station, metres (default 1 000 m: a planning
        choice, not a standard).
    distance : {"euclidean", "network"}, keyword-only
    subdistricts, grid_cells : GeoDataFrame, optional, keyword-only
    station_id : str, optional, keyword-only
        Id column of ``stations`` (default ``station_id`` when present).
    top_n : int, keyword-only
        Uncovered stretches kept in the ranking.

    Returns
    -------
    PresetReport
        Tables ``rivers`` (per river), ``uncovered_stretches`` (ranked), ``by_subdistrict``,
        ``by_grid_cell``.
    """
    rivers = metric(rivers, "rivers")
    stations = metric(stations, "stations").to_crs(rivers.crs)
    sid = station_id or ("station_id" if "station_id" in stations else None)
    rid = "river_id" if "river_id" in rivers else None
    notes = []
    if distance == "network":
        dims = shapely.get_dimensions(rivers.geometry.to_numpy())
        line_rows = rivers[dims == 1]
        poly_rows = rivers[dims == 2]
        parts = []
        if len(line_rows):
            parts.append(
                service_coverage(
                    line_rows,
                    stations,
                    service_m=service_m,
                    distance="network",
                    target_id=rid,
                    provider_id=sid,
                    exclude_classes=(),
                )
            )
        if len(poly_rows):
            parts.append(
                service_coverage(poly_rows, stations, service_m=service_m, target_id=rid, provider_id=sid)
            )
            notes.append(
                f"{len(poly_rows)} river polygons: straight-line distance (no centre line)"
            )
        result = _concat_results(parts, rivers)
    else:
        result = service_coverage(rivers, stations, service_m=service_m, target_id=rid, provider_id=sid)
    tables = {"rivers": target_table(result, ["name", "grade"])}
    t = result.targets
    unc = result.uncovered_parts
    lines = line_stretches(unc, t, by=("name",))
    polys = unc[unc.geom_type == "Polygon"].copy()
    if len(polys):
        polys["name"] = (
            t["name"].to_numpy(object)[polys["target_row"].to_numpy()] if "name" in t else None
        )
    stretch = pd.concat(
        [
            pd.DataFrame(lines.drop(columns="geometry")).assign(kind="line"),
            pd.DataFrame(polys.drop(columns="geometry"))
            .assign(kind="polygon")
            .rename(columns={"target_id": "target_ids"}),
        ],
        ignore_index=True,
    )
    stretch["_size"] = stretch["length_m"].fillna(stretch.get("area_m2"))
    stretch = stretch.sort_values(["kind", "_size"], ascending=[True, False], kind="stable")
    keep = [c for c in ["name", "kind", "length_m", "area_m2", "target_ids"] if c in stretch]
    stretch = stretch[keep].head(top_n).reset_index(drop=True)
    stretch.insert(0, "rank", np.arange(1, len(stretch) + 1))
    tables["uncovered_stretches"] = stretch
    tables.update(zone_tables(result, subdistricts, grid_cells))
    layers = {
        "stations": result.providers,
        "rivers_covered": result.covered_parts,
        "rivers_uncovered": result.uncovered_parts,
        "uncovered_stretches": lines,
        "service_area": result.service_area,
    }
    s = result.summary()
    summary = {
        "preset": "river-monitoring",
        "distance": distance,
        "service_m": service_m,
        "stations": int(len(stations)),
        "rivers": int(len(t)),
        "line_length_m": s.get("length_m"),
        "line_covered_share": s.get("line_covered_share"),
        "polygon_area_m2": s.get("area_m2"),
        "polygon_covered_share": s.get("polygon_covered_share"),
        "uncovered_line_m": round(float(lines["length_m"].sum()), 1) if len(lines) else 0.0,
    }
    return PresetReport(
        "river-monitoring",
        f"河道水质监测{service_m:g}米覆盖",
        tables,
        layers,
        summary,
        result,
        notes + list(result.notes),
    )


def _concat_results(parts: list[ServiceCoverage], like: gpd.GeoDataFrame) -> ServiceCoverage:
    if len(parts) == 1:
        r = parts[0]
        r.targets = r.targets.reindex(like.index.intersection(r.targets.index))
        return r
    # re-number target rows against the concatenation
    offsets = np.cumsum([0] + [len(p.targets) for p in parts[:-1]])
    targets = pd.concat([p.targets for p in parts])
    cov = pd.concat(
        [
            p.covered_parts.assign(target_row=p.covered_parts["target_row"] + o)
            for p, o in zip(parts, offsets, strict=True)
        ],
        ignore_index=True,
    )
    unc = pd.concat(
        [
            p.uncovered_parts.assign(target_row=p.uncovered_parts["target_row"] + o)
            for p, o in zip(parts, offsets, strict=True)
        ],
        ignore_index=True,
    )
    service = pd.concat([p.service_area for p in parts], ignore_index=True)
    return ServiceCoverage(
        targets=gpd.GeoDataFrame(targets, geometry="geometry", crs=like.crs),
        covered_parts=gpd.GeoDataFrame(cov, geometry="geometry", crs=like.crs),
        uncovered_parts=gpd.GeoDataFrame(unc, geometry="geometry", crs=like.crs),
        service_area=gpd.GeoDataFrame(service, geometry="geometry", crs=like.crs),
        providers=parts[0].providers,
        distance=parts[0].distance,
        parameters=parts[0].parameters,
        notes=[n for p in parts for n in p.notes],
    )
