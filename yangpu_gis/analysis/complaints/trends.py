"""Trends: cases per week, subdistrict and category; handling times of work orders."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .common import as_datetime

__all__ = ["handling_times", "weekly_trends"]


def weekly_trends(cases: pd.DataFrame) -> pd.DataFrame:
    """Cases (and the orders merged into them) per week, subdistrict and category.

    Parameters
    ----------
    cases : DataFrame
        ``first_received_at, category, n_orders, subdistrict_id``.

    Returns
    -------
    DataFrame
        ``week_start`` (Monday, ``YYYY-MM-DD``, Asia/Shanghai), ``subdistrict_id``
        (``unknown`` outside every subdistrict), ``category, n_cases, n_orders``.
    """
    cols = ["week_start", "subdistrict_id", "category", "n_cases", "n_orders"]
    if not len(cases):
        return pd.DataFrame(columns=cols)
    when = as_datetime(cases["first_received_at"]).dt.tz_localize(None)
    frame = pd.DataFrame({
        "week_start": when.dt.to_period("W-SUN").dt.start_time.dt.strftime("%Y-%m-%d"),
        "subdistrict_id": cases["subdistrict_id"].astype("string").fillna("unknown").to_numpy(),
        "category": cases["category"].astype(str).to_numpy(),
        "n_orders": cases["n_orders"].to_numpy() if "n_orders" in cases.columns else 1,
    })
    g = frame.groupby(["week_start", "subdistrict_id", "category"], sort=True)
    return pd.DataFrame({"n_cases": g.size(), "n_orders": g["n_orders"].sum()}).reset_index()[cols]


def handling_times(
    orders: pd.DataFrame,
    order_cases: pd.DataFrame | None = None,
    cases: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Handling time (received → closed, hours) of work orders with a closing time.

    Parameters
    ----------
    orders : DataFrame
        ``complaint_id, received_at, category``, optional ``closed_at``.
    order_cases, cases : DataFrame, optional
        :attr:`MergeResult.orders` and :attr:`MergeResult.cases`: give each order its case's
        subdistrict.

    Returns
    -------
    DataFrame
        ``subdistrict_id, category, n_orders, n_closed, median_hours, mean_hours,
        p90_hours``; the row ``subdistrict_id = "all"`` sums each category over the
        district. Orders closed before they were received are left out of the times.
    """
    cols = ["subdistrict_id", "category", "n_orders", "n_closed", "median_hours",
            "mean_hours", "p90_hours"]
    if not len(orders):
        return pd.DataFrame(columns=cols)
    received = as_datetime(orders["received_at"]).reset_index(drop=True)
    if "closed_at" in orders.columns and orders["closed_at"].notna().any():
        closed = as_datetime(orders["closed_at"]).reset_index(drop=True)
        hours = (closed - received).dt.total_seconds().to_numpy() / 3600.0
    else:
        hours = np.full(len(orders), np.nan)
    hours = np.where(hours >= 0, hours, np.nan)
    sub = np.full(len(orders), "unknown", dtype=object)
    if order_cases is not None and cases is not None:
        case_sub = cases.set_index("case_id")["subdistrict_id"].astype("string").fillna("unknown")
        by_order = order_cases.set_index("complaint_id")["case_id"].map(case_sub)
        sub = by_order.reindex(orders["complaint_id"].astype(str).to_numpy()).fillna(
            "unknown").to_numpy(dtype=object)
    frame = pd.DataFrame({"subdistrict_id": sub,
                          "category": orders["category"].astype(str).to_numpy(),
                          "hours": hours})
    both = pd.concat([frame, frame.assign(subdistrict_id="all")], ignore_index=True)
    g = both.groupby(["subdistrict_id", "category"], sort=True)["hours"]
    out = pd.DataFrame({
        "n_orders": g.size(), "n_closed": g.count(), "median_hours": g.median(),
        "mean_hours": g.mean(), "p90_hours": g.quantile(0.9),
    }).reset_index()
    return out[cols].round({"median_hours": 2, "mean_hours": 2, "p90_hours": 2})
