"""Link 12345 work orders to their most likely cause: :func:`analyze_causes`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...errors import ValidationError
from ..complaints.common import check_positive, first_container, local_days
from ..complaints.merge import merge_duplicates
from ..excavation.inputs import active_permits
from ..inputs import common_metric_crs, require_columns
from ..result import AnalysisResult
from ..road_condition import DEFAULT_PCI_GRADES, GOOD_GRADES, grade_pci
from .defaults import CAUSE_KINDS, CAUSES_DEFAULTS
from .link import candidates_near, pick_causes
from .rules import DEFAULT_CAUSE_RULES, check_rules

__all__ = ["CausesResult", "analyze_causes", "rule_text"]

_CAUSE_COLUMNS = ["complaint_id", "case_id", "category", "subdistrict_id", "received_at",
                  "cause_kind", "cause_id", "rule", "distance_m", "days"]


def rule_text(kind: str, *, permit_distance_m: float, permit_margin_days: int,
              depression_distance_m: float, road_distance_m: float) -> str:
    """The rule that links an order to a cause of ``kind``, in words (the ``rule`` column)."""
    if kind == "permit":
        return (f"掘路许可: ≤{permit_distance_m:g} m from the footprint, received "
                f"{permit_margin_days} d before planned_start … {permit_margin_days} d after "
                "planned_end")
    if kind == "depression":
        return f"洼地: inside or ≤{depression_distance_m:g} m from a DEM depression"
    return f"道路: ≤{road_distance_m:g} m from a road graded 中 or 差 (PCI)"


def _count_by(links: pd.DataFrame, kind: str, ids: pd.Series) -> pd.DataFrame:
    """Per cause id of ``kind``: orders and cases linked, and the orders per category."""
    sub = links[links["cause_kind"] == kind]
    n = sub.groupby("cause_id").agg(n_complaints=("complaint_id", "size"),
                                    n_cases=("case_id", "nunique"))
    cats = (sub.groupby(["cause_id", "category"]).size().rename("k").reset_index()
            .sort_values(["cause_id", "k", "category"], ascending=[True, False, True]))
    cats["text"] = cats["category"] + " " + cats["k"].astype(str)
    text = cats.groupby("cause_id")["text"].agg("; ".join)
    out = pd.DataFrame(index=pd.Index(ids.astype(str), name="cause_id"))
    out = out.join(n).join(text.rename("categories"))
    out[["n_complaints", "n_cases"]] = out[["n_complaints", "n_cases"]].fillna(0).astype(int)
    out["categories"] = out["categories"].fillna("")
    return out.reset_index(drop=True)


@dataclass
class CausesResult(AnalysisResult):
    """All outputs of :func:`analyze_causes`.

    Attributes
    ----------
    causes : DataFrame
        One row per linked work order: ``complaint_id, case_id, category, subdistrict_id,
        received_at, cause_kind (permit | depression | road), cause_id, rule, distance_m,
        days`` (``days``: the order's day minus the permit's planned start, empty for other
        kinds).
    links : GeoDataFrame
        The same rows, each a line from the order to the nearest point of its cause.
    orders : GeoDataFrame
        Every work order of a category with a rule, with ``cause_kind`` (``none`` when
        unlinked) and ``cause_id``.
    permit_complaints, applicant_complaints, road_complaints, depression_complaints : DataFrame
        Per permit, applicant, bad road and depression: the orders and cases it explains.
    explained_share : DataFrame
        Per subdistrict (and ``district``) and category: orders, orders explained (in all
        and by kind) and the share explained.
    cause_rules : DataFrame
        ``category, kinds, rule``: the rules used.
    permits, roads, depressions : GeoDataFrame
        The causes considered (roads: those below good grade), with their counts.
    parameters : dict
        Every parameter used.
    notes : list of str
    """

    causes: pd.DataFrame
    links: gpd.GeoDataFrame
    orders: gpd.GeoDataFrame
    permit_complaints: pd.DataFrame
    applicant_complaints: pd.DataFrame
    road_complaints: pd.DataFrame
    depression_complaints: pd.DataFrame
    explained_share: pd.DataFrame
    cause_rules: pd.DataFrame
    permits: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    depressions: gpd.GeoDataFrame
    parameters: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    topic: ClassVar[str] = "causes"

    @property
    def defaults(self):
        return CAUSES_DEFAULTS

    def tables(self) -> dict[str, pd.DataFrame]:
        """``causes, permit_complaints, applicant_complaints, road_complaints,
        depression_complaints, explained_share, cause_rules``."""
        return {"causes": self.causes, "permit_complaints": self.permit_complaints,
                "applicant_complaints": self.applicant_complaints,
                "road_complaints": self.road_complaints,
                "depression_complaints": self.depression_complaints,
                "explained_share": self.explained_share, "cause_rules": self.cause_rules}

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """``links, orders, permits, roads, depressions`` (``causes.gpkg``)."""
        return {"links": self.links, "orders": self.orders, "permits": self.permits,
                "roads": self.roads, "depressions": self.depressions}

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures for the CLI."""
        by_kind = self.causes["cause_kind"].value_counts().to_dict()
        top = self.applicant_complaints.head(3)
        district = self.explained_share[self.explained_share["subdistrict_id"] == "district"]
        return {
            "orders_with_rule": int(len(self.orders)),
            "linked": int(len(self.causes)),
            "cases_linked": int(self.causes["case_id"].nunique()),
            "by_kind": {k: int(by_kind.get(k, 0)) for k in CAUSE_KINDS},
            "share_by_category": {str(r.category): round(float(r.share), 4)
                                  for r in district.itertuples()},
            "top_applicants": [{"applicant": str(r.applicant),
                                "n_complaints": int(r.n_complaints)}
                               for r in top.itertuples()],
            "parameters": self.parameters,
            "notes": self.notes,
        }


def _prepare_permits(permits, crs) -> tuple[gpd.GeoDataFrame, list[str]]:
    notes: list[str] = []
    if permits is None or not len(permits):
        return gpd.GeoDataFrame({"permit_id": [], "applicant": [], "planned_start": [],
                                 "planned_end": []}, geometry=[], crs=crs), notes
    require_columns(permits, ("permit_id", "applicant", "planned_start", "planned_end"),
                    "excavation permits")
    p = active_permits(permits)  # the excavation analyses' one filter of revoked permits
    if len(p) < len(permits):
        notes.append(f"{len(permits) - len(p)} revoked permits (已撤销) explain nothing")
    return p.reset_index(drop=True), notes


def _bad_roads(roads, grades) -> gpd.GeoDataFrame:
    if roads is None or not len(roads):
        return gpd.GeoDataFrame({"road_id": [], "grade": []}, geometry=[])
    require_columns(roads, ("road_id", "pci", "road_class"), "roads")
    g = grade_pci(roads["pci"], roads["road_class"], grades=grades)
    bad = np.array([x is not None and x not in GOOD_GRADES for x in g])
    out = roads[bad].copy()
    out["grade"] = g[bad]
    return out.reset_index(drop=True)


def analyze_causes(
    complaints: gpd.GeoDataFrame,
    *,
    permits: gpd.GeoDataFrame | None = None,
    depressions: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    subdistricts: gpd.GeoDataFrame | None = None,
    cases: pd.DataFrame | None = None,
    rules: Mapping[str, tuple[str, ...]] | None = None,
    pci_grades: Mapping[str, tuple[float, float, float]] = DEFAULT_PCI_GRADES,
    permit_distance_m: float = CAUSES_DEFAULTS.permit_distance_m,
    permit_margin_days: int = CAUSES_DEFAULTS.permit_margin_days,
    depression_distance_m: float = CAUSES_DEFAULTS.depression_distance_m,
    road_distance_m: float = CAUSES_DEFAULTS.road_distance_m,
) -> CausesResult:
    """Link each work order (and its merged case) to what most likely caused it.

    An order of a category with a rule (:data:`~.rules.DEFAULT_CAUSE_RULES`) is tried
    against the kinds of cause the rule names, in order; the first kind with a candidate
    wins, and of its candidates the nearest (then the one whose period began closest to the
    order, then the smallest id):

    * ``permit`` — an excavation permit (not revoked, cancelled or withdrawn:
      :func:`~yangpu_gis.analysis.excavation.inputs.active_permits`) whose footprint lies within
      ``permit_distance_m`` and whose planned period, widened by ``permit_margin_days`` on
      both sides, holds the order's day (Shanghai time);
    * ``depression`` — a DEM depression the order lies in or within
      ``depression_distance_m`` of;
    * ``road`` — a road graded below good (中 or 差, :func:`grade_pci`) within
      ``road_distance_m``.

    Parameters
    ----------
    complaints : GeoDataFrame
        The ``complaints`` layer (``complaint_id, received_at, category``; points).
    permits, depressions, roads, subdistricts : GeoDataFrame, optional, keyword-only
        ``excavation_permits``; depression polygons with ``depression_id`` (e.g.
        :meth:`~yangpu_gis.analysis.waterlogging.DepressionResult.polygons`); ``roads`` with
        ``pci`` and ``road_class``; ``subdistricts`` for the shares per subdistrict. A kind
        whose data is missing links nothing (noted).
    cases : DataFrame, optional, keyword-only
        ``complaint_id, case_id``; by default the orders are merged here with
        :func:`~yangpu_gis.analysis.complaints.merge_duplicates`' defaults.
    rules : mapping, optional, keyword-only
        Category -> kinds in order (:func:`~.rules.load_cause_rules`).
    pci_grades : mapping, keyword-only
        The PCI grade table (:data:`~yangpu_gis.analysis.road_condition.DEFAULT_PCI_GRADES`).
    permit_distance_m, permit_margin_days, depression_distance_m, road_distance_m
        See :data:`~.defaults.CAUSES_DEFAULTS`.

    Returns
    -------
    CausesResult

    Raises
    ------
    ValidationError
        Missing columns, a non-positive distance, a negative margin, unknown rule kinds.
    CRSError
        Frames not in one metric CRS.

    Examples
    --------
    >>> with yangpu_gis.open_registry("yangpu.gpkg") as reg:              # doctest: +SKIP
    ...     res = analyze_causes(reg.read("complaints"),
    ...                          permits=reg.read("excavation_permits"),
    ...                          roads=reg.read("roads"))
    >>> res.permit_complaints.head()                                      # doctest: +SKIP
    """
    require_columns(complaints, ("complaint_id", "received_at", "category"), "complaints")
    check_positive(permit_distance_m=permit_distance_m,
                   depression_distance_m=depression_distance_m,
                   road_distance_m=road_distance_m)
    if not (isinstance(permit_margin_days, int | np.integer) and permit_margin_days >= 0):
        raise ValidationError(f"permit_margin_days must be a whole number >= 0, "
                              f"not {permit_margin_days!r}")
    rules = check_rules(DEFAULT_CAUSE_RULES if rules is None else rules)
    crs = common_metric_crs(complaints, permits, depressions, roads, subdistricts,
                            what="complaints and causes")
    notes: list[str] = []
    permits, permit_notes = _prepare_permits(permits, crs)
    notes += permit_notes
    bad_roads = _bad_roads(roads, pci_grades)
    if depressions is None:
        depressions = gpd.GeoDataFrame({"depression_id": []}, geometry=[], crs=crs)
    else:
        require_columns(depressions, ("depression_id",), "depressions")
    available = {"permit": permits, "depression": depressions, "road": bad_roads}
    wanted = {k for kinds in rules.values() for k in kinds}
    for kind in sorted(wanted):
        if not len(available[kind]):
            notes.append(f"no {CAUSE_KINDS[kind]}: nothing is linked to a {kind}")

    orders = complaints.reset_index(drop=True)
    cats = orders["category"].astype(str).to_numpy()
    geoms = orders.geometry.to_numpy()
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    with_rule = np.isin(cats, [c for c, k in rules.items() if k]) & located
    day = local_days(orders["received_at"])

    parts = []
    pdays = (local_days(permits["planned_start"]), local_days(permits["planned_end"]))
    dist = {"permit": permit_distance_m, "depression": depression_distance_m,
            "road": road_distance_m}
    for kind, targets in available.items():
        sel = np.flatnonzero(with_rule & np.isin(
            cats, [c for c, k in rules.items() if kind in k]))
        if not len(sel) or not len(targets):
            continue
        extra = {}
        if kind == "permit":
            extra = {"day": day[sel], "start": pdays[0], "end": pdays[1],
                     "margin_days": int(permit_margin_days)}
        parts.append(candidates_near(geoms[sel], sel, targets.geometry.to_numpy(), dist[kind],
                                     kind, **extra))
    ids = {"permit": permits["permit_id"].astype(str).to_numpy(),
           "depression": depressions["depression_id"].astype(str).to_numpy(),
           "road": bad_roads["road_id"].astype(str).to_numpy()}
    cand = pd.concat(parts, ignore_index=True) if parts else candidates_near(
        geoms[:0], np.zeros(0, int), geoms[:0], 1.0, "permit")
    picked = pick_causes(cand, cats, rules, ids)

    if cases is None:
        cases = merge_duplicates(orders).orders
    require_columns(cases, ("complaint_id", "case_id"), "cases")
    case_of = pd.Series(cases["case_id"].to_numpy(),
                        index=cases["complaint_id"].astype(str)).to_dict()
    subs = None
    if subdistricts is not None and len(subdistricts):
        require_columns(subdistricts, ("subdistrict_id",), "subdistricts")
        subs = first_container(geoms, subdistricts, "subdistrict_id")[0]
    params = {"permit_distance_m": permit_distance_m,
              "permit_margin_days": int(permit_margin_days),
              "depression_distance_m": depression_distance_m,
              "road_distance_m": road_distance_m}
    texts = {k: rule_text(k, **params) for k in CAUSE_KINDS}

    rows = picked["row"].to_numpy()
    cid = orders["complaint_id"].astype(str).to_numpy()
    received = orders["received_at"]
    causes = pd.DataFrame({
        "complaint_id": cid[rows],
        "case_id": [case_of.get(c) for c in cid[rows]],
        "category": cats[rows],
        "subdistrict_id": subs[rows] if subs is not None else None,
        "received_at": [t.isoformat() if hasattr(t, "isoformat") else str(t)
                        for t in received.iloc[rows]],
        "cause_kind": picked["cause_kind"].to_numpy(),
        "cause_id": picked["cause_id"].to_numpy(),
        "rule": [texts[k] for k in picked["cause_kind"]],
        "distance_m": picked["distance_m"].round(2).to_numpy(),
        "days": pd.array(picked["days"].to_numpy(), dtype="Int64"),
    }, columns=_CAUSE_COLUMNS)

    target_geom = np.array([available[k].geometry.iloc[i] for k, i in
                            zip(picked["cause_kind"], picked["cause"], strict=True)],
                           dtype=object)
    lines = shapely.shortest_line(geoms[rows], target_geom) if len(rows) else np.zeros(0, object)
    links = gpd.GeoDataFrame(causes.copy(), geometry=lines, crs=crs)

    tried = np.flatnonzero(with_rule)
    kind_of = pd.Series(picked["cause_kind"].to_numpy(), index=rows)
    id_of = pd.Series(picked["cause_id"].to_numpy(), index=rows)
    order_layer = gpd.GeoDataFrame({
        "complaint_id": cid[tried], "category": cats[tried],
        "case_id": [case_of.get(c) for c in cid[tried]],
        "cause_kind": kind_of.reindex(tried).fillna("none").to_numpy(),
        "cause_id": id_of.reindex(tried).to_numpy(),
    }, geometry=geoms[tried], crs=crs)

    pc = _count_by(causes, "permit", permits["permit_id"])
    keep = [c for c in ("permit_id", "applicant", "utility", "planned_start", "planned_end",
                        "road_id", "status") if c in permits.columns]
    permit_table = pd.concat([pd.DataFrame(permits[keep]).reset_index(drop=True)
                              .astype({"permit_id": str}), pc], axis=1)
    for c in ("planned_start", "planned_end"):
        if c in permit_table:
            permit_table[c] = pd.to_datetime(permit_table[c]).dt.date.astype(str)
    permit_table = permit_table.sort_values(["n_complaints", "permit_id"],
                                            ascending=[False, True], ignore_index=True)
    applicants = (permit_table.assign(drew=permit_table["n_complaints"] > 0)
                  .groupby("applicant", as_index=False)
                  .agg(n_permits=("permit_id", "size"), permits_with_complaints=("drew", "sum"),
                       n_complaints=("n_complaints", "sum"), n_cases=("n_cases", "sum")))
    applicants["complaints_per_permit"] = (applicants["n_complaints"]
                                           / applicants["n_permits"]).round(3)
    applicants = applicants.sort_values(["n_complaints", "applicant"],
                                        ascending=[False, True], ignore_index=True)
    road_cols = [c for c in ("road_id", "name", "road_class", "pci", "grade")
                 if c in bad_roads.columns]
    road_table = pd.concat([pd.DataFrame(bad_roads[road_cols]).reset_index(drop=True),
                            _count_by(causes, "road", bad_roads["road_id"])], axis=1)
    road_table = road_table.sort_values(["n_complaints", "road_id"], ascending=[False, True],
                                        ignore_index=True)
    dep_cols = [c for c in ("depression_id", "area_m2", "max_depth_m", "volume_m3")
                if c in depressions.columns]
    dep_table = pd.concat([pd.DataFrame(depressions[dep_cols]).reset_index(drop=True),
                           _count_by(causes, "depression", depressions["depression_id"])],
                          axis=1).sort_values(["n_complaints", "depression_id"],
                                              ascending=[False, True], ignore_index=True)

    share = _explained_share(order_layer, subs[tried] if subs is not None else None)
    rule_table = pd.DataFrame({
        "category": list(rules),
        "kinds": [";".join(k) for k in rules.values()],
        "rule": [" | then ".join(texts[x] for x in k) for k in rules.values()],
    })

    return CausesResult(
        causes=causes, links=links, orders=order_layer,
        permit_complaints=permit_table, applicant_complaints=applicants,
        road_complaints=road_table, depression_complaints=dep_table,
        explained_share=share, cause_rules=rule_table,
        permits=_with_counts(permits.astype({"permit_id": str}), permit_table, "permit_id"),
        roads=_with_counts(bad_roads, road_table, "road_id"),
        depressions=_with_counts(depressions, dep_table, "depression_id"),
        parameters=params, notes=notes)


def _with_counts(frame: gpd.GeoDataFrame, table: pd.DataFrame, key: str) -> gpd.GeoDataFrame:
    """``frame`` with the ``n_complaints`` and ``n_cases`` of ``table`` (joined on ``key``)."""
    n = table.assign(**{key: table[key].astype(str)}).set_index(key)[["n_complaints",
                                                                         "n_cases"]]
    return frame.assign(**{c: n[c].reindex(frame[key].astype(str)).to_numpy() for c in n})


def _explained_share(orders: gpd.GeoDataFrame, subs: np.ndarray | None) -> pd.DataFrame:
    """Per subdistrict (and the district) and category: orders, explained, share, by kind."""
    frame = pd.DataFrame({"category": orders["category"].to_numpy(),
                          "kind": orders["cause_kind"].to_numpy()})
    frame["subdistrict_id"] = subs if subs is not None else "district"
    both = [frame] if subs is None else [frame, frame.assign(subdistrict_id="district")]
    frame = pd.concat(both, ignore_index=True)
    frame["subdistrict_id"] = frame["subdistrict_id"].fillna("outside")
    cols = ["subdistrict_id", "category", "orders", "explained", "share",
            *[f"by_{k}" for k in CAUSE_KINDS]]
    if not len(frame):
        return pd.DataFrame(columns=cols)
    wide = pd.crosstab([frame["subdistrict_id"], frame["category"]], frame["kind"])
    for k in (*CAUSE_KINDS, "none"):
        if k not in wide:
            wide[k] = 0
    out = pd.DataFrame({"orders": wide.sum(axis=1)})
    out["explained"] = out["orders"] - wide["none"]
    out["share"] = (out["explained"] / out["orders"]).round(4)
    for k in CAUSE_KINDS:
        out[f"by_{k}"] = wide[k]
    return out.reset_index()[cols]
