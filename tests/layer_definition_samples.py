"""The issue's railways example, as text and as data, and a small TOML writer for mutations."""

from __future__ import annotations

import copy
import json
from typing import Any

#: Issue 15, item 5, exactly as written there.
EXAMPLE = '''[layer]
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

[[column]]
name = "kind"
type = "str"
label = "类型"
required = true
allowed = ["rail", "subway", "light_rail", "tram"]
value_aliases = { "铁路" = "rail", "地铁" = "subway" }
aliases = ["railway"]
'''

GOOD: dict[str, Any] = {
    "layer": {"name": "railways", "label": "铁路", "geometry": ["LineString", "MultiLineString"],
              "id": "railway_id"},
    "column": [
        {"name": "railway_id", "type": "str", "label": "铁路编号", "required": True,
         "aliases": ["osm_id"]},
        {"name": "kind", "type": "str", "label": "类型", "required": True,
         "allowed": ["rail", "subway", "light_rail", "tram"],
         "value_aliases": {"铁路": "rail", "地铁": "subway"}, "aliases": ["railway"]},
        {"name": "length_km", "type": "float", "label": "长度(km)", "min": 0, "max": 100},
    ],
    "style": {"color": "#8B4513", "weight": 3, "dash": "6 4"},
}


def good() -> dict[str, Any]:
    """A fresh deep copy of :data:`GOOD`."""
    return copy.deepcopy(GOOD)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        # a JSON string is a TOML basic string, except that TOML also forbids a raw DEL
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_value(str(k))} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def to_toml(data: dict[str, Any]) -> str:
    """Write ``data`` (tables of scalars, lists and inline tables; lists of tables as
    ``[[name]]``) as TOML."""
    lines: list[str] = []
    scalars = {k: v for k, v in data.items()
               if not isinstance(v, dict) and not (isinstance(v, list) and v and all(
                   isinstance(t, dict) for t in v))}
    for k, v in scalars.items():
        lines.append(f"{_value(str(k))} = {_value(v)}")
    for k, v in data.items():
        if k in scalars:
            continue
        tables = v if isinstance(v, list) else [v]
        for t in tables:
            lines.append(f"[[{_value(str(k))}]]" if isinstance(v, list) else f"[{_value(str(k))}]")
            for kk, vv in t.items():
                lines.append(f"{_value(str(kk))} = {_value(vv)}")
            lines.append("")
    return "\n".join(lines) + "\n"
