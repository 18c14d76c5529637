"""The trust boundary of every HTML map: data is text, never template source or markup.

folium builds a page with branca: each element renders its Jinja template, and
``MacroElement.render`` then wraps the *rendered* text in ``branca.element.Element(text)``,
which compiles that text as a template again when the page is rendered. Any ``{{ … }}``,
``{% … %}`` or ``{# … #}`` in an attribute value (a road named ``{{ 7*7 }}``) would be
evaluated at that second pass — arbitrary code through Jinja's globals. This module closes
that path for every map the package draws, and gives the builders their only ways to put
data into a page:

* :func:`harden` swaps a figure's ``header``/``html``/``script`` sections for sections that
  keep every rendered fragment as :class:`RawHTML` (verbatim text, never compiled), so no
  element — ours or folium's (layer switcher, tiles, bounds) — is rendered twice.
  :func:`render_html` hardens and renders; :func:`yangpu_gis.maps.save` and every builder
  (through ``base.finalise``) use it.
* :class:`SafeMacroElement` is the base of the package's own elements: its template is
  compiled with HTML autoescaping (:func:`Template`) and its fragments go straight into
  :class:`RawHTML`.
* :func:`escape_html` is the one escaping helper for data in HTML text and attributes
  (``& < > " '`` and also ``{ }``, so escaped text is inert for Jinja as well);
* :func:`js_json` is the one way data enters a ``<script>``: JSON with ``<``, ``>``,
  U+2028/2029 and the braces inside strings as ``\\uXXXX`` escapes, so no value can close
  the script, open a comment, or form a Jinja tag.
"""

from __future__ import annotations

import html
import json
import re

from branca.element import Element, Figure, MacroElement
from folium.template import Template as _FoliumTemplate
from markupsafe import Markup

__all__ = [
    "RawHTML",
    "SafeMacroElement",
    "Template",
    "escape_html",
    "harden",
    "js_identifier",
    "js_json",
    "render_html",
]

_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})
_JINJA_OPENERS = ("{{", "{%", "{#")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def escape_html(value: object) -> Markup:
    """``value`` as HTML text, safe in element content and quoted attribute values.

    Escapes ``& < > " '`` and the braces (``&#123;`` / ``&#125;``): the browser shows the
    original text, and no template engine sees a tag in it.

    Examples
    --------
    >>> str(escape_html('"><svg/onload=alert(1)> {{ 7*7 }}'))
    '&quot;&gt;&lt;svg/onload=alert(1)&gt; &#123;&#123; 7*7 &#125;&#125;'
    """
    return Markup(html.escape(str(value), quote=True).translate(_BRACES))


def _inert_string(match: re.Match) -> str:
    return match.group(0).replace("{", "\\u007b").replace("}", "\\u007d")


def js_json(obj: object) -> Markup:
    """JSON for embedding in a ``<script>`` element (as a JavaScript expression).

    ``<`` and ``>`` become ``\\u003c``/``\\u003e`` (no ``</script>``, no ``<!--``; ``&`` means
    nothing inside a script element), U+2028/U+2029 are escaped, and braces inside strings become
    ``\\u007b``/``\\u007d``, so the text holds no ``{{``, ``{%`` or ``{#``. NaN and infinity
    are refused (``ValueError``): they are not JSON.

    Examples
    --------
    >>> str(js_json({"name": "</script><script>x()</script>", "t": "{{ 7*7 }}"}))
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ex()\\\\u003c/script\\\\u003e","t":"\\\\u007b\\\\u007b 7*7 \\\\u007d\\\\u007d"}'
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    # structural JSON never puts "{" before "{", "%" or "#": any opener is inside a string
    if any(o in text for o in _JINJA_OPENERS):
        text = _JSON_STRING.sub(_inert_string, text)
    return Markup(text)


_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def js_identifier(name: str) -> Markup:
    """``name`` (an element's ``get_name()``) as a JavaScript identifier; anything else is refused.

    Raises
    ------
    ValueError
        If ``name`` is not a plain identifier.
    """
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a JavaScript identifier: {name!r}")
    return Markup(name)


def Template(source: str) -> _FoliumTemplate:  # noqa: N802 - a drop-in for folium's class
    """A folium template compiled with HTML autoescaping.

    Variables that are not :class:`markupsafe.Markup` (from :func:`escape_html` or
    :func:`js_json`) are HTML-escaped when the template renders.
    """
    return _FoliumTemplate(source, autoescape=True)


class RawHTML(Element):
    """A fragment of a rendered page, written out verbatim (never compiled as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RawHTML"
        self.text = str(text)

    def render(self, **kwargs) -> str:
        return self.text


class _SafeSection(Element):
    """A figure section (``header``/``html``/``script``) that keeps fragments verbatim.

    ``MacroElement.render`` adds its rendered output as ``Element(text)``, which would
    compile ``text`` as a template; such children are stored as :class:`RawHTML` instead.
    """

    def __init__(self, section: Element) -> None:
        super().__init__()
        self._name, self._id, self._parent = section._name, section._id, section._parent
        for name, child in section._children.items():
            self.add_child(child, name=name)

    def add_child(self, child: Element, name: str | None = None, index: int | None = None):
        if type(child) is Element and child._template_str is not None:
            child = RawHTML(child._template_str)
        return super().add_child(child, name=name, index=index)


def harden(figure: Element) -> Element:
    """Make ``figure`` (a :class:`branca.element.Figure`) render each element exactly once.

    Idempotent; returns ``figure``. Elements that are not in a figure are left alone.
    """
    if not isinstance(figure, Figure):
        return figure
    for key in ("header", "html", "script"):
        section = getattr(figure, key, None)
        if section is None or isinstance(section, _SafeSection):
            continue
        safe = _SafeSection(section)
        setattr(figure, key, safe)
        figure._children[key] = safe
    return figure


def render_html(m: Element) -> str:
    """The whole page of ``m`` (a map or any element of one), rendered safely."""
    root = m.get_root()
    harden(root)
    return root.render()


class SafeMacroElement(MacroElement):
    """Base of the package's map elements: autoescaped template, fragments kept verbatim.

    Subclasses set ``_template = Template(...)`` (this module's) and expose data to it only
    as plain values (autoescaped), :func:`escape_html` or :func:`js_json` results.
    """

    _template = Template("")

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("a map element renders only inside a Figure")
        harden(figure)
        module = self._template.module.__dict__
        for key in ("header", "html", "script"):
            macro = module.get(key)
            if macro is not None:
                getattr(figure, key).add_child(RawHTML(macro(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)
