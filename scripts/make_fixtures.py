"""Write the small test fixtures in ``data/fixtures/`` (deterministic; rerun to refresh).

Each fixture is a file as a bureau would send it, with a handful of features whose values
the tests know by construction (``FIXTURE_ROADS`` etc. below are the truth):

* ``roads_gbk/roads.shp``: EPSG:4549 shapefile, GBK DBF **without** ``.cpg``, Chinese
  column names and road classes; also zipped as ``roads_gbk.zip``.
* ``parking_amap.xlsx``: parking lots as an Excel sheet of Amap (GCJ-02) lon/lat.
* ``complaints_baidu.csv``: hotline orders with Baidu (BD-09) coordinates, GBK-encoded CSV.
* ``beautiful_blocks.geojson``: WGS84 polygons.
* ``pipelines.gpkg``: layer ``pipe_network`` in EPSG:4549.

    python scripts/make_fixtures.py [--out data/fixtures]
"""

from __future__ import annotations

import argparse
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from yangpu_gis.crs import wgs84_to_bd09, wgs84_to_gcj02

# --- the truth, in WGS84 lon/lat -----------------------------------------------------------
FIXTURE_ROADS = [
    # road_id, 道路名称, 道路等级, 路幅宽度, 建成日期, lon/lat vertices
    ("R0001", "控江路", "主干路", 32.0, "1998-06-01", [(121.5150, 31.2760), (121.5300, 31.2790)]),
    ("R0002", "政通路", "次干路", 24.0, "2021-09-30", [(121.5080, 31.3000), (121.5190, 31.3040)]),
    ("R0003", "大学路", "支路", 16.0, "2006-05-01", [(121.5060, 31.3030), (121.5100, 31.3050)]),
    ("R0004", "国权路", "次干路", 20.0, "2003-01-15", [(121.5050, 31.2950), (121.5070, 31.3080)]),
    ("R0005", "长阳路1567弄", "弄堂", 4.0, "1952-01-01", [(121.5350, 31.2700), (121.5356, 31.2712)]),
    ("R0006", "杨树浦路", "主干路", 30.0, "1908-01-01", [(121.5150, 31.2600), (121.5400, 31.2700)]),
]
FIXTURE_PARKING = [
    # 编号, 停车场名称, 类型, 泊位数, 错峰共享, lon, lat (WGS84 truth)
    ("P001", "五角场万达广场停车库", "商业", 1200, "是", 121.5145, 31.3010),
    ("P002", "新华医院停车场", "医院", 350, "否", 121.5232, 31.2710),
    ("P003", "控江路公共停车场", "公共", 180, "否", 121.5260, 31.2780),
    ("P004", "鞍山新村小区停车位", "小区", 95, "否", 121.5160, 31.2830),
    ("P005", "大学路道路停车", "路内", 24, "否", 121.5085, 31.3040),
]
FIXTURE_COMPLAINTS = [
    ("GD20250001", "2025-03-01 08:15", "道路破损", "控江路1500号路面塌陷", 121.5250, 31.2775),
    ("GD20250002", "2025-03-01T09:40:00+08:00", "占道经营", "大学路夜市占道", 121.5080, 31.3040),
    ("GD20250003", "2025-03-02 21:05", "噪声", "政通路施工夜间噪声", 121.5120, 31.3020),
]


def roads_frame() -> gpd.GeoDataFrame:
    """The roads fixture with the bureau's Chinese column names, in EPSG:4549."""
    rows = [
        {"道路编号": rid, "道路名称": name, "道路等级": cls, "路幅宽度": width, "建成日期": built}
        for rid, name, cls, width, built, _ in FIXTURE_ROADS
    ]
    geoms = [shapely.LineString(coords) for *_, coords in FIXTURE_ROADS]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326").to_crs("EPSG:4549")


def write_all(out: Path) -> None:
    """Write every fixture into ``out`` (replacing it)."""
    if out.exists():
        shutil.rmtree(out)
    (out / "roads_gbk").mkdir(parents=True)
    shp = out / "roads_gbk" / "roads.shp"
    pyogrio.write_dataframe(roads_frame(), shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    with zipfile.ZipFile(out / "roads_gbk.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted((out / "roads_gbk").iterdir()):
            info = zipfile.ZipInfo(part.name, date_time=(2025, 1, 1, 0, 0, 0))
            zf.writestr(info, part.read_bytes())

    lon, lat = zip(*[(r[5], r[6]) for r in FIXTURE_PARKING], strict=True)
    glon, glat = wgs84_to_gcj02(list(lon), list(lat))
    parking = pd.DataFrame(
        [r[:5] for r in FIXTURE_PARKING], columns=["编号", "停车场名称", "类型", "泊位数", "错峰共享"]
    )
    parking["经度"] = glon
    parking["纬度"] = glat
    parking.to_excel(out / "parking_amap.xlsx", index=False, sheet_name="停车场")

    lon, lat = zip(*[(r[4], r[5]) for r in FIXTURE_COMPLAINTS], strict=True)
    blon, blat = wgs84_to_bd09(list(lon), list(lat))
    complaints = pd.DataFrame(
        [r[:4] for r in FIXTURE_COMPLAINTS], columns=["工单编号", "受理时间", "问题类别", "诉求内容"]
    )
    complaints["bd_lon"] = blon
    complaints["bd_lat"] = blat
    complaints.to_csv(out / "complaints_baidu.csv", index=False, encoding="gbk",
                      float_format="%.8f")

    blocks = gpd.GeoDataFrame(
        {"block_id": ["B2019-01", "B2021-03", "B2023-07"],
         "name": ["大学路美丽街区", "国权路美丽街区", "长阳路美丽街区"],
         "year": [2019, 2021, 2023]},
        geometry=[shapely.box(121.5055, 31.3020, 121.5105, 31.3060),
                  shapely.box(121.5040, 31.2960, 121.5080, 31.3000),
                  shapely.box(121.5300, 31.2650, 121.5400, 31.2700)],
        crs="EPSG:4326",
    )
    pyogrio.write_dataframe(blocks, out / "beautiful_blocks.geojson")

    pipes = gpd.GeoDataFrame(
        {"管线编号": [f"W{i:04d}" for i in range(1, 6)] + [f"G{i:04d}" for i in range(1, 6)],
         "管线类别": ["给水"] * 5 + ["燃气"] * 5,
         "管径": [300, 300, 200, 150, 100, 400, 300, 200, 160, 110],
         "敷设年份": [1985, 1990, 2001, 2010, 2020, 1995, 1999, 2005, 2012, 2022]},
        geometry=[shapely.LineString([(121.515 + 0.002 * i, 31.277 + 0.0004 * i + d),
                                      (121.517 + 0.002 * i, 31.2774 + 0.0004 * i + d)])
                  for d in (0.0, 0.0001) for i in range(5)],
        crs="EPSG:4326",
    ).to_crs("EPSG:4549")
    pyogrio.write_dataframe(pipes, out / "pipelines.gpkg", layer="pipe_network")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parents[1] / "data" / "fixtures")
    write_all(parser.parse_args().out)


if __name__ == "__main__":
    main()
