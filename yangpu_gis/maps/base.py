"""The map frame: basemaps, title, legend, layer switcher, assets, fit to bounds, saving.

A map made here carries a small :class:`MapState` (``m._yangpu``) so that layers added to
it later (``layer_map(..., m=m)``) are shifted to GCJ-02 when the basemap needs it, share
one legend, and extend the bounds the map opens on.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import folium
from branca.element import CssLink, JavascriptLink
from folium.map import FitBounds, LayerControl

from .. import settings
from ..errors import ValidationError
from ..io.district import current_district, district_bounds_lonlat, district_title
from ..output import write_atomic
from . import assets
from .elements import HeadAssets, Legend, TitleBox
from .safe import harden, render_html

__all__ = ["AMAP_TILES", "MapState", "new_map", "save"]

#: Amap/Gaode road map tiles (GCJ-02), subdomains 1-4.
AMAP_TILES = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}"
)
AMAP_ATTRIBUTION = "© 高德地图"


def _district_centre() -> tuple[float, float]:
    """Where a map opens before it is fitted to its data: the district's centre (lat, lon):
    the active registry's recorded district, else ``settings.district_bounds_lonlat``, read
    when the map is made."""
    minx, miny, maxx, maxy = district_bounds_lonlat()
    return (miny + maxy) / 2, (minx + maxx) / 2


@dataclass
class MapState:
    """What the builders remember about a map between calls."""

    offline: bool
    shift: str | None
    legend: Legend
    bounds: list[float] | None = None  # minx, miny, maxx, maxy (display lon/lat)
    cluster: bool = False
    title: TitleBox | None = None
    layer_names: list[str] = field(default_factory=list)


def _resolve_basemap(basemap: str | None, offline: bool) -> str:
    if basemap is None:
        basemap = "none" if offline else settings.default_tiles
    key = basemap.strip()
    if key.lower() in {"openstreetmap", "osm"}:
        key = "osm"
    elif key.lower() in {"amap", "gaode", "autonavi"}:
        key = "amap"
    elif key.lower() in {"none", ""}:
        key = "none"
    else:
        check_tile_url(key)
    if offline and key != "none":
        warnings.warn(
            f"offline map: basemap {basemap!r} ignored (tiles need the network); "
            "the district's own layers serve as the base",
            stacklevel=3,
        )
        key = "none"
    return key


def check_tile_url(url: str) -> str:
    """Refuse a basemap that is not an ``http(s)`` tile URL template with ``{z}/{x}/{y}``.

    The template goes into the page as the tiles' image address; anything else (a
    ``javascript:`` or ``data:`` URL, a file path, a typo) is refused rather than drawn.

    Raises
    ------
    ValidationError
        If ``url`` is not such a template.
    """
    from urllib.parse import urlsplit

    hint = ("use osm, amap, none, or a tile URL template such as "
            "https://tiles.example/{z}/{x}/{y}.png")
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"basemap {url!r} is not an http(s) tile URL", hint=hint)
    missing = [p for p in ("{z}", "{x}") if p not in url]
    if "{y}" not in url and "{-y}" not in url:
        missing.append("{y}")
    if missing:
        raise ValidationError(f"basemap {url!r} is not a tile URL template: it lacks "
                              + ", ".join(missing), hint=hint)
    if any(c in url for c in "\"<>'`\x00") or any(ord(c) < 32 for c in url):
        raise ValidationError(f"basemap {url!r} has characters a URL cannot hold", hint=hint)
    return url


def _subtitle(data_date: object) -> str:
    if data_date is None:
        return "数据日期：未注明"
    if isinstance(data_date, _dt.date | _dt.datetime):
        data_date = data_date.isoformat()[:10]
    return f"数据日期：{data_date}"


def new_map(
    *, basemap: str | None = None, offline: bool = False, title: str | None = None,
    data_date: object = None,
) -> folium.Map:
    """An empty district map with basemap, scale bar, legend and title box.

    Parameters
    ----------
    basemap : str, optional
        ``"osm"``, ``"amap"`` (GCJ-02 tiles: layers are shifted to match), ``"none"``, or a
        tile URL template with ``{x}``, ``{y}``, ``{z}``. Default
        ``settings.default_tiles`` online, ``"none"`` offline.
    offline : bool
        Self-contained HTML: no tiles, Leaflet inlined.
    title : str, optional
        Title box text.
    data_date : str or date, optional
        Shown under the title.

    Returns
    -------
    folium.Map
    """
    key = _resolve_basemap(basemap, offline)
    m = folium.Map(
        location=_district_centre(),
        zoom_start=13,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_snap=0.25,
    )
    if key == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(m)
    elif key == "amap":
        folium.TileLayer(
            tiles=AMAP_TILES, attr=AMAP_ATTRIBUTION, name="高德地图", subdomains="1234",
            max_zoom=19, max_native_zoom=18,
        ).add_to(m)
    elif key != "none":
        folium.TileLayer(tiles=key, attr="底图", name="底图").add_to(m)
    legend = Legend()
    m.add_child(legend)
    m._yangpu = MapState(offline=offline, shift="gcj02" if key == "amap" else None, legend=legend)
    if current_district() is not None:  # a recorded district: the map shows all of it
        m._yangpu.bounds = list(district_bounds_lonlat())
    if title:
        set_title(m, title, data_date)
    return m


def state_of(m: folium.Map, *, offline: bool = False, basemap: str | None = None) -> MapState:
    """The :class:`MapState` of ``m``; adopt a foreign folium map on first use."""
    st = getattr(m, "_yangpu", None)
    if st is None:
        legend = Legend()
        m.add_child(legend)
        shift = "gcj02" if basemap and basemap.lower() in {"amap", "gaode"} else None
        st = m._yangpu = MapState(offline=offline, shift=shift, legend=legend)
    return st


def set_title(m: folium.Map, title: str, data_date: object = None) -> None:
    """Set (or replace) the title box of ``m``."""
    st = state_of(m)
    if st.title is not None:
        m._children.pop(st.title.get_name(), None)
    st.title = TitleBox(district_title(title), _subtitle(data_date))
    m.add_child(st.title)


def map_for(
    m: folium.Map | None, *, title: str | None, default_title: str, data_date: object = None,
    offline: bool = False, basemap: str | None = None,
) -> folium.Map:
    """A :func:`new_map` titled ``title or default_title``, or ``m`` to draw on.

    A given ``m`` is adopted (:func:`state_of`) and retitled only when ``title`` is given.
    """
    if m is None:
        return new_map(basemap=basemap, offline=offline, title=title or default_title,
                       data_date=data_date)
    state_of(m, offline=offline, basemap=basemap)
    if title:
        set_title(m, title, data_date)
    return m


def extend_bounds(m: folium.Map, bounds: list[float]) -> None:
    """Grow the extent ``m`` opens on by ``bounds`` (minx, miny, maxx, maxy lon/lat)."""
    st = state_of(m)
    if st.bounds is None:
        st.bounds = list(bounds)
    else:
        b = st.bounds
        st.bounds = [min(b[0], bounds[0]), min(b[1], bounds[1]),
                     max(b[2], bounds[2]), max(b[3], bounds[3])]


def finalise(m: folium.Map) -> folium.Map:
    """Bring assets, fit-to-bounds and the layer switcher up to date (idempotent).

    Call after adding layers; the builders do. The page is hardened
    (:func:`~yangpu_gis.maps.safe.harden`): each element renders once, data never as a template.
    """
    st = state_of(m)
    if st.offline:
        # folium links Leaflet, jQuery, Bootstrap, awesome-markers and Font Awesome from CDNs;
        # we need only Leaflet, inlined by HeadAssets.
        m.default_js, m.default_css = [], []
    # markercluster needs the map's maxZoom; without tiles Leaflet has none.
    m.options.setdefault("max_zoom", 19)
    if not st.offline and st.cluster:
        m.default_js = [*type(m).default_js, ("markercluster", assets.CDN_JS["markercluster"])]
        m.default_css = [
            *type(m).default_css,
            ("markercluster_css", assets.CDN_CSS["markercluster"]),
            ("markercluster_default_css", assets.CDN_CSS["markercluster_default"]),
        ]
    # Our head element must follow Leaflet. folium adds its links to the header at render
    # time, under fixed names; adding them now under the same names fixes their place first.
    header = m.get_root().header
    header._children.pop("yangpu_head_assets", None)
    for name, url in m.default_js:
        header.add_child(JavascriptLink(url), name=name)
    for name, url in m.default_css:
        header.add_child(CssLink(url), name=name)
    header.add_child(HeadAssets(offline=st.offline, cluster=st.cluster), name="yangpu_head_assets")
    for name in [n for n, c in m._children.items() if isinstance(c, FitBounds | LayerControl)]:
        del m._children[name]
    if st.bounds is not None:
        minx, miny, maxx, maxy = st.bounds
        # the title box covers the top of the map: keep the data below it
        top = 80 if st.title is not None else 20
        fit = FitBounds([[miny, minx], [maxy, maxx]], padding_top_left=(20, top),
                        padding_bottom_right=(20, 20))
        fit.options["animate"] = False  # open at the data's extent, not zooming into it
        m.add_child(fit)
    m.add_child(LayerControl(collapsed=False, position="topright"))
    harden(m.get_root())
    return m


def save(m: folium.Map, path: str | PathLike) -> Path:
    """Write ``m`` as one HTML file (UTF-8) and return its path.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`layer_map`, :func:`overview_map` or :func:`choropleth_map`.
    path : str or path-like
        Target ``.html`` file; parent directories are created. Written atomically: a
        failure leaves no partial file (:func:`~yangpu_gis.output.write_atomic`).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    yangpu_gis.errors.ValidationError
        If ``path`` is a folder.
    yangpu_gis.errors.YangpuGisError
        If the file cannot be written (naming the path and why).
    """
    if getattr(m, "_yangpu", None) is not None:
        finalise(m)
    page = render_html(m).encode("utf-8")
    return write_atomic(path, lambda tmp: tmp.write_bytes(page))
