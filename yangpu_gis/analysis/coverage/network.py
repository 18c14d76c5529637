"""Coverage along a network: one multi-source Dijkstra gives every node its remaining reach,
each edge is cut exactly at its reach points, and targets collect the covered stretches.

See the package docstring (*Along the network*) for the method.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from ...errors import ValidationError
from .. import network as walking
from ..inputs import metric
from .parts import EPS, merge_lines, overlay

__all__ = ["network_coverage", "network_reach"]


@dataclass
class _Reach:
    """Node reach of a network search: remaining budget and nearest provider per node."""

    graph: walking.WalkingGraph
    remain: np.ndarray  # S - D(v) over original nodes (−inf unreached)
    near_d: np.ndarray  # plain distance to the nearest provider per original node
    near_p: np.ndarray  # its provider position (−1 when none)
    p_edge: np.ndarray  # per provider: snapped edge (−1)
    p_offset: np.ndarray
    p_budget: np.ndarray  # s_p − access_p
    p_access: np.ndarray
    t_dist: np.ndarray | None = None  # per point target: budget-distance D(t) − S (≤ 0 reached)
    t_near_d: np.ndarray | None = None
    t_near_p: np.ndarray | None = None


def _search(
    matrix: sp.csr_matrix, p_node: np.ndarray, p_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source Dijkstra from stubs of length ``p_start``; (distance, source position)."""
    n = matrix.shape[0]
    ok = np.flatnonzero(p_node >= 0)
    if not len(ok):
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    stubs = n + np.arange(len(ok))
    coo = matrix.tocoo()
    big = sp.csr_matrix(
        (np.r_[coo.data, p_start[ok]], (np.r_[coo.row, stubs], np.r_[coo.col, p_node[ok]])),
        shape=(n + len(ok), n + len(ok)),
    )
    dist, _pred, src = dijkstra(
        big, directed=False, indices=stubs, min_only=True, return_predecessors=True
    )
    dist = dist[:n]
    src = src[:n]
    pos = np.where(src >= n, ok[np.clip(src - n, 0, len(ok) - 1)], -1)
    pos[~np.isfinite(dist)] = -1
    return dist, pos


def network_reach(
    graph: walking.WalkingGraph, pg: np.ndarray, s: np.ndarray, targets: np.ndarray | None = None
) -> _Reach:
    p_snap = walking.snap_points(graph, pg)
    snaps = [p_snap] if targets is None else [p_snap, walking.snap_points(graph, targets)]
    matrix, nodes = walking.augment(graph, snaps)
    p_node = nodes[0]
    ok = p_node >= 0
    big_s = float(s[ok].max()) if ok.any() else 0.0
    dist, _ = _search(matrix, p_node, np.where(ok, p_snap.access_m + (big_s - s), 0.0))
    if ok.any() and np.ptp(s[ok]) > 0:
        near_d, near_p = _search(matrix, p_node, np.where(ok, p_snap.access_m, 0.0))
    else:
        near_d, near_p = (
            _search(matrix, p_node, np.where(ok, p_snap.access_m, 0.0))
            if ok.any()
            else (dist, np.full(len(dist), -1))
        )
    n0 = graph.n_nodes
    reach = _Reach(
        graph=graph,
        remain=big_s - dist[:n0],
        near_d=near_d[:n0],
        near_p=near_p[:n0],
        p_edge=p_snap.edge,
        p_offset=p_snap.offset_m,
        p_budget=s - p_snap.access_m,
        p_access=p_snap.access_m,
    )
    if targets is not None:
        t_snap = snaps[1]
        t_node = nodes[1]
        good = t_node >= 0
        td = np.full(len(t_node), np.inf)
        td[good] = dist[t_node[good]] + t_snap.access_m[good]
        reach.t_dist = td - big_s
        nd = np.full(len(t_node), np.inf)
        nd[good] = near_d[t_node[good]] + t_snap.access_m[good]
        reach.t_near_d = nd
        npos = np.full(len(t_node), -1, dtype=np.int64)
        npos[good] = near_p[t_node[good]]
        npos[~np.isfinite(nd)] = -1
        reach.t_near_p = npos
    return reach


def _merge_intervals(
    e: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of intervals ``[a, b]`` per edge ``e``: sorted, disjoint, non-touching."""
    if not len(e):
        return e, a, b
    order = np.lexsort((a, e))
    e, a, b = e[order], a[order], b[order]
    frame = pd.DataFrame({"e": e, "a": a, "b": b})
    run = frame.groupby("e", sort=False)["b"].cummax().to_numpy()
    prev = np.r_[-np.inf, run[:-1]]
    new = np.r_[True, e[1:] != e[:-1]] | (a > prev + EPS)
    grp = np.cumsum(new) - 1
    out = frame.groupby(grp).agg(e=("e", "first"), a=("a", "min"), b=("b", "max"))
    return out["e"].to_numpy(), out["a"].to_numpy(float), out["b"].to_numpy(float)


def _edge_intervals(reach: _Reach) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Covered intervals ``(edge, from_m, to_m)`` of every edge (merged, clipped)."""
    edges = reach.graph.edges
    u = edges["u"].to_numpy()
    v = edges["v"].to_numpy()
    length = edges["length_m"].to_numpy(float)
    k = np.arange(len(edges))
    ru, rv = reach.remain[u], reach.remain[v]
    on = reach.p_edge >= 0
    pe, po, pb = reach.p_edge[on], reach.p_offset[on], reach.p_budget[on]
    e = np.concatenate([k, k, pe])
    a = np.concatenate([np.zeros(len(k)), length - rv, po - pb])
    b = np.concatenate([ru, length, po + pb])
    valid = np.concatenate([ru >= 0, rv >= 0, pb >= 0])
    e, a, b = e[valid], a[valid], b[valid]
    a = np.clip(a, 0.0, length[e])
    b = np.clip(b, 0.0, length[e])
    keep = b - a > EPS
    return _merge_intervals(e[keep], a[keep], b[keep])


def _complement(e, a, b, length) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The uncovered intervals of every edge, given its merged covered intervals."""
    n = len(length)
    first = np.r_[True, e[1:] != e[:-1]] if len(e) else np.empty(0, bool)
    last = np.r_[e[1:] != e[:-1], True] if len(e) else np.empty(0, bool)
    touched = np.zeros(n, bool)
    touched[e] = True
    free = np.flatnonzero(~touched)
    ge = np.concatenate([free, e[first], e[last], e[~last]])
    ga = np.concatenate([np.zeros(len(free)), np.zeros(first.sum()), b[last], b[~last]])
    gb = np.concatenate(
        [length[free], a[first], length[e[last]], a[1:][~last[:-1]] if len(e) else np.empty(0)]
    )
    keep = gb - ga > EPS
    return ge[keep], ga[keep], gb[keep]


def _substrings(
    lines: np.ndarray, e: np.ndarray, a: np.ndarray, b: np.ndarray, length: np.ndarray
) -> np.ndarray:
    """Pieces ``lines[e]`` from ``a`` to ``b`` metres (whole edges kept as they are)."""
    from shapely.ops import substring

    out = lines[e].copy()
    part = np.flatnonzero((a > EPS) | (b < length[e] - EPS))
    for i in part.tolist():
        out[i] = substring(lines[e[i]], float(a[i]), float(b[i]))
    return out


def _network_lines(reach: _Reach) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Covered and uncovered stretches of the network: (pieces, edge) twice."""
    edges = reach.graph.edges
    lines = edges.geometry.to_numpy()
    length = edges["length_m"].to_numpy(float)
    e, a, b = _edge_intervals(reach)
    ue, ua, ub = _complement(e, a, b, length)
    return _substrings(lines, e, a, b, length), e, _substrings(lines, ue, ua, ub, length), ue


def _edge_nearest(reach: _Reach) -> tuple[np.ndarray, np.ndarray]:
    """Network distance from each edge (its nearest point) to the nearest provider."""
    edges = reach.graph.edges
    u = edges["u"].to_numpy()
    v = edges["v"].to_numpy()
    cand_d = np.stack([reach.near_d[u], reach.near_d[v]])
    cand_p = np.stack([reach.near_p[u], reach.near_p[v]])
    best = np.argmin(cand_d, axis=0)
    d = cand_d[best, np.arange(len(u))]
    p = cand_p[best, np.arange(len(u))]
    on = np.flatnonzero(reach.p_edge >= 0)
    if len(on):
        frame = pd.DataFrame({"e": reach.p_edge[on], "d": reach.p_access[on], "p": on})
        frame = frame.sort_values(["e", "d"], kind="stable").drop_duplicates("e")
        ee = frame["e"].to_numpy()
        better = frame["d"].to_numpy() < d[ee]
        d[ee[better]] = frame["d"].to_numpy()[better]
        p[ee[better]] = frame["p"].to_numpy()[better]
    p = np.where(np.isfinite(d), p, -1)
    return d, p


def network_coverage(
    targets,
    geoms,
    dims,
    pg,
    s,
    p_ok,
    *,
    network_lines,
    graph,
    exclude_classes,
    connect_dangling_m,
    on_network_m,
):
    n = len(geoms)
    notes: list[str] = []
    own = network_lines is None and graph is None
    if own:
        lines_rows = np.flatnonzero(dims == 1)
        if not len(lines_rows):
            raise ValidationError(
                "network distance needs lines to walk along",
                hint="pass network_lines= (e.g. the roads layer)",
            )
        net = gpd.GeoDataFrame(
            {
                "road_id": lines_rows.astype(object),
                "road_class": (
                    targets["road_class"].to_numpy(object)[lines_rows]
                    if "road_class" in targets.columns
                    else None
                ),
            },
            geometry=geoms[lines_rows],
            crs=targets.crs,
        )
    else:
        net = network_lines
    if graph is None:
        graph = walking.walking_graph(
            metric(net, "network_lines").to_crs(targets.crs),
            exclude_classes=exclude_classes,
            connect_dangling_m=connect_dangling_m,
        )
    pts_rows = np.flatnonzero((dims == 0) | (dims == 2))
    pos_ok = np.flatnonzero(p_ok)
    reach = network_reach(
        graph, pg[pos_ok], s[pos_ok], targets=geoms[pts_rows] if len(pts_rows) else None
    )
    share = np.zeros(n)
    near_pos = np.full(n, -1, dtype=np.int64)
    near_d = np.full(n, np.nan)
    cps, cis, ups, uis = [], [], [], []
    if len(pts_rows):
        ok = reach.t_dist <= 1e-9
        share[pts_rows] = ok
        near_d[pts_rows] = np.where(np.isfinite(reach.t_near_d), reach.t_near_d, np.nan)
        near_pos[pts_rows] = np.where(
            reach.t_near_p >= 0, pos_ok[np.clip(reach.t_near_p, 0, None)], -1
        )
        cps.append(geoms[pts_rows][ok])
        cis.append(pts_rows[ok])
        ups.append(geoms[pts_rows][~ok])
        uis.append(pts_rows[~ok])
        if (dims == 2).any():
            notes.append(
                "network distance: polygon targets are reached at their representative "
                "point (share 0 or 1)"
            )
    cover, ce, free, fe = _network_lines(reach)
    edge_d, edge_p = _edge_nearest(reach)
    rows = np.flatnonzero(dims == 1)
    if len(rows):
        if own:
            src = graph.edges["road_id"].to_numpy(object)
            on_target = np.array([x is not None for x in src])
            src_row = np.where(on_target, src, -1).astype(np.int64)
            ck = on_target[ce]
            cp, ci = merge_lines(cover[ck], src_row[ce[ck]])
            uk = on_target[fe]
            up, ui = merge_lines(free[uk], src_row[fe[uk]])
            # nearest provider of a line: its best edge
            ek = np.flatnonzero(on_target & np.isfinite(edge_d))
            if len(ek):
                frame = pd.DataFrame({"r": src_row[ek], "d": edge_d[ek], "p": edge_p[ek]})
                frame = frame.sort_values(["r", "d"], kind="stable").drop_duplicates("r")
                rr = frame["r"].to_numpy()
                near_d[rr] = frame["d"].to_numpy()
                near_pos[rr] = pos_ok[frame["p"].to_numpy()]
            # the parts of targets not on the network (excluded classes) stay uncovered
            seen = np.zeros(n, bool)
            seen[src_row[on_target]] = True
            off = rows[~seen[rows]]
            if len(off):
                notes.append(
                    f"{len(off)} line targets are not on the network "
                    f"(e.g. excluded classes {tuple(exclude_classes)}): uncovered"
                )
                up = np.concatenate([up, geoms[off]])
                ui = np.concatenate([ui, off])
        else:
            zone = cover[~(shapely.is_empty(cover))]
            region = (
                shapely.get_parts(
                    shapely.union_all(shapely.buffer(zone, on_network_m, cap_style="flat"))
                )
                if len(zone)
                else np.empty(0, dtype=object)
            )
            (
                cp,
                ci,
                up,
                ui,
            ) = overlay(geoms[rows], rows, 1, region)
            cp, ci = merge_lines(cp, ci)
            up, ui = merge_lines(up, ui)
            # nearest: the nearest edge to each line, and that edge's provider distance
            if len(graph.edges):
                (ti, ej), dd = shapely.STRtree(graph.edges.geometry.to_numpy()).query_nearest(
                    geoms[rows], all_matches=False, return_distance=True
                )
                ok = np.isfinite(edge_d[ej])
                near_d[rows[ti[ok]]] = edge_d[ej[ok]] + dd[ok]
                near_pos[rows[ti[ok]]] = pos_ok[edge_p[ej[ok]]]
        total = shapely.length(geoms[rows])
        cov = np.bincount(ci, weights=shapely.length(cp), minlength=n)[rows] if len(cp) else 0.0
        share[rows] = np.where(total > 0, np.minimum(cov / np.where(total > 0, total, 1), 1.0), 0.0)
        cps.append(cp)
        cis.append(ci)
        ups.append(up)
        uis.append(ui)
    service = gpd.GeoDataFrame(
        {"kind": ["reached_network"] * len(cover)},
        geometry=gpd.GeoSeries(cover, crs=graph.crs),
        crs=graph.crs,
    )
    cp = np.concatenate(cps) if cps else np.empty(0, object)
    ci = np.concatenate(cis).astype(np.int64) if cis else np.empty(0, np.int64)
    up = np.concatenate(ups) if ups else np.empty(0, object)
    ui = np.concatenate(uis).astype(np.int64) if uis else np.empty(0, np.int64)
    return share, cp, ci, up, ui, near_pos, near_d, service, notes
