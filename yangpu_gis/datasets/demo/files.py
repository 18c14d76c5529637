"""The files bureaus really send, written from the generated layers: GeoJSON in WGS84, a GBK
shapefile without ``.cpg``, GeoPackages, XLSX sheets and a CSV in GCJ-02. Timestamps inside
files are fixed to :data:`FILE_TIMESTAMP` so the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ...catalogue import get_layer
from ...crs import wgs84_to_gcj02
from .common import to_lonlat

# Road classes as bureaus write them (catalogue.ROAD_CLASS_ALIASES, first alias per class).
ROAD_CLASS_CN = get_layer("roads").column("road_class").value_labels
PARKING_KIND_CN = get_layer("parking_facilities").column("kind").value_labels


#: Fixed timestamp written into files that carry one (GeoPackage, XLSX, DBF header).
FILE_TIMESTAMP = dt.datetime(2025, 12, 31, 0, 0, 0)


def _gdal_options() -> dict[str, str]:
    return {"OGR_CURRENT_DATE": FILE_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%S.000Z")}


def write_vector(gdf: gpd.GeoDataFrame, path: Path, **kwargs) -> None:
    """``pyogrio.write_dataframe`` with GDAL's file timestamp fixed to :data:`FILE_TIMESTAMP`."""
    import pyogrio

    old = {k: pyogrio.get_gdal_config_option(k) for k in _gdal_options()}
    pyogrio.set_gdal_config_options(_gdal_options())
    try:
        pyogrio.write_dataframe(gdf, path, **kwargs)
    finally:
        pyogrio.set_gdal_config_options(old)


def write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """A GeoJSON file in WGS84, 8 decimals (replaced if it exists)."""
    path.unlink(missing_ok=True)
    write_vector(
        gdf.to_crs("EPSG:4326"),
        path,
        driver="GeoJSON",
        layer_options={"COORDINATE_PRECISION": 8, "RFC7946": "NO"},
    )


def write_roads_shapefile(roads: gpd.GeoDataFrame, path: Path) -> None:
    """GBK-encoded DBF with Chinese field names, no .cpg, no code page in the DBF header."""
    for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        path.with_suffix(ext).unlink(missing_ok=True)
    frame = gpd.GeoDataFrame(
        {
            "道路编号": roads["road_id"],
            "道路名称": roads["name"],
            "道路等级": roads["road_class"].map(ROAD_CLASS_CN),
            "路幅宽度": roads["width_m"],
            "养护单位": roads["maintainer"],
            "建成日期": roads["built_date"],
            "大修日期": roads["last_major_repair_date"],
            "PCI": roads["pci"],
        },
        geometry=roads.geometry,
        crs=roads.crs,
    )
    write_vector(
        frame,
        path,
        driver="ESRI Shapefile",
        encoding="GBK",
        layer_options={"RESIZE": "YES", "DBF_DATE_LAST_UPDATE": FILE_TIMESTAMP.date().isoformat()},
    )
    path.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = 0  # language driver id: "unknown", as in many bureau files
    dbf.write_bytes(bytes(data))


def write_parking_xlsx(parking: gpd.GeoDataFrame, path: Path) -> None:
    """Parking sheet with Chinese headers and GCJ-02 lon/lat (polygon lots by centroid)."""
    pts = [g if g.geom_type == "Point" else g.centroid for g in parking.geometry]
    lon, lat = to_lonlat(np.array([p.x for p in pts]), np.array([p.y for p in pts]))
    glon, glat = wgs84_to_gcj02(lon, lat)
    shared = parking["shared_offpeak"].map({True: "是", False: "否"})
    table = pd.DataFrame(
        {
            "编号": parking["facility_id"],
            "停车场名称": parking["name"],
            "类型": parking["kind"].map(PARKING_KIND_CN),
            "泊位数": parking["capacity"],
            "错峰共享": shared.astype(object).where(shared.notna(), "否"),
            "开放时间": parking["open_hours"],
            "地址": parking["address"],
            "经度": glon,
            "纬度": glat,
        }
    )
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name="停车场", index=False)
    path.write_bytes(_normalise_xlsx(buf.getvalue()))


def write_water_stations_geojson(stations: gpd.GeoDataFrame, path: Path) -> None:
    """Assessment sections as the environment bureau sends them: Chinese field names, WGS84."""
    table = gpd.GeoDataFrame(
        {
            "断面编号": stations["station_id"],
            "断面名称": stations["name"],
            "河道编号": stations["river_id"],
            "水体类型": stations["water_body"].map({"river": "河流", "lake": "湖泊"}),
            "水质目标": stations["target_class"],
        },
        geometry=stations.geometry,
        crs=stations.crs,
    )
    write_geojson(table, path)


def write_water_samples_xlsx(samples: pd.DataFrame, path: Path) -> None:
    """Monthly samples as a workbook with Chinese headers, dates as Excel dates, no coordinates."""
    table = pd.DataFrame(
        {
            "样品编号": samples["sample_id"],
            "断面编号": samples["station_id"],
            "采样日期": [dt.date.fromisoformat(str(v)) for v in samples["sampled_on"]],
            "溶解氧": samples["do"],
            "高锰酸盐指数": samples["codmn"],
            "氨氮": samples["nh3n"],
            "总磷": samples["tp"],
            "化学需氧量": samples["cod"],
            "五日生化需氧量": samples["bod5"],
        }
    )
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl", date_format="YYYY-MM-DD") as writer:
        table.to_excel(writer, sheet_name="监测数据", index=False)
    path.write_bytes(_normalise_xlsx(buf.getvalue()))


def _normalise_xlsx(data: bytes) -> bytes:
    """Fix the timestamps an XLSX carries (zip entries, docProps/core.xml) for reproducibility."""
    stamp = FILE_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), body
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FILE_TIMESTAMP.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, body)
    return out.getvalue()


def write_complaints_csv(complaints: gpd.GeoDataFrame, path: Path) -> None:
    """Orders placed by address (``location_precision = road``) and the orders that cannot
    be located (``attrs["unlocated"]``) have blank coordinates, as in the hotline export."""
    lon, lat = to_lonlat(complaints.geometry.x.to_numpy(), complaints.geometry.y.to_numpy())
    glon, glat = wgs84_to_gcj02(lon, lat)
    blank = (complaints["location_precision"] == "road").to_numpy()
    table = pd.DataFrame(
        {
            "工单编号": complaints["complaint_id"],
            "受理时间": complaints["received_at"],
            "问题类别": complaints["category"],
            "诉求内容": complaints["text"],
            "办理状态": complaints["status"],
            "办结时间": complaints["closed_at"],
            "地址": complaints["address"],
            "lon": np.where(blank, np.nan, np.round(glon, 6)),
            "lat": np.where(blank, np.nan, np.round(glat, 6)),
        }
    )
    unlocated = pd.DataFrame(
        list(complaints.attrs.get("unlocated", ())), columns=list(table.columns[:7]), dtype=object
    )
    if len(unlocated):
        table = pd.concat([table, unlocated.assign(lon=np.nan, lat=np.nan)], ignore_index=True)
        table = table.sort_values("工单编号", kind="stable", ignore_index=True)
    path.write_bytes(table.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig"))
