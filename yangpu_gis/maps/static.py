"""Static PNG maps with matplotlib: CJK font, legend, north arrow and scale bar.

Drawn in the working CRS (EPSG:4549, metres), so the scale bar is exact to the zone's
scale factor (~1.00025 in Yangpu). The arrow points to grid north; true north differs by
the meridian convergence, under 1° in Yangpu (Δλ ≈ 1.5° × sin 31.3°), too little to see.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from .. import crs as _crs  # noqa: E402
from ..io.district import district_title  # noqa: E402
from ..output import write_atomic  # noqa: E402
from .layers import classify_values, infer_layer  # noqa: E402
from .styles import DRAW_ORDER, get_style  # noqa: E402

__all__ = ["CJK_FONTS", "cjk_font", "static_map"]

#: CJK font families tried in order (Debian's fonts-noto-cjk provides the first).
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
)


def cjk_font() -> str:
    """The first installed family of :data:`CJK_FONTS`.

    matplotlib caches the list of system fonts the first time it runs. A font installed
    after that (``apt-get install fonts-noto-cjk`` after a first ``yangpu-gis demo``) is
    not in the cache, so when no CJK family is cached the system font folders are scanned
    again once and the fonts the cache lacks are added.

    Raises
    ------
    RuntimeError
        If none is installed (``apt-get install fonts-noto-cjk``).
    """
    family = _first_cjk_family()
    if family is None:
        _add_fonts_missing_from_cache()
        family = _first_cjk_family()
    if family is None:
        raise RuntimeError("no CJK font found; install fonts-noto-cjk (Noto Sans CJK SC)")
    return family


def _first_cjk_family() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FONTS if family in installed), None)


def _add_fonts_missing_from_cache() -> None:
    """Add the system fonts installed after matplotlib built its font cache."""
    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path in known:
            continue
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # an unreadable font file: not ours to fix
            continue


def _nice_length(span_m: float) -> float:
    target = span_m / 5
    for step in (100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if step >= target:
            return float(step)
    return 10000.0


def _scale_bar(ax, font: str) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    bx, by, h = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0), 0.008 * (y1 - y0)
    for i in range(2):
        ax.add_patch(Rectangle((bx + i * length / 2, by), length / 2, h,
                               facecolor="black" if i == 0 else "white", edgecolor="black",
                               linewidth=0.8, zorder=20))
    unit, div = ("km", 1000) if length >= 1000 else ("m", 1)
    for frac in (0, 0.5, 1):
        ax.text(bx + frac * length, by + 1.8 * h, f"{frac * length / div:g}", ha="center",
                va="bottom", fontsize=8, family=font, zorder=20)
    ax.text(bx + length + 0.01 * (x1 - x0), by, unit, va="bottom", fontsize=8, family=font,
            zorder=20)


def _north_arrow(ax, font: str) -> None:
    ax.annotate("", xy=(0.95, 0.95), xytext=(0.95, 0.87), xycoords="axes fraction",
                arrowprops={"facecolor": "black", "width": 4, "headwidth": 12,
                            "headlength": 12}, zorder=20)
    ax.text(0.95, 0.955, "北", transform=ax.transAxes, ha="center", va="bottom",
            fontsize=13, fontweight="bold", family=font, zorder=20)


def static_map(
    layers: dict[str, gpd.GeoDataFrame] | gpd.GeoDataFrame,
    path: str | PathLike,
    *,
    title: str = "杨浦区城市资产分布图",
    data_date: object = None,
    figsize: tuple[float, float] = (10.0, 11.0),
    dpi: int = 150,
) -> Path:
    """Write a PNG map of one or several layers, styled like the interactive maps.

    Parameters
    ----------
    layers : GeoDataFrame or dict of str to GeoDataFrame
        One layer (name inferred from its id column) or catalogue name -> features.
    path : str or path-like
        Target ``.png``.
    title : str
        Title (Chinese; drawn with :func:`cjk_font`).
    data_date : str or date, optional
        Shown under the title.
    figsize, dpi
        Figure size in inches and resolution.

    Returns
    -------
    pathlib.Path
    """
    if isinstance(layers, gpd.GeoDataFrame):
        layers = {infer_layer(layers) or "layer": layers}
    font = cjk_font()
    work = _crs.working_crs()
    rank = {n: i for i, n in enumerate(DRAW_ORDER)}
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    handles = []
    for name in sorted(layers, key=lambda n: rank.get(n, len(rank))):
        gdf = layers[name].to_crs(work)
        if gdf.empty:
            continue
        style = get_style(name if name in rank else None)
        classes, index, _ = classify_values(gdf, style, None)
        groups = [(0, gdf)] if index is None else [(i, gdf[index == i]) for i in sorted(set(index))]
        for i, part in groups:
            c = classes[i]
            kind = part.geom_type.iloc[0]
            fill = c.fill_color or c.color
            if "Polygon" in kind:
                part.plot(ax=ax, facecolor=fill if c.fill_opacity else "none",
                          alpha=None, edgecolor=c.color, linewidth=c.weight * 0.4)
                handles.append(Patch(facecolor=fill if c.fill_opacity else "none",
                                     edgecolor=c.color, label=c.label))
            elif "Point" in kind:
                part.plot(ax=ax, color=fill, markersize=c.radius * 3, edgecolor=c.color,
                          linewidth=0.3)
                handles.append(Line2D([], [], marker="o", linestyle="", color=fill, label=c.label))
            else:
                part.plot(ax=ax, color=c.color, linewidth=c.weight * 0.5)
                handles.append(Line2D([], [], color=c.color, linewidth=c.weight * 0.5,
                                      label=c.label))
        if style.label_column and style.label_column in gdf.columns:
            for pt, text in zip(gdf.geometry.representative_point(), gdf[style.label_column],
                                strict=True):
                ax.text(pt.x, pt.y, str(text), ha="center", va="center", fontsize=9,
                        family=font, color="#333333")
    ax.set_aspect("equal")
    ax.set_axis_off()
    sub = f"数据日期：{data_date}" if data_date else ""
    ax.set_title(district_title(title) + (f"\n{sub}" if sub else ""), family=font, fontsize=16)
    if handles:
        ax.legend(handles=handles, prop={"family": font, "size": 8}, loc="upper left",
                  bbox_to_anchor=(1.01, 1.0),
                  title="图例", title_fontproperties={"family": font, "size": 9},
                  framealpha=0.9)
    _scale_bar(ax, font)
    _north_arrow(ax, font)
    try:
        return write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))
    finally:
        plt.close(fig)
