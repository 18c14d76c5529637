"""Parking reach: residential compounds with no public or shared parking facility within
walking reach."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..inputs import metric
from ..parking import access_points, parking_walking_graph
from .defaults import COVERAGE_DEFAULTS, PUBLIC_PARKING_KINDS, Distance
from .general import service_coverage
from .report import PresetReport
from .totals import choropleth_zones, target_table, zone_tables

__all__ = ["parking_reach"]


def parking_reach(
    compounds: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    roads: gpd.GeoDataFrame | None = None,
    distance: Distance = "network",
    service_m: float = COVERAGE_DEFAULTS.parking_service_m,
    public_kinds: Sequence[str] = PUBLIC_PARKING_KINDS,
    subdistricts: gpd.GeoDataFrame | None = None,
    grid_cells: gpd.GeoDataFrame | None = None,
    connect_dangling_m: float = COVERAGE_DEFAULTS.connect_dangling_m,
) -> PresetReport:
    """Residential compounds with no public or shared parking facility within walking reach.

    Facilities count when their ``kind`` is in ``public_kinds`` or they are
    ``shared_offpeak`` (错峰共享). A compound is represented by its representative point
    (:func:`shapely.point_on_surface`) in both distance modes, so the two are comparable.

    Parameters
    ----------
    compounds : GeoDataFrame
        The ``residential_compounds`` layer.
    facilities : GeoDataFrame
        The ``parking_facilities`` layer.
    roads : GeoDataFrame, optional, keyword-only
        Walking network; required for ``distance="network"``.
    distance : {"network", "euclidean"}, keyword-only
    service_m : float, keyword-only
        Walking distance, metres (default 300 m, issue 6).
    public_kinds : sequence of str, keyword-only
        Kinds open to everyone (default ``("public",)``; add ``"on_street"`` to count
        kerbside parking).
    subdistricts, grid_cells : GeoDataFrame, optional, keyword-only
    connect_dangling_m : float, keyword-only
        Walking graph repair, metres.

    Returns
    -------
    PresetReport
        Tables ``compounds`` (all, with nearest facility and distance), ``unreached``
        (ranked by households), ``by_subdistrict``, ``by_grid_cell``.
    """
    compounds = metric(compounds, "residential_compounds")
    facilities = metric(facilities, "parking_facilities")
    kinds = facilities["kind"].isin(list(public_kinds)) if "kind" in facilities else True
    shared = (
        facilities["shared_offpeak"].fillna(False).astype(bool)
        if "shared_offpeak" in facilities
        else False
    )
    open_fac = facilities[kinds | shared]
    pts = compounds.copy()
    # walked from the same points along the same graph as the parking accessibility
    pts["geometry"] = access_points(compounds)
    pts = pts.set_geometry("geometry")
    notes = []
    if distance == "network" and (roads is None or not len(roads)):
        notes.append("no roads: straight-line distance used")
        distance = "euclidean"
    graph = (parking_walking_graph(roads, pts.crs, connect_dangling_m=connect_dangling_m)
             if distance == "network" else None)
    result = service_coverage(
        pts,
        open_fac,
        service_m=service_m,
        distance=distance,
        graph=graph,
        target_id="compound_id" if "compound_id" in pts else None,
        provider_id="facility_id" if "facility_id" in open_fac else None,
    )
    t = result.targets
    fac = result.providers.set_index("provider_id")
    table = target_table(result, ["name", "households", "built_year"])
    table = table.drop(
        columns=[
            "length_m",
            "covered_length_m",
            "area_m2",
            "covered_area_m2",
            "covered_share",
            "status",
        ]
    )
    near = t["nearest_provider_id"].to_numpy(object)
    for col, src in (("nearest_name", "name"), ("nearest_kind", "kind")):
        vals = fac[src].to_dict() if src in fac.columns else {}
        table[col] = [vals.get(x) if x is not None else None for x in near]
    households = pd.to_numeric(
        t.get("households", pd.Series(0, index=t.index)), errors="coerce"
    ).fillna(0)
    unreached = table[~t["covered"].to_numpy()].copy()
    unreached = (
        unreached.assign(_h=households[~t["covered"]].to_numpy())
        .sort_values(["_h", "nearest_distance_m"], ascending=[False, False], kind="stable")
        .drop(columns="_h")
    )
    unreached.insert(0, "rank", np.arange(1, len(unreached) + 1))
    tables = {"compounds": table, "unreached": unreached.reset_index(drop=True)}
    # households reached per zone: weight the point counts by households
    zt = zone_tables(result, subdistricts, grid_cells)
    for key, zones, zid in (
        ("by_subdistrict", subdistricts, "subdistrict_id"),
        ("by_grid_cell", grid_cells, "grid_id"),
    ):
        if key not in zt:
            continue
        z = zt[key].rename(columns={"n_targets": "compounds", "covered": "compounds_reached"})
        z = z.drop(columns=["measure", "total"])
        z["compounds_unreached"] = z["uncovered"].astype(int)
        z = z.drop(columns=["uncovered"])
        hh = _households_per_zone(t, households, zones, zid)
        z = z.merge(hh, on=zid, how="left")
        tables[key] = z
    polys = compounds.loc[t.index[~t["covered"].to_numpy()]].copy()
    polys = (
        gpd.GeoDataFrame(
            unreached.drop(columns=["kind"]).reset_index(drop=True),
            geometry=polys.geometry.reindex(compounds.index[~t["covered"].to_numpy()]).to_numpy(),
            crs=compounds.crs,
        )
        if len(unreached)
        else gpd.GeoDataFrame(
            unreached, geometry=gpd.GeoSeries([], crs=compounds.crs), crs=compounds.crs
        )
    )
    reached_polys = compounds.loc[t["covered"].to_numpy()]
    layers = {
        "facilities": result.providers,
        "compounds_unreached": polys,
        "compounds_reached": reached_polys,
        "reach": result.service_area,
    }
    if "by_subdistrict" in tables:
        z = choropleth_zones(
            subdistricts,
            tables["by_subdistrict"],
            "subdistrict_id",
            {
                "households_unreached": "households_unreached",
                "compounds_unreached": "compounds_unreached",
            },
        )
        if z is not None:
            layers["subdistricts"] = z
    n_un = int((~t["covered"]).sum())
    summary = {
        "preset": "parking-reach",
        "distance": result.distance,
        "service_m": service_m,
        "compounds": int(len(t)),
        "facilities_counted": int(len(open_fac)),
        "compounds_unreached": n_un,
        "households_unreached": int(households[~t["covered"]].sum()),
        "share_compounds_unreached": round(n_un / len(t), 4) if len(t) else None,
    }
    return PresetReport(
        "parking-reach",
        f"停车设施{service_m:g}米步行可达",
        tables,
        layers,
        summary,
        result,
        notes + list(result.notes),
    )


def _households_per_zone(t, households, zones, zid) -> pd.DataFrame:
    pts = t.geometry.to_numpy()
    i, j = shapely.STRtree(zones.geometry.to_numpy()).query(pts, predicate="intersects")
    f = pd.DataFrame(
        {
            zid: zones[zid].to_numpy(object)[j],
            "h": households.to_numpy()[i],
            "un": ~t["covered"].to_numpy()[i],
        }
    )
    return f.groupby(zid, as_index=False).agg(
        households=("h", "sum"),
        households_unreached=("h", lambda x: float(x[f.loc[x.index, "un"]].sum())),
    )
