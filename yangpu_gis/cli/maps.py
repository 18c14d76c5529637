"""``yangpu-gis map``: draw a layer, all layers, or an analysis result file."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from ..catalogue import CATALOGUE, get_layer
from ..errors import SourceError, ValidationError, YangpuGisError
from ..output import check_target
from ..terminal import say
from .common import (
    AsOfOpt,
    DistrictOpt,
    JsonOpt,
    RegistryOpt,
    errors_to_exit,
    open_cli_registry,
    out,
    print_json,
)

__all__ = ["map_command"]


def _district_name() -> str:
    """The active district's name (:mod:`yangpu_gis.io` loads geopandas: only when drawing)."""
    from ..io.district import district_name

    return district_name()


def _read_result(p: Path, sub: str):
    """An analysis result file (CSV, or any vector format GDAL reads) as a frame."""
    import warnings

    import pandas as pd
    import pyogrio

    try:
        if p.is_dir() and p.suffix.lower() in (".csv", ".gpkg", ".geojson", ".json"):
            raise SourceError("is a folder, not a result file", source=str(p))
        if p.suffix.lower() == ".csv":
            return pd.read_csv(p, encoding="utf-8-sig")
        with warnings.catch_warnings():
            # GEOS warns on NaN coordinates; the map refuses them by feature (maps.encode)
            warnings.simplefilter("ignore", RuntimeWarning)
            return pyogrio.read_dataframe(p, layer=sub or None, use_arrow=True)
    except UnicodeDecodeError as exc:
        raise SourceError(f"not a UTF-8 CSV file (byte {exc.start + 1} does not decode)",
                          source=str(p), hint="save the table as CSV UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(f"cannot read it as CSV: {exc}", source=str(p),
                          hint="write the result again (yangpu-gis analyze …)") from None
    except pyogrio.errors.DataLayerError as exc:
        layers = []
        try:
            layers = [str(n) for n in pyogrio.list_layers(p)[:, 0]]
        except (pyogrio.errors.DataSourceError, OSError):
            pass
        raise SourceError(f"cannot read {'layer ' + repr(sub) if sub else 'its features'}: "
                          f"{exc}", source=str(p),
                          hint=("layers: " + ", ".join(layers)) if layers else None) from None
    except pyogrio.errors.DataSourceError:
        raise SourceError("not a vector file GDAL can read (damaged, empty or another format)",
                          source=str(p), hint="a result is a .gpkg, .geojson, .shp or .csv file "
                          "as yangpu-gis analyze writes it") from None
    except OSError as exc:
        raise SourceError(f"cannot read it: {exc.strerror or exc}", source=str(p)) from None


def _map_input(target: str, reg, join: str | None):
    """A catalogue layer from the registry, or an analysis result file (``path[:layer]``),
    optionally joined to a registry layer by that layer's id column."""
    import geopandas as gpd
    import pandas as pd


    if target in CATALOGUE:
        if not CATALOGUE[target].has_geometry:
            raise ValidationError(f"layer {target} has no geometry to map",
                                  hint="map the layer it refers to (water_stations), or an "
                                  "analysis result")
        return reg.read(target), target
    path, _, sub = target.partition(":") if not Path(target).exists() else (target, "", "")
    p = Path(path)
    if not p.exists():
        raise ValidationError(f"{target!r} is neither a catalogue layer nor a file",
                              hint="layers: all, " + ", ".join(CATALOGUE))
    frame = _read_result(p, sub)
    if join:
        spec = get_layer(join)
        if spec.id_column not in frame.columns:
            raise ValidationError(f"{p.name} has no column {spec.id_column!r} to join {join}",
                                  source=str(p), hint="columns: " + ", ".join(map(str, frame.columns)))
        base = reg.read(join)
        frame[spec.id_column] = frame[spec.id_column].astype(str)
        data = pd.DataFrame(frame.drop(columns=[c for c in frame.columns
                                                if c == "geometry" or c in base.columns
                                                and c != spec.id_column]))
        merged = base.merge(data, on=spec.id_column, how="left")
        return gpd.GeoDataFrame(merged, geometry=base.geometry.name, crs=base.crs), join
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ValidationError(f"{p.name} has no geometry",
                              hint="join it to a layer with --join subdistricts (or grid_cells …)")
    return frame, None


@contextmanager
def _about(source: str | None):
    """Name ``source`` (the file drawn) in a refusal that does not name one yet."""
    try:
        yield
    except YangpuGisError as exc:
        if source is not None and exc.source is None:
            exc.source = source
        raise


def _draw_one(maps, gdf, layer, output: Path, *, column, scheme, k, title, data_date, offline,
              basemap) -> None:
    """Write the map of one frame: PNG, choropleth of ``column``, or the layer's style."""

    if output.suffix.lower() == ".png":
        maps.static_map({layer or output.stem: gdf}, output,
                        title=title or _district_name() + (CATALOGUE[layer].label if layer else ""),
                        data_date=data_date)
    elif column:
        if column not in gdf.columns:
            raise ValidationError(f"no column {column!r}",
                                  hint="columns: " + ", ".join(map(str, gdf.columns)))
        maps.save(maps.choropleth_map(gdf, column, scheme=scheme, k=k, layer=layer,
                                      title=title, data_date=data_date, offline=offline,
                                      basemap=basemap), output)
    else:
        maps.save(maps.layer_map(gdf, layer, title=title, data_date=data_date,
                                 offline=offline, basemap=basemap), output)


def map_command(
    target: Annotated[str, typer.Argument(help="A catalogue layer, 'all', or a result file (path.gpkg[:layer], .geojson, .csv with --join).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="map.html (interactive) or map.png (static).")] = Path("map.html"),
    registry: RegistryOpt = None,
    as_of: AsOfOpt = None,
    district: DistrictOpt = None,
    column: Annotated[str | None, typer.Option(help="Numeric column for a choropleth.")] = None,
    scheme: Annotated[str, typer.Option(help="mapclassify scheme for --column.")] = "FisherJenks",
    k: Annotated[int, typer.Option(help="Number of classes for --column.")] = 5,
    join: Annotated[str | None, typer.Option(help="Join a table to this layer by its id column.")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="One self-contained file that opens without internet.")] = False,
    basemap: Annotated[str | None, typer.Option(help="osm | amap (shifts data to GCJ-02) | none | tile URL template.")] = None,
    title: Annotated[str | None, typer.Option(help="Map title.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Draw a layer, all layers, or an analysis result as an HTML (or PNG) map."""

    with errors_to_exit(as_json), open_cli_registry(registry, as_of=as_of, district=district) as reg:
        check_target(output, (".html", ".htm", ".png"))
        data_date = reg.data_date()
        from .. import maps  # folium and matplotlib: only once there is something to draw
        if target == "all":
            layers = {n: reg.read(n) for n, spec in CATALOGUE.items() if spec.has_geometry}
            layers = {n: g for n, g in layers.items() if len(g)}
            if output.suffix.lower() == ".png":
                from ..maps.styles import DENSE_LAYERS

                layers = {n: g for n, g in layers.items() if n not in DENSE_LAYERS}
                maps.static_map(layers, output, title=title or _district_name() + "城市资产分布图",
                                data_date=data_date)
            else:
                maps.save(maps.overview_map(layers, offline=offline, basemap=basemap,
                                            data_date=data_date, **({"title": title} if title else {})),
                          output)
            n = sum(len(g) for g in layers.values())
        else:
            gdf, layer = _map_input(target, reg, join)
            with _about(None if target in CATALOGUE else target):
                _draw_one(maps, gdf, layer, output, column=column, scheme=scheme, k=k,
                          title=title, data_date=data_date, offline=offline, basemap=basemap)
            n = len(gdf)
        if as_json:
            print_json({"target": target, "output": str(output), "features": n})
        else:
            say(out, "wrote {} ({:,} features)", output, n)

