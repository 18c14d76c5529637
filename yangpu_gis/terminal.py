"""What the command line prints: the one boundary between data and the terminal.

Paths, layer values, error messages and every other piece of data are untrusted. They reach
the terminal only through :func:`say` (markup templates whose fields are escaped),
:func:`plain` (rich ``Text``, never parsed as markup, for table cells and labels) or
:func:`dumps` (strict JSON). Each of them also neutralises control characters: an ANSI escape
sequence in a road name is shown as the visible text ``\\x1b[2J``, it never clears the screen.
"""

from __future__ import annotations

import json
import math
import re
import string
from datetime import date, datetime
from typing import Any

__all__ = ["clean", "dumps", "escape", "jsonable", "markup", "plain", "say"]

# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI on some terminals),
# and the Unicode bidirectional overrides and isolates that reorder what a line shows.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: object) -> str:
    r"""``value`` as text with control characters shown as escapes (``\x1b``), never sent.

    Tabs and newlines are kept (multi-line messages and tables need them).

    Examples
    --------
    >>> clean("red\x1b[31m")
    'red\\x1b[31m'
    """
    return _CONTROL.sub(_visible, str(value))


def escape(value: object) -> str:
    """``value`` as rich markup that prints literally (:func:`clean`, then markup escaped).

    Examples
    --------
    >>> escape("[/x] [link=http://x]y[/link]")
    '\\\\[/x] \\\\[link=http://x]y\\\\[/link]'
    """
    # rich.markup.escape's rule (a backslash before each tag), without its extra backslash
    # after a trailing one: :func:`markup` doubles trailing backslashes only before a tag
    return _TAG.sub(lambda m: m.group(1) * 2 + "\\" + m.group(2), clean(value))


_TAG_AHEAD = re.compile(r"\\*\[[a-z#/@]")
_TRAILING_BACKSLASHES = re.compile(r"\\+$")


def markup(template: str, *args: Any, **kwargs: Any) -> str:
    """``template`` with its ``{}`` fields formatted, then escaped (see :func:`say`)."""
    formatter = string.Formatter()
    chunks: list[tuple[str, bool]] = []
    auto = 0
    for literal, name, spec, conversion in formatter.parse(template):
        if literal:
            chunks.append((literal, False))
        if name is None:
            continue
        if name == "":
            name, auto = str(auto), auto + 1
        value, _ = formatter.get_field(name, args, kwargs)
        value = formatter.convert_field(value, conversion)
        chunks.append((escape(format(value, spec or "")), True))
    # Backslashes at the end of a value escape a tag right after it: double them there, so
    # they print as themselves and the tag stays a tag.
    text = []
    for i, (chunk, is_field) in enumerate(chunks):
        ahead = chunks[i + 1][0] if i + 1 < len(chunks) else ""
        if is_field and _TAG_AHEAD.match(ahead):
            chunk = _TRAILING_BACKSLASHES.sub(lambda m: m.group() * 2, chunk)
        text.append(chunk)
    return "".join(text)


def say(console, template: str, *args: Any, **kwargs: Any) -> None:
    """Print ``template`` (constant rich markup) with ``{}`` fields filled by data, escaped.

    Parameters
    ----------
    console : rich.console.Console
    template : str
        Markup written in the code, never data: ``"[bold]{}[/] rows from {}"``. Format specs
        (``{:,}``, ``{:.2f}``) apply to the value before it is escaped.
    *args, **kwargs
        The data.

    Examples
    --------
    >>> from rich.console import Console
    >>> say(Console(width=80), "[bold]loaded[/] {} rows from {}", 3, "[/x].shp")
    loaded 3 rows from [/x].shp
    """
    console.print(markup(template, *args, **kwargs), markup=True, highlight=False,
                  soft_wrap=True)


def plain(value: object, style: str = ""):
    """A rich ``Text`` of ``value`` (cleaned; never parsed as markup): table cells, labels."""
    from rich.text import Text

    return Text(clean(value), style=style)


def jsonable(value: Any) -> Any:
    """``value`` with NaN, NaT, ``pd.NA`` and infinities as None, numpy scalars as Python ones,
    dates as ISO 8601 text, recursively (dicts, lists, tuples)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    try:
        import numpy as np
        import pandas as pd
    except ImportError:  # pragma: no cover - both are dependencies
        return str(value)
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return jsonable(value.item())
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return value.isoformat()
    return str(value)


def dumps(data: Any, *, indent: int | None = 2) -> str:
    """Strict JSON text of ``data`` (see :func:`jsonable`): never ``NaN``, never a raw control
    character (C1 controls and DEL are ``\\u``-escaped as well as C0 ones)."""
    text = json.dumps(jsonable(data), ensure_ascii=False, indent=indent, allow_nan=False)
    return re.sub("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]",
                  lambda m: f"\\u{ord(m.group()):04x}", text)
