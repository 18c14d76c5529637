"""Layers the district defines itself: a TOML definition, checked, turned into a catalogue layer.

A definition names the layer, its Chinese label, its geometry and its id column, then one
``[[column]]`` table per attribute, with the same rules a built-in layer has (types,
required, enumerations with Chinese value aliases, bounds, source-column aliases); an
optional ``[style]`` table says how maps draw it::

    [layer]
    name = "railways"
    label = "铁路"
    geometry = ["LineString", "MultiLineString"]
    id = "railway_id"

    [[column]]
    name = "railway_id"
    type = "str"
    label = "铁路编号"
    required = true
    aliases = ["osm_id"]

    [style]
    color = "#8B4513"

:func:`parse_definition` refuses anything doubtful, all problems at once, each naming the
file, the TOML key path (``field``, e.g. ``column[2].allowed``; columns count from 1 in
file order) and a fix: unknown keys (a typo must not pass silently), names that are not
``snake_case`` ASCII or that a built-in layer, a registry table or the storage already use,
duplicate columns, an id column that is not a required ``str``, unknown types, enumerations
that are not text, value aliases pointing outside the enumeration, ``min`` above ``max``,
colours that are not ``#rrggbb``. Labels are plain text: they may hold anything but control
characters, and every place that shows them (maps, terminal, SQL comments) escapes them.

Geometry names map to the catalogue's families: ``Point``/``MultiPoint`` -> ``Point``,
``LineString``/``MultiLineString`` -> ``LineString``, ``Polygon``/``MultiPolygon`` ->
``Polygon``. The families decide storage and checks exactly as for a built-in layer of the
same family (:mod:`yangpu_gis.io.geometry`): a line layer stores single lines, so a
single-part MultiLineString is converted by ``--repair`` and a multi-part one is refused
with the advice to split it (or merged when ``--repair`` can join its parts end to end).

The registry stores definitions (``yangpu_layer_definitions``) and registers them into
:data:`yangpu_gis.catalogue.CATALOGUE` when it is opened; definitions shipped with the
package (:func:`shipped_definitions`) are added with ``yangpu-gis catalogue add NAME``.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalogue import BUILTIN_LAYERS, COLUMN_TYPES, Column, Layer
from .errors import Problem, ValidationError

__all__ = [
    "GEOMETRY_FAMILIES",
    "LayerDefinition",
    "REGISTRY_PREFIXES",
    "RESERVED_COLUMNS",
    "SHIPPED_DIR",
    "layer_as_dict",
    "parse_definition",
    "read_definition",
    "resolve_definition",
    "shipped_definitions",
]

#: Geometry names a definition may give, and the catalogue family each stands for.
GEOMETRY_FAMILIES: dict[str, str] = {
    "Point": "Point",
    "MultiPoint": "Point",
    "LineString": "LineString",
    "MultiLineString": "LineString",
    "Polygon": "Polygon",
    "MultiPolygon": "Polygon",
}
#: Prefixes of the registry's own tables and of GeoPackage/SQLite/PostGIS system tables.
REGISTRY_PREFIXES = ("yangpu_", "raster_", "gpkg_", "rtree_", "sqlite_")
#: Column names the storage uses itself.
RESERVED_COLUMNS = frozenset({"batch_id", "ended_batch", "geom", "geometry", "fid"})
#: Where the shipped definitions live (package data).
SHIPPED_DIR = Path(__file__).resolve().parent / "shipped_layers"

_NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_DASH = re.compile(r"\d{1,3}(?: \d{1,3}){0,7}")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_TOML_LINE = re.compile(r"at line (\d+)")

_TOP_KEYS = ("layer", "column", "style")
_LAYER_KEYS = ("name", "label", "geometry", "id")
_COLUMN_KEYS = ("name", "type", "label", "required", "allowed", "value_aliases", "min", "max",
                "aliases")
#: ``[style]`` keys: (kind, low, high) for numbers.
_STYLE_KEYS: dict[str, tuple[str, float, float]] = {
    "color": ("colour", 0, 0),
    "fill_color": ("colour", 0, 0),
    "weight": ("number", 0.1, 20),
    "fill_opacity": ("number", 0, 1),
    "opacity": ("number", 0, 1),
    "radius": ("number", 1, 50),
    "dash": ("dash", 0, 0),
}
#: Limits that keep a hostile definition small.
MAX_TEXT_BYTES = 256 * 1024
MAX_COLUMNS = 200
MAX_VALUES = 500
MAX_TEXT = 200


@dataclass(frozen=True)
class LayerDefinition:
    """A checked definition: the catalogue layer, and the TOML text it came from.

    Attributes
    ----------
    layer : Layer
    text : str
        The definition as written (stored in the registry as given).
    sha256 : str
        Of ``text`` in UTF-8.
    source : str
        The file (or ``<text>``), for messages.
    """

    layer: Layer
    text: str
    sha256: str
    source: str


class _Checker:
    """Collects problems with key paths while a definition is read."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, message: str, hint: str) -> None:
        self.problems.append(Problem(message, field=where, hint=hint))

    def unknown_keys(self, table: dict, allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in allowed:
                path = f"{where}.{key}" if where else str(key)
                self.add(path, f"unknown key {str(key)[:60]!r}",
                         "allowed here: " + ", ".join(allowed) + " (check the spelling)")

    def text(self, table: dict, key: str, where: str, *, required: bool = True,
             what: str = "text") -> str | None:
        path = f"{where}.{key}"
        if key not in table:
            if required:
                self.add(path, f"missing {key}", f"add {key} = \"…\" ({what})")
            return None
        value = table[key]
        if not isinstance(value, str):
            self.add(path, f"{key} must be a string, not {_kind(value)}",
                     f"write {key} = \"…\" ({what})")
            return None
        return value if self.plain(value, path, key) else None

    def plain(self, value: str, path: str, key: str) -> bool:
        if not value.strip():
            self.add(path, f"{key} is empty", f"give {key} a value")
            return False
        if len(value) > MAX_TEXT:
            self.add(path, f"{key} is longer than {MAX_TEXT} characters",
                     "shorten it")
            return False
        if _CONTROL.search(value):
            self.add(path, f"{key} holds control characters", "remove them (plain text only)")
            return False
        return True

    def name(self, table: dict, key: str, where: str, what: str) -> str | None:
        value = self.text(table, key, where, what=f"the {what}'s name")
        if value is None:
            return None
        path = f"{where}.{key}"
        if not _NAME.fullmatch(value):
            self.add(path, f"{what} name {value[:60]!r} is not lower-case ASCII snake_case "
                     "of at most 41 characters", "use a-z, 0-9 and _, starting with a letter "
                     "(e.g. bike_parking_zones)")
            return None
        return value

    def strings(self, table: dict, key: str, where: str, *, limit: int = MAX_VALUES
                ) -> list[str] | None:
        path = f"{where}.{key}"
        value = table.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(path, f"{key} must be a list of strings", f'write {key} = ["…", "…"]')
            return None
        if len(value) > limit:
            self.add(path, f"{key} lists more than {limit} entries", "shorten the list")
            return None
        if not all(self.plain(v, path, key) for v in value):
            return None
        seen: set[str] = set()
        dup = [v for v in value if v.lower() in seen or seen.add(v.lower())]
        if dup:
            self.add(path, f"{key} lists {dup[0]!r} twice", "remove the repeated entry")
            return None
        return value


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_definition(text: str, source: str = "<text>") -> LayerDefinition:
    """Check a TOML layer definition and turn it into a catalogue :class:`~.catalogue.Layer`.

    Parameters
    ----------
    text : str
        The TOML text.
    source : str
        The file it came from, for messages.

    Returns
    -------
    LayerDefinition

    Raises
    ------
    ValidationError
        Listing every problem, each with its TOML key path as ``field`` and a fix; a TOML
        syntax error names the line.

    Examples
    --------
    >>> d = parse_definition('''
    ... [layer]
    ... name = "bike_docks"
    ... label = "单车桩"
    ... geometry = ["Point"]
    ... id = "dock_id"
    ... [[column]]
    ... name = "dock_id"
    ... type = "str"
    ... label = "编号"
    ... required = true
    ... ''')
    >>> d.layer.name, d.layer.geometry, d.layer.column_names
    ('bike_docks', ('Point',), ['dock_id'])
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise ValidationError(f"the definition is larger than {MAX_TEXT_BYTES // 1024} KiB",
                              source=source, hint="a layer definition is a short TOML file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        where = f" on line {found.group(1)}" if found else ""
        raise ValidationError(
            f"not valid TOML{where}: {exc}", source=source,
            hint="fix the syntax there (strings in double quotes, one key = value per line, "
            "[layer] and [[column]] headers)") from None
    check = _Checker()
    check.unknown_keys(data, _TOP_KEYS, "")
    layer = data.get("layer")
    if not isinstance(layer, dict):
        check.add("layer", "missing [layer] table" if layer is None else
                  "layer must be a table", "start the file with [layer] and its name, label, "
                  "geometry and id")
        layer = {}
    check.unknown_keys(layer, _LAYER_KEYS, "layer")
    name = check.name(layer, "name", "layer", "layer")
    if name is not None:
        if name in BUILTIN_LAYERS:
            check.add("layer.name", f"{name!r} is a built-in layer",
                      "give your layer another name; the built-in one is already there")
        elif name.startswith(REGISTRY_PREFIXES):
            check.add("layer.name", f"{name!r} starts with {name.split('_')[0]}_, which the "
                      "registry's own tables use", "choose a name without that prefix")
    label = check.text(layer, "label", "layer", what="the Chinese display name, e.g. 铁路")
    geometry = _geometry(check, layer)

    columns = _columns(check, data)
    names = [c.name for c in columns]
    id_column = check.name(layer, "id", "layer", "id column")
    if id_column is not None and "column" in data:
        if id_column not in names:
            check.add("layer.id", f"the id column {id_column!r} is not one of the columns",
                      "add a [[column]] with that name, type = \"str\", required = true")
        else:
            col = columns[names.index(id_column)]
            if col.type != "str" or not col.required:
                check.add("layer.id", f"the id column {id_column!r} must be a required str",
                          f'give column {id_column} type = "str" and required = true')
    style = _style(check, data)
    if check.problems:
        n = len(check.problems)
        raise ValidationError(
            f"{n} problem{'s' if n != 1 else ''} in the layer definition; nothing was "
            "registered", source=source, problems=check.problems,
            hint="fix each key named above (yangpu-gis catalogue show railways shows a "
            "definition that works)")
    if id_column != names[0]:  # the id column first, as in the built-in layers
        columns.insert(0, columns.pop(names.index(id_column)))
    spec = Layer(name, label, geometry, id_column, tuple(columns), style=style)
    return LayerDefinition(spec, text, hashlib.sha256(text.encode("utf-8")).hexdigest(), source)


def _geometry(check: _Checker, layer: dict) -> tuple[str, ...]:
    hint = ("list one or more of " + ", ".join(GEOMETRY_FAMILIES)
            + ', e.g. geometry = ["LineString", "MultiLineString"]')
    if "geometry" not in layer:
        check.add("layer.geometry", "missing geometry", hint)
        return ()
    value = layer["geometry"]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        check.add("layer.geometry", "geometry must be a non-empty list of geometry names", hint)
        return ()
    unknown = [v for v in value if v not in GEOMETRY_FAMILIES]
    if unknown:
        check.add("layer.geometry", f"unknown geometry {unknown[0][:40]!r}", hint)
        return ()
    families: list[str] = []
    for v in value:
        if GEOMETRY_FAMILIES[v] not in families:
            families.append(GEOMETRY_FAMILIES[v])
    return tuple(families)


def _columns(check: _Checker, data: dict) -> list[Column]:
    tables = data.get("column")
    if tables is None:
        check.add("column", "no [[column]] tables", "add one [[column]] table per attribute, "
                  "the id column first")
        return []
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        check.add("column", "column must be [[column]] tables", "write each column as a "
                  "[[column]] table with name, type and label")
        return []
    if len(tables) > MAX_COLUMNS:
        check.add("column", f"more than {MAX_COLUMNS} columns", "split the layer")
        return []
    out: list[Column] = []
    seen: dict[str, str] = {}  # lower-cased name or alias -> the column that has it
    for i, table in enumerate(tables, start=1):
        where = f"column[{i}]"
        before = len(check.problems)
        check.unknown_keys(table, _COLUMN_KEYS, where)
        name = check.name(table, "name", where, "column")
        if name is not None and name in RESERVED_COLUMNS:
            check.add(f"{where}.name", f"{name!r} is a name the storage uses itself",
                      "choose another name (reserved: " + ", ".join(sorted(RESERVED_COLUMNS))
                      + ")")
            name = None
        if name is not None and name in [c.name for c in out]:
            check.add(f"{where}.name", f"column {name!r} is defined twice",
                      "remove or rename the second one")
            name = None
        type_ = table.get("type")
        if type_ not in COLUMN_TYPES:
            check.add(f"{where}.type", "missing type" if type_ is None else
                      f"unknown type {str(type_)[:40]!r}", "type is one of "
                      + ", ".join(COLUMN_TYPES))
            type_ = None
        label = check.text(table, "label", where, what="the Chinese display name")
        required = table.get("required", False)
        if not isinstance(required, bool):
            check.add(f"{where}.required", "required must be true or false",
                      "write required = true (or leave it out)")
        kwargs: dict[str, Any] = {}
        if "allowed" in table:
            allowed = check.strings(table, "allowed", where)
            if allowed is not None and type_ not in (None, "str"):
                check.add(f"{where}.allowed", f"an enumeration needs type \"str\", not {type_}",
                          'set type = "str", or use min and max for numbers')
            elif allowed is not None and not allowed:
                check.add(f"{where}.allowed", "allowed is empty", "list the allowed values")
            elif allowed is not None:
                kwargs["allowed"] = tuple(allowed)
        if "value_aliases" in table:
            kwargs["value_aliases"] = _value_aliases(check, table, where,
                                                     kwargs.get("allowed"))
        for key in ("min", "max"):
            if key in table:
                if not _number(table[key]):
                    check.add(f"{where}.{key}", f"{key} must be a finite number",
                              f"write {key} = 0 (a number, no quotes)")
                elif type_ not in (None, "int", "float"):
                    check.add(f"{where}.{key}", f"{key} applies to int and float columns, not "
                              f"{type_}", f"remove {key}, or make the column a number")
                else:
                    kwargs[key] = float(table[key])
        if kwargs.get("min", -math.inf) > kwargs.get("max", math.inf):
            check.add(f"{where}.min", f"min ({kwargs['min']:g}) is above max "
                      f"({kwargs['max']:g})", "swap them")
        aliases = check.strings(table, "aliases", where, limit=50) if "aliases" in table else []
        for alias in [name, *(aliases or [])]:
            if alias is None:
                continue
            other = seen.get(alias.lower())
            if other is not None and other != name:
                check.add(f"{where}.aliases" if alias != name else f"{where}.name",
                          f"{alias!r} already names column {other} (source columns are "
                          "matched ignoring case)", "give each source name to one column only")
            seen.setdefault(alias.lower(), name or "?")
        if len(check.problems) == before:
            out.append(Column(name, type_, label, required=required,
                              aliases=tuple(aliases or ()), **kwargs))
    return out


def _value_aliases(check: _Checker, table: dict, where: str,
                   allowed: tuple[str, ...] | None) -> dict[str, str]:
    path = f"{where}.value_aliases"
    value = table["value_aliases"]
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        check.add(path, "value_aliases must be a table of source value = allowed value",
                  'write value_aliases = { "地铁" = "subway" }')
        return {}
    if allowed is None:
        check.add(path, "value_aliases needs an allowed list to point into",
                  'add allowed = ["…"] with the values the aliases stand for')
        return {}
    if len(value) > MAX_VALUES:
        check.add(path, f"more than {MAX_VALUES} value aliases", "shorten the table")
        return {}
    out: dict[str, str] = {}
    for key, target in value.items():
        if not check.plain(key, path, "a value alias"):
            continue
        if key.lower() in {a.lower() for a in allowed} and key.lower() != target.lower():
            check.add(path, f"{key!r} is itself an allowed value; it cannot stand for "
                      f"{target[:60]!r}", "remove this alias")
            continue
        if target not in allowed:
            check.add(path, f"{key!r} stands for {target[:60]!r}, which is not allowed",
                      "point it to one of: " + ", ".join(allowed))
            continue
        out[key] = target
    return out


def _style(check: _Checker, data: dict) -> dict[str, Any] | None:
    if "style" not in data:
        return None
    style = data["style"]
    if not isinstance(style, dict):
        check.add("style", "style must be a table", 'write [style] and color = "#8B4513"')
        return None
    check.unknown_keys(style, tuple(_STYLE_KEYS), "style")
    out: dict[str, Any] = {}
    for key, (kind, low, high) in _STYLE_KEYS.items():
        if key not in style:
            continue
        value, path = style[key], f"style.{key}"
        if kind == "colour":
            if not isinstance(value, str) or not _COLOUR.fullmatch(value):
                check.add(path, f"{key} must be a colour #rrggbb", f'write {key} = "#8B4513"')
                continue
            out[key] = value.lower()
        elif kind == "dash":
            if not isinstance(value, str) or not _DASH.fullmatch(value):
                check.add(path, "dash must be lengths in pixels separated by spaces",
                          'write dash = "6 4"')
                continue
            out[key] = value
        else:
            if not _number(value) or not low <= value <= high:
                check.add(path, f"{key} must be a number from {low:g} to {high:g}",
                          f"write {key} = {high if high <= 1 else low + 1:g}")
                continue
            out[key] = float(value)
    return out


def read_definition(path: str | Path) -> LayerDefinition:
    """Read and check a definition file (see :func:`parse_definition`).

    Raises
    ------
    ValidationError
        For a file that cannot be read, is not UTF-8, or does not define a layer.
    """
    p = Path(path)
    try:
        if p.stat().st_size > MAX_TEXT_BYTES:
            raise ValidationError(f"the definition is larger than {MAX_TEXT_BYTES // 1024} KiB",
                                  source=str(p), hint="a layer definition is a short TOML file")
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"not UTF-8 text (byte {exc.start + 1} does not decode)",
                              source=str(p), hint="save the file as UTF-8") from None
    except OSError as exc:
        raise ValidationError(f"cannot read the definition: {exc.strerror or exc}",
                              source=str(p), hint="check the path") from None
    return parse_definition(text.removeprefix("\ufeff"), str(p))


def shipped_definitions() -> dict[str, Path]:
    """The definitions shipped with the package, by layer name (file ``<name>.toml``).

    Examples
    --------
    >>> "railways" in shipped_definitions()
    True
    """
    return {p.stem: p for p in sorted(SHIPPED_DIR.glob("*.toml"))}


def resolve_definition(source: str | Path) -> LayerDefinition:
    """A definition from a file, a shipped name (``railways``) or TOML text.

    A :class:`~pathlib.Path` is a file; a string is TOML text if it holds a line break,
    the name of a shipped definition if it is one, and a file otherwise.

    Raises
    ------
    ValidationError
        As :func:`read_definition` and :func:`parse_definition`; for a string that is
        neither a file nor a shipped name, the hint lists the shipped names.
    """
    if isinstance(source, Path):
        return read_definition(source)
    if "\n" in source:
        return parse_definition(source)
    shipped = shipped_definitions()
    if source in shipped and not Path(source).exists():
        return read_definition(shipped[source])
    if not Path(source).exists():
        raise ValidationError(f"{source!r} is neither a definition file nor a shipped "
                              "definition", source=source,
                              hint="give a .toml file, or one of: " + ", ".join(shipped))
    return read_definition(source)


def layer_as_dict(layer: Layer) -> dict[str, Any]:
    """A catalogue layer as JSON-ready data (``catalogue show --json``).

    Examples
    --------
    >>> from yangpu_gis.catalogue import get_layer
    >>> layer_as_dict(get_layer("roads"))["columns"][0]["name"]
    'road_id'
    """
    return {
        "name": layer.name,
        "label": layer.label,
        "geometry": list(layer.geometry),
        "storage_geometry": layer.storage_geometry,
        "id": layer.id_column,
        "columns": [
            {"name": c.name, "type": c.type, "label": c.label, "required": c.required,
             "allowed": list(c.allowed) if c.allowed else None,
             "value_aliases": dict(c.value_aliases), "min": c.min, "max": c.max,
             "aliases": list(c.aliases)}
            for c in layer.columns
        ],
        "style": dict(layer.style) if layer.style is not None else None,
    }
