"""folium elements the map builders use: compact data layers, legend, title box, assets.

Every element is a :class:`~yangpu_gis.maps.safe.SafeMacroElement`: its template is
autoescaped and rendered once; text that comes from data enters only through
:func:`~yangpu_gis.maps.safe.escape_html` (HTML) or :func:`~yangpu_gis.maps.safe.js_json`
(scripts).
"""

from __future__ import annotations

import folium
from branca.element import Element
from markupsafe import Markup

from . import assets
from .safe import SafeMacroElement, Template, escape_html, js_json

__all__ = ["CompactLayer", "HeadAssets", "Legend", "TitleBox"]

#: Styles of the title box, legend, popups and name labels.
MAP_CSS = """
<style>
.yp-title{position:absolute;top:10px;left:50%;transform:translateX(-50%);z-index:1000;
 background:rgba(255,255,255,.93);padding:6px 16px;border-radius:6px;
 box-shadow:0 1px 5px rgba(0,0,0,.35);text-align:center;pointer-events:none;
 font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif}
.yp-title h1{margin:0;font-size:20px;font-weight:700;color:#1a1a1a;letter-spacing:1px}
.yp-title .yp-sub{font-size:12px;color:#555;margin-top:2px}
.yp-legend{background:rgba(255,255,255,.94);padding:8px 10px;border-radius:6px;
 box-shadow:0 1px 5px rgba(0,0,0,.35);font:12px/1.5 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;
 max-height:calc(100vh - 140px);overflow-y:auto;min-width:120px;color:#222}
.yp-legend h4{margin:0 0 4px;font-size:13px}
.yp-legend .yp-sec{margin:2px 0 6px}
.yp-legend .yp-sec-title{font-weight:700;margin-top:4px}
.yp-legend .yp-item{display:flex;align-items:center;gap:6px;white-space:nowrap}
.yp-legend svg{flex:none}
.yp-popup table{border-collapse:collapse;font-size:12px}
.yp-popup th{text-align:left;color:#555;font-weight:400;padding:1px 8px 1px 0;white-space:nowrap}
.yp-popup td{padding:1px 0;word-break:break-all}
.yp-popup-title{font-weight:700;margin-bottom:4px}
.yp-table{border-collapse:collapse;font-size:12px;font-variant-numeric:tabular-nums}
.yp-table th,.yp-table td{padding:1px 5px;text-align:right;white-space:nowrap}
.yp-table th:first-child,.yp-table td:first-child{text-align:left;padding-left:0}
.yp-table thead th{border-bottom:1px solid #999;font-weight:700}
.yp-table tfoot td{border-top:1px solid #999;font-weight:700}
.yp-table .yp-zero{color:#aaa}
.yp-label{background:transparent;border:none;box-shadow:none;font-weight:700;font-size:13px;
 color:#333;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff}
.yp-label::before{display:none}
.leaflet-container{background:#eef0ec;font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif}
</style>
"""


class HeadAssets(Element):
    """Everything the ``<head>`` needs: library code (inlined offline), our runtime and CSS.

    Parameters
    ----------
    offline : bool
        Inline Leaflet (and markercluster when ``cluster``). Online, the map's own
        ``default_js``/``default_css`` link them from a CDN instead.
    cluster : bool
        Whether Leaflet.markercluster is needed.
    """

    def __init__(self, *, offline: bool, cluster: bool = False) -> None:
        super().__init__()
        self._name = "YangpuHeadAssets"
        self.offline = offline
        self.cluster = cluster

    def render(self, **kwargs) -> str:
        parts = []
        if self.offline:
            parts += [assets.inline_css("leaflet"), assets.inline_js("leaflet")]
            if self.cluster:
                parts += [assets.inline_css("markercluster"), assets.inline_js("markercluster")]
        parts += [MAP_CSS, assets.runtime_js()]
        return "\n".join(parts)


class CompactLayer(folium.map.Layer, SafeMacroElement):
    """An overlay drawn by the runtime from a compact payload (see :mod:`.encode`).

    Parameters
    ----------
    payload : dict
        The compact layer: geometry, class per feature, styles, popup columns.
    name : str
        Name in the layer switcher (plain text; escaped here, since Leaflet's switcher
        shows names as HTML).
    show : bool
        Shown on opening.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = yangpuLayer({{ this._parent.get_name() }}, {{ this.payload_js }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: dict, *, name: str, show: bool = True) -> None:
        folium.map.Layer.__init__(self, name=str(escape_html(name)), overlay=True, control=True,
                                  show=show)
        self._name = "YangpuLayer"
        self.payload_js = js_json(payload)


class TitleBox(SafeMacroElement):
    """A title box centred at the top of the map, with the data date below the title."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div class="yp-title" id="{{ this.get_name() }}"><h1>{{ this.title }}</h1>
        {%- if this.subtitle %}<div class="yp-sub">{{ this.subtitle }}</div>{% endif %}</div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.getContainer().appendChild(
            document.getElementById("{{ this.get_name() }}"));
        {% endmacro %}
        """
    )

    def __init__(self, title: str, subtitle: str | None = None) -> None:
        super().__init__()
        self._name = "TitleBox"
        self.title = escape_html(title)
        self.subtitle = escape_html(subtitle) if subtitle else None


class Legend(SafeMacroElement):
    """A Chinese legend, as a Leaflet control (bottom left unless told otherwise).

    Sections are added by each layer drawn; the HTML is in the page itself (not built by
    script), so it reads without JavaScript and tests can find it in the string. A second
    one with another ``heading`` and ``position`` serves as a panel of tables (the change
    map's summary per subdistrict).
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div class="yp-legend leaflet-control" id="{{ this.get_name() }}">
        <h4>{{ this.heading }}</h4>{{ this.body }}</div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var div = document.getElementById("{{ this.get_name() }}");
            var ctl = L.control({position: "{{ this.position }}"});
            ctl.onAdd = function () {
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            ctl.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    #: Corners a Leaflet control can take.
    POSITIONS = ("topleft", "topright", "bottomleft", "bottomright")

    def __init__(self, heading: str = "图例", *, position: str = "bottomleft") -> None:
        super().__init__()
        if position not in self.POSITIONS:
            raise ValueError(f"not a Leaflet control position: {position!r}")
        self._name = "Legend"
        self.heading = heading
        self.position = position
        self.sections: list[str] = []

    @property
    def body(self) -> Markup:
        # sections are built here from escaped parts (add_section, swatch)
        return Markup("\n".join(self.sections))

    def add_section(self, title: str, items: list[str], *, attrs: str = "") -> None:
        """Add a section; ``title`` is escaped, ``items`` are trusted HTML from :func:`swatch`.

        ``attrs`` is trusted attribute markup (`` data-x="…"``): build its values with
        :func:`~yangpu_gis.maps.safe.escape_html`.
        """
        self.sections.append(
            f'<div class="yp-sec"{attrs}><div class="yp-sec-title">{escape_html(title)}</div>'
            + "".join(items)
            + "</div>"
        )


def swatch(label: str, opts: dict, kind: str, *, radius: float | None = None) -> str:
    """One legend row: an SVG symbol drawn like the map draws it, then the label (escaped).

    Parameters
    ----------
    label : str
        Legend text.
    opts : dict
        Leaflet path options of the class (``color``, ``weight``, ``fillColor`` ...).
    kind : {"line", "area", "point"}
        Symbol shape.
    radius : float, optional
        Circle radius for point symbols (defaults to the class radius).
    """
    c, w = escape_html(opts["color"]), min(float(opts["weight"]), 6.0)
    dash = f' stroke-dasharray="{escape_html(opts["dashArray"])}"' if opts.get("dashArray") else ""
    fill, fo = escape_html(opts["fillColor"]), float(opts["fillOpacity"]) if opts["fill"] else 0
    if kind == "line":
        svg = (
            f'<svg width="28" height="14"><line x1="1" y1="7" x2="27" y2="7" stroke="{c}" '
            f'stroke-width="{w}"{dash}/></svg>'
        )
    elif kind == "point":
        r = min(radius if radius is not None else float(opts["radius"]), 16.0)
        size = int(2 * r + 4)
        svg = (
            f'<svg width="{max(size, 28)}" height="{size}"><circle cx="{max(size, 28) / 2}" '
            f'cy="{size / 2}" r="{r}" stroke="{c}" stroke-width="{min(w, 2)}" fill="{fill}" '
            f'fill-opacity="{fo}"/></svg>'
        )
    else:
        svg = (
            f'<svg width="28" height="16"><rect x="2" y="2" width="24" height="12" stroke="{c}" '
            f'stroke-width="{min(w, 3)}" fill="{fill}" fill-opacity="{max(fo, 0.0)}"{dash}/></svg>'
        )
    return f'<div class="yp-item">{svg}<span>{escape_html(label)}</span></div>'
