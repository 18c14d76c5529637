"""``yangpu-gis catalogue add | list | show``: the layers a registry knows, and the district's own.

``add`` stores a layer definition (a TOML file, or the name of one shipped with the package)
in the registry; ``list`` shows the built-in layers, those this registry defines and the
shipped definitions not added yet; ``show`` prints one layer's columns and rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..catalogue import BUILTIN_LAYERS, CATALOGUE, Layer
from ..errors import ValidationError
from ..layer_definitions import layer_as_dict, read_definition, shipped_definitions
from ..terminal import plain, say
from .common import JsonOpt, RegistryOpt, errors_to_exit, open_cli_registry, out, print_json

__all__ = ["add", "list_layers", "show"]

BUILT_IN = "built-in"
REGISTERED = "registered"
SHIPPED = "shipped, not added"


def add(
    definition: Annotated[str, typer.Argument(help="A layer definition file (.toml), or the name of a shipped definition (yangpu-gis catalogue list).")],
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a layer the district defines to the registry (stored in the registry itself)."""
    with errors_to_exit(as_json), open_cli_registry(registry, create=True) as reg:
        before = reg.definitions.stored()
        layer = reg.add_layer_definition(Path(definition) if definition.endswith(".toml")
                                         or Path(definition).exists() else definition)
        added = layer.name not in before
        if as_json:
            print_json({"layer": layer.name, "added": added, "registry": reg.target,
                        "definition": layer_as_dict(layer)})
            return
        if added:
            say(out, "[bold green]added[/] layer [bold]{}[/] ({}) to {}: {} columns, {}",
                layer.name, layer.label, reg.target, len(layer.columns),
                " or ".join(layer.geometry))
            say(out, "  load it with: yangpu-gis load FILE --layer {}", layer.name)
        else:
            say(out, "{} already holds this definition of layer {}; nothing changed", reg.target,
                layer.name)


def _rows(reg) -> list[dict]:
    stored = reg.definitions.stored()
    rows = []
    for name, layer in CATALOGUE.items():
        if name in BUILTIN_LAYERS:
            origin = BUILT_IN
        elif name in stored:
            origin = REGISTERED
        else:
            continue  # registered in this process by another registry
        rows.append(_row(layer, origin))
    for name, path in shipped_definitions().items():
        if name not in stored:
            rows.append(_row(read_definition(path).layer, SHIPPED))
    return rows


def _row(layer: Layer, origin: str) -> dict:
    return {"layer": layer.name, "label": layer.label,
            "geometry": " | ".join(layer.geometry) or "None", "columns": len(layer.columns),
            "origin": origin}


def list_layers(registry: RegistryOpt = None, as_json: JsonOpt = False) -> None:
    """The built-in layers, the layers this registry defines, and the shipped definitions
    not added yet."""
    with errors_to_exit(as_json), open_cli_registry(registry) as reg:
        rows = _rows(reg)
        if as_json:
            print_json(rows)
            return
        t = Table(title=plain(reg.target))
        for c in ("layer", "图层", "geometry", "columns", "origin"):
            t.add_column(c, justify="right" if c == "columns" else "left")
        for r in rows:
            t.add_row(plain(r["layer"]), plain(r["label"]), plain(r["geometry"]),
                      plain(str(r["columns"])), plain(r["origin"]))
        out.print(t)
        if any(r["origin"] == SHIPPED for r in rows):
            say(out, "add a shipped one with: yangpu-gis catalogue add NAME")


def show(
    name: Annotated[str, typer.Argument(help="A layer name (built-in, registered or shipped).")],
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One layer's columns: type, required, allowed values, value and column aliases."""
    with errors_to_exit(as_json), open_cli_registry(registry) as reg:
        stored = reg.definitions.stored()
        shipped = shipped_definitions()
        if name in CATALOGUE and (name in BUILTIN_LAYERS or name in stored):
            layer, origin = CATALOGUE[name], BUILT_IN if name in BUILTIN_LAYERS else REGISTERED
        elif name in shipped:
            layer, origin = read_definition(shipped[name]).layer, SHIPPED
        else:
            known = [n for n in CATALOGUE if n in BUILTIN_LAYERS or n in stored]
            raise ValidationError(f"no layer {name!r} in the catalogue, this registry or the "
                                  "shipped definitions", hint="layers: "
                                  + ", ".join([*known, *(n for n in shipped if n not in known)]))
        data = {**layer_as_dict(layer), "origin": origin}
        if as_json:
            print_json(data)
            return
        say(out, "[bold]{}[/] {} ({}): {}, id {}", layer.name, layer.label, origin,
            " or ".join(layer.geometry) or "no geometry", layer.id_column)
        t = Table()
        for c in ("column", "名称", "type", "required", "allowed", "aliases"):
            t.add_column(c)
        for c in data["columns"]:
            allowed = ", ".join(c["allowed"] or [])
            if c["value_aliases"]:
                allowed += " (" + ", ".join(f"{k}→{v}" for k, v in c["value_aliases"].items()) \
                    + ")"
            if c["min"] is not None or c["max"] is not None:
                low = "-∞" if c["min"] is None else f"{c['min']:g}"
                high = "∞" if c["max"] is None else f"{c['max']:g}"
                allowed = f"[{low}, {high}]"
            t.add_row(plain(c["name"]), plain(c["label"]), plain(c["type"]),
                      plain("yes" if c["required"] else ""), plain(allowed),
                      plain(", ".join(c["aliases"])))
        out.print(t)
