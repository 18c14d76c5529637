"""Commands on a registry's history: ``diff``, ``history`` and ``revert``.

Each is thin: it parses options, calls :meth:`Registry.diff`, :meth:`Registry.history` or
:meth:`Registry.revert`, and prints. Every data value reaches the terminal through
:mod:`yangpu_gis.terminal` (a road name ``[bold red]`` prints as written, an ANSI escape as
the visible text ``\\x1b``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..catalogue import get_layer
from ..output import check_target
from ..terminal import plain, say
from .common import (
    JsonOpt,
    OfflineOpt,
    RegistryOpt,
    errors_to_exit,
    open_cli_registry,
    out,
    print_json,
)

__all__ = ["DIFF_FORMATS", "diff", "history", "revert"]

#: What ``diff -o`` writes, by extension.
DIFF_FORMATS = {".html": "the change map", ".htm": "the change map",
                ".gpkg": "one row per change (GeoPackage)", ".csv": "one row per change (CSV)"}
#: Features listed in the text summary; ``--json`` and ``-o`` give all.
SHOWN = 50


def _text(value: Any) -> str:
    """A stored value as the summary shows it (missing: （空）)."""
    import pandas as pd

    if value is None or (not isinstance(value, list | dict) and pd.isna(value)):
        return "（空）"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _write_changes(reg, d, output: Path, suffix: str, offline: bool) -> None:
    """The change map (``.html``), or :meth:`LayerDiff.to_frame` through the export writer."""
    if suffix not in (".html", ".htm"):
        from ..registry.export import export_frame

        export_frame(reg, d.to_frame(), output, name=f"{d.layer}_changes")
        return
    from ..maps import save
    from ..maps.changes import changes_map

    # the --to state: its subdistricts for the summary, and the layer's unchanged features
    # drawn as context under the changes
    to = reg.at(d.to_batch) if d.to_batch else None
    subdistricts = to.read("subdistricts") if to is not None else None
    context = to.read(d.layer) if to is not None else None
    m = changes_map(d, subdistricts if subdistricts is not None and len(subdistricts) else None,
                    data_date=to.data_date() if to is not None else None, offline=offline,
                    context=context)
    save(m, output)


def diff(
    layer: Annotated[str, typer.Argument(help="Catalogue layer.")],
    from_batch: Annotated[str | None, typer.Option(
        "--from", metavar="BATCH|DATE", help="The earlier state: a batch id, or a date "
        "(2024-12-31: the end of that day, Asia/Shanghai) or time; 0 is the empty registry "
        "[default: the layer's delivery before --to].")] = None,
    to_batch: Annotated[str | None, typer.Option(
        "--to", metavar="BATCH|DATE", help="The later state [default: the layer's last "
        "delivery].")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Also write changes.html (the change map: added green, removed "
        "red, modified orange, per subdistrict), changes.gpkg or changes.csv (one row per "
        "change).")] = None,
    registry: RegistryOpt = None,
    offline: OfflineOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """What changed in a layer between two deliveries: added, removed and modified features,
    the changed fields (old → new) and how far geometries moved."""
    with errors_to_exit(as_json):
        suffix = None if output is None else check_target(
            output, tuple(DIFF_FORMATS), what="change list",
            example="changes.html").suffix.lower()
        with open_cli_registry(registry) as reg:
            d = reg.diff(layer, from_batch, to_batch)
            if output is not None:
                _write_changes(reg, d, output, suffix, offline)
        if as_json:
            print_json(d.as_dict())
            return
        _print_diff(d)
        if output is not None:
            say(out, "wrote {} to {}", DIFF_FORMATS[suffix], output)


def _state(batch: int) -> str:
    return "the empty registry (batch 0)" if batch == 0 else f"batch {batch}"


def _ids(values: list[Any]) -> str:
    shown = ", ".join(map(str, values[:SHOWN]))
    return shown + (f" … {len(values) - SHOWN:,} more" if len(values) > SHOWN else "")


def _print_diff(d) -> None:
    spec = get_layer(d.layer)
    c = d.counts
    say(out, "[bold]{}[/] ({}) from {} to {}: [green]{:,} added[/], [red]{:,} removed[/], "
        "[yellow]{:,} modified[/], {:,} unchanged", d.layer, spec.label, _state(d.from_batch),
        _state(d.to_batch), c["added"], c["removed"], c["modified"], c["unchanged"])
    idc = d.id_column
    if c["added"]:
        say(out, "  新增 added: {}", _ids(d.added[idc].tolist()))
    if c["removed"]:
        say(out, "  删除 removed: {}", _ids(d.removed[idc].tolist()))
    if not c["modified"]:
        return
    t = Table(title=plain(f"修改 modified ({c['modified']:,})"))
    for head in (f"{spec.labels().get(idc, idc)} {idc}", "字段 field", "原值 old", "新值 new",
                 "几何 geometry"):
        t.add_column(head, overflow="fold")  # a narrow terminal wraps values, never cuts them
    labels = d.labels
    for row in d.modified.head(SHOWN).itertuples(index=False):
        moved = (f"moved {row.hausdorff_m:,.2f} m (Hausdorff)"
                 if getattr(row, "geometry_changed", False) else "")
        fields = list(row.fields.items()) or [(None, None)]
        for i, (name, change) in enumerate(fields):
            field = "" if name is None else f"{labels.get(name, name)} {name}"
            old = "" if change is None else _text(change["old"])
            new = "" if change is None else _text(change["new"])
            t.add_row(plain(getattr(row, idc) if i == 0 else ""), plain(field), plain(old),
                      plain(new), plain(moved if i == 0 else ""))
    out.print(t)
    if c["modified"] > SHOWN:
        say(out, "  … {:,} more modified features (--json or -o changes.csv lists all)",
            c["modified"] - SHOWN)


def _versions_json(table, spec) -> list[dict[str, Any]]:
    """The versions as ``history --json`` prints them (see :func:`history`)."""
    import geopandas as gpd
    import shapely

    from ..registry.export import WKT_DECIMALS_DEGREES

    columns = [c for c in spec.column_names if c in table.columns]
    wkt: list[str | None] = [None] * len(table)
    if isinstance(table, gpd.GeoDataFrame) and spec.has_geometry:
        geoms = table.geometry.to_crs(4326).values
        wkt = [None if g is None else str(g) for g in shapely.to_wkt(
            geoms, rounding_precision=WKT_DECIMALS_DEGREES, trim=True)]
    rows = []
    for i, r in enumerate(table.to_dict(orient="records")):
        rows.append({"batch_id": r["batch_id"], "ended_batch": r["ended_batch"],
                     "valid_from": r["valid_from"], "valid_to": r["valid_to"],
                     "mode": r["mode"], "source": r["source"],
                     "values": {c: r[c] for c in columns}, "geometry_wkt": wkt[i]})
    return rows


def history(
    layer: Annotated[str, typer.Argument(help="Catalogue layer.")],
    feature_id: Annotated[str, typer.Argument(metavar="ID", help="The feature's id (the "
                                              "layer's id column, e.g. road_id).")],
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every version of one feature, oldest first: the load that made it, the load that
    ended it, and what changed from the version before.

    --json prints a list of versions, each with batch_id, ended_batch (null for the live
    version), valid_from, valid_to, mode and source of the creating load, values (the
    catalogue columns) and geometry_wkt (the geometry as WKT in lon/lat, EPSG:4326; null
    for a layer without geometry).
    """
    with errors_to_exit(as_json):
        spec = get_layer(layer)
        with open_cli_registry(registry) as reg:
            table = reg.history(layer, feature_id)
        if as_json:
            print_json(_versions_json(table, spec))
            return
        _print_history(table, spec, feature_id)


def _print_history(table, spec, feature_id: str) -> None:
    import pandas as pd

    from ..io.types import TIMEZONE
    from ..registry.history import changed_fields

    live = table["ended_batch"].isna().any()
    say(out, "[bold]{}[/] ({}) {} = {}: {} version(s){}", spec.name, spec.label,
        spec.id_column, feature_id, len(table), "" if live else ", ended (not in the layer now)")
    changes: list[str] = ["（首次）first version"]
    if len(table) > 1:
        old, new = table.iloc[:-1].reset_index(drop=True), table.iloc[1:].reset_index(drop=True)
        diffs = changed_fields(old, new, spec)
        labels = spec.labels()
        for i in range(len(new)):
            parts = [f"{labels.get(c, c)}: {_text(old.at[i, c])} → {_text(new.at[i, c])}"
                     for c, flags in diffs.items() if c != "geometry" and flags[i]]
            if "geometry" in diffs and diffs["geometry"][i]:
                parts.append("几何 geometry changed")
            changes.append("; ".join(parts) or "re-added unchanged")

    def when(value: Any) -> str:
        if value is None or pd.isna(value):
            return ""
        stamp = pd.Timestamp(value)
        return (stamp.tz_convert(TIMEZONE) if stamp.tzinfo else stamp).strftime("%Y-%m-%d %H:%M")

    t = Table()
    for head in ("批次 batch", "结束 ended by", "起 valid from", "止 valid to", "方式 mode",
                 "来源 source"):
        t.add_column(head)
    records = table.to_dict(orient="records")
    for r in records:
        ended = "" if pd.isna(r["ended_batch"]) else str(int(r["ended_batch"]))
        t.add_row(plain(r["batch_id"]), plain(ended), plain(when(r["valid_from"])),
                  plain(when(r["valid_to"])), plain(r["mode"]), plain(r["source"]))
    out.print(t)
    say(out, "变更 changes:")
    for r, change in zip(records, changes, strict=True):
        say(out, "  batch {}: {}", r["batch_id"], change)


def revert(
    batch: Annotated[int, typer.Argument(metavar="BATCH", help="The load to undo (an id from "
                                         "yangpu-gis batches).")],
    force: Annotated[bool, typer.Option(
        "--force", help="Also when later loads changed some of the same features: those go "
        "back to their state before BATCH too (the later changes stay in the history).")
    ] = False,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Undo one load: a new batch that restores every feature it added, changed or removed
    to its state before, all or nothing. Refused (registry unchanged) for a raster load or
    when later loads changed the same features, unless --force."""
    with errors_to_exit(as_json), open_cli_registry(registry) as reg:
        result = reg.revert(batch, force=force)
        if as_json:
            print_json(result.as_dict())
            return
        say(out, "[bold green]reverted[/] batch {} of [bold]{}[/]{}: new batch {}: {:,} added, "
            "{:,} modified, {:,} removed, {:,} unchanged in {:.2f} s", batch, result.layer,
            " (forced over later changes)" if result.details.get("forced") else "",
            result.batch_id, result.rows_inserted, result.rows_updated, result.rows_deleted,
            result.rows_unchanged, result.seconds)
