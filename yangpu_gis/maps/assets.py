"""JavaScript and CSS the maps need, linked from a CDN online or inlined offline.

Offline maps are one self-contained HTML file: Leaflet and Leaflet.markercluster are read
from installed PyPI packages and inlined, with the images their CSS refers to turned into
``data:`` URIs. Nothing is copied into this repository by hand:

* ``XStatic-Leaflet`` (Leaflet 1.9.3, the version folium links; Leaflet is BSD-2-Clause,
  © 2010-2022 Vladimir Agafonkin, © 2010-2011 CloudMade);
* ``XStatic-Leaflet-MarkerCluster`` (Leaflet.markercluster 1.4.1, MIT licence,
  © 2012 David Leaver and contributors).

The XStatic packages state their licence as "same as" the packaged library; the notices
above are written into every offline file next to the inlined code.

Our own small runtime (``assets/yangpu_layers.js``) is inlined in both modes.
"""

from __future__ import annotations

import base64
import importlib
import re
from functools import cache
from importlib import resources
from pathlib import Path

from ..errors import YangpuGisError

__all__ = [
    "CDN_CSS",
    "CDN_JS",
    "inline_css",
    "inline_js",
    "runtime_js",
]

LEAFLET_VERSION = "1.9.3"
MARKERCLUSTER_VERSION = "1.4.1"

#: Online locations (folium's own CDN for Leaflet; cdnjs for markercluster).
CDN_JS: dict[str, str] = {
    "leaflet": f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js",
    "markercluster": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/"
    f"{MARKERCLUSTER_VERSION}/leaflet.markercluster.js",
}
CDN_CSS: dict[str, str] = {
    "leaflet": f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css",
    "markercluster": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/"
    f"{MARKERCLUSTER_VERSION}/MarkerCluster.css",
    "markercluster_default": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/"
    f"{MARKERCLUSTER_VERSION}/MarkerCluster.Default.css",
}

_NOTICE = {
    "leaflet": f"Leaflet {LEAFLET_VERSION}, https://leafletjs.com, BSD-2-Clause licence. "
    "(c) 2010-2022 Vladimir Agafonkin, (c) 2010-2011 CloudMade. "
    "Inlined from the PyPI package XStatic-Leaflet.",
    "markercluster": f"Leaflet.markercluster {MARKERCLUSTER_VERSION}, "
    "https://github.com/Leaflet/Leaflet.markercluster, MIT licence. "
    "(c) 2012 David Leaver and contributors. "
    "Inlined from the PyPI package XStatic-Leaflet-MarkerCluster.",
}

# library -> (xstatic module, js file, css files)
_FILES = {
    "leaflet": ("xstatic.pkg.leaflet", "leaflet.js", ("leaflet.css",)),
    "markercluster": (
        "xstatic.pkg.leaflet_markercluster",
        "leaflet.markercluster.js",
        ("MarkerCluster.css", "MarkerCluster.Default.css"),
    ),
}
_PIP_NAME = {"leaflet": "XStatic-Leaflet", "markercluster": "XStatic-Leaflet-MarkerCluster"}


def _data_dir(library: str) -> Path:
    module = _FILES[library][0]
    try:
        return Path(importlib.import_module(module).BASE_DIR)
    except ImportError as exc:
        raise YangpuGisError(
            f"offline maps need the {library} assets, but {module} is not installed",
            hint=f"pip install {_PIP_NAME[library]}",
        ) from exc


def _safe_in_tag(text: str, tag: str) -> str:
    """Refuse code that would close the surrounding ``<script>``/``<style>`` element early."""
    if re.search(rf"</{tag}", text, flags=re.IGNORECASE):
        raise YangpuGisError(f"asset contains '</{tag}' and cannot be inlined")
    return text


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@cache
def inline_js(library: str) -> str:
    """A ``<script>`` element holding the library's minified code and its licence notice."""
    directory = _data_dir(library)
    code = (directory / _FILES[library][1]).read_text(encoding="utf-8")
    code = _safe_in_tag(code, "script")
    return f"<script>/*! {_NOTICE[library]} */\n{code}\n</script>"


@cache
def inline_css(library: str) -> str:
    """``<style>`` elements with the library's CSS, images as ``data:`` URIs."""
    directory = _data_dir(library)
    parts = []
    for name in _FILES[library][2]:
        css = (directory / name).read_text(encoding="utf-8")

        def _embed(match: re.Match, base: Path = directory) -> str:
            target = base / match.group(1)
            return f"url({_data_uri(target)})" if target.is_file() else match.group(0)

        css = re.sub(r"url\((images/[^)]+\.png)\)", _embed, css)
        parts.append(f"<style>/*! {_NOTICE[library]} */\n{_safe_in_tag(css, 'style')}\n</style>")
    return "\n".join(parts)


@cache
def runtime_js() -> str:
    """Our runtime that decodes compact layers, as a ``<script>`` element."""
    code = resources.files("yangpu_gis.maps").joinpath("assets/yangpu_layers.js").read_text(
        encoding="utf-8"
    )
    return f"<script>\n{_safe_in_tag(code, 'script')}\n</script>"
