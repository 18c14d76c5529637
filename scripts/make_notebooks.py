"""Write the planner notebooks in ``notebooks/`` from the cell lists below (no outputs).

The notebooks are stored without outputs and executed by the test suite
(``tests/test_notebooks.py``), so they cannot rot. Edit the cells here and rerun:

    python scripts/make_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {}

NOTEBOOKS["01_registry_tour"] = [
    ("md", """# 01 · 资产登记库导览 — Registry tour

本笔记本演示杨浦区城市资产登记库的日常用法：打开登记库、查看图层、按范围读取、
装载各委办局常见的数据文件（GBK 编码的 Shapefile、高德坐标 GCJ-02 的 Excel 表），
以及看到一条校验错误并改正它。

This notebook shows the registry's everyday use: open it, list its layers, read by a
bounding box, load the files bureaus really send (a GBK shapefile without `.cpg`, an Excel
sheet of Amap GCJ-02 coordinates), and see a validation error and fix it.

**换成 PostGIS 只需改下面一行 / To use PostGIS, change the one line below** to a URL such
as `postgresql://postgres@127.0.0.1/yangpu`."""),
    ("code", """REGISTRY = "yangpu_demo.gpkg"   # or "postgresql://postgres@127.0.0.1:5432/yangpu"
OUTPUT = "output"               # HTML maps to send to the subdistricts"""),
    ("code", """from pathlib import Path

import geopandas as gpd
import pandas as pd

import yangpu_gis
from yangpu_gis import maps
from yangpu_gis.datasets import get_path
from yangpu_gis.demo import ensure_demo

Path(OUTPUT).mkdir(exist_ok=True)
# opens the registry; the first time, builds it from the demo dataset with the same
# loaders GIS staff use
reg = ensure_demo(REGISTRY)
reg"""),
    ("md", """## 图层与要素数 — Layers and feature counts

登记库按图层目录（`yangpu_gis.catalogue`）存放每一类资产，坐标统一为 CGCS2000 高斯-克吕格
3 度带（中央经线 120°E，EPSG:4549），单位为米。

Every layer of the catalogue, with its Chinese name, stored geometry type and count.
Coordinates are stored in EPSG:4549 (metres)."""),
    ("code", """reg.layers()"""),
    ("md", """## 按范围读取 — Read a bounding box

五角场周边的道路（范围以经纬度给出，结果转换为 WGS84 以便制图）。
Roads around 五角场 (the box is given in lon/lat; the result comes back in WGS84)."""),
    ("code", """wujiaochang = (121.505, 31.295, 121.520, 31.308)
roads = reg.read("roads", bbox=wujiaochang, bbox_crs="EPSG:4326", crs="EPSG:4326")
print(f"{len(roads)} 条道路 / road segments in the box")
roads.groupby("road_class").size().rename("segments")"""),
    ("code", """m = maps.layer_map(roads, "roads", title="五角场周边道路", offline=True)
maps.save(m, f"{OUTPUT}/01_wujiaochang_roads.html")
m"""),
    ("md", """## 装载 GBK 编码的 Shapefile — Load a GBK shapefile without `.cpg`

委办局给的道路中心线常常是 GBK 编码、没有 `.cpg` 文件，字段名也是中文（道路名称、道路等级）。
登记库会自动识别编码、按目录中的中文别名对应字段，并把“主干路”等中文等级转换为目录取值。
我们装到一个练习用的登记库里，以免改动演示库。

Bureau road files are often GBK-encoded without `.cpg`, with Chinese field names. The
loader detects the encoding, maps the fields through the catalogue's Chinese aliases, and
translates 主干路 → `arterial`. We load into a scratch registry to keep the demo intact."""),
    ("code", """scratch = yangpu_gis.open_registry("scratch.gpkg")
result = scratch.load(get_path("fixtures/roads_gbk.zip"), "roads", mode="replace")
print(result.details["notes"])          # 编码识别结果 / the encoding detected
print(result.details["mapping"])        # 字段对应 / column mapping applied
scratch.read("roads")[["road_id", "name", "road_class", "width_m", "built_date"]]"""),
    ("md", """## 高德坐标（GCJ-02）的 Excel — An Excel sheet of Amap coordinates

从高德地图导出的停车场坐标是 GCJ-02（“火星坐标”），比 WGS84 偏移数百米。表格本身不带坐标系，
因此第一次装载会被拒绝，并提示可能的坐标系；用 `crs="gcj02"` 再装载即可，登记库用迭代反算
转换回 CGCS2000/WGS84（精度优于 1 毫米）。

The sheet has no CRS, so the first attempt is refused with a hint; with `crs="gcj02"` the
points are converted back (iterative inverse, better than 1 mm)."""),
    ("code", """sheet = get_path("fixtures/parking_amap.xlsx")
try:
    scratch.load(sheet, "parking_facilities")
except yangpu_gis.YangpuGisError as exc:
    print(exc.render())"""),
    ("code", """scratch.load(sheet, "parking_facilities", crs="gcj02", mode="replace")
parking = scratch.read("parking_facilities")               # EPSG:4549, metres
raw = pd.read_excel(sheet)
as_given = gpd.GeoSeries(gpd.points_from_xy(raw["经度"], raw["纬度"]), crs=4326).to_crs(4549)
shift_m = parking.geometry.distance(as_given, align=False)
print("GCJ-02 偏移（米）/ offset removed (m):", shift_m.round(0).tolist())
parking[["facility_id", "name", "kind", "capacity", "shared_offpeak"]]"""),
    ("md", """## 看到一条校验错误并改正 — See a validation error and fix it

一张泊位表里写了“约200个”这样的文字，另一行把停车场类型写成了“飞机场”。装载会整体拒绝
（登记库保持原样），并逐条指出行号、字段和改法。

A sheet with "约200个" as a capacity and an unknown kind is refused as a whole, naming each
row (spreadsheet row numbers, header = row 1), the field and what to do. The registry is
left exactly as it was."""),
    ("code", """bad = pd.read_excel(sheet)
bad["泊位数"] = bad["泊位数"].astype(object)
bad.loc[2, "泊位数"] = "约200个"
bad.loc[3, "类型"] = "飞机场"
bad.to_excel("parking_bad.xlsx", index=False)
before = scratch.read("parking_facilities")
try:
    scratch.load("parking_bad.xlsx", "parking_facilities", crs="gcj02", mode="replace")
except yangpu_gis.ValidationError as exc:
    print(exc.render())
assert scratch.read("parking_facilities").equals(before)   # nothing changed"""),
    ("code", """fixed = bad.copy()
fixed.loc[2, "泊位数"] = 200
fixed.loc[3, "类型"] = "公共"
fixed.to_excel("parking_fixed.xlsx", index=False)
result = scratch.load("parking_fixed.xlsx", "parking_facilities", crs="gcj02", mode="upsert")
print(f"updated {result.rows_updated}, inserted {result.rows_inserted}")"""),
    ("md", """## 装载记录 — Every load is recorded

每次装载都记入批次表：来源文件、校验和、行数、方式、时间、操作系统用户。每一行要素都带有
写入它的 `batch_id`。 Every load is in the batches table, and every row carries its batch."""),
    ("code", """scratch.batches()[["batch_id", "layer", "mode", "source", "rows_read", "rows_inserted",
                   "rows_updated", "encoding", "source_crs", "os_user", "loaded_at"]]"""),
]

NOTEBOOKS["03_parking"] = [
    ("md", """# 03 · 停车难：供需、步行可达与错峰共享 — Parking supply and demand

十四五规划要求综合治理“停车难”：在老旧小区、医院、学校周边，哪里的停车需求超过了步行可达的
泊位？白天和夜间各差多少？哪些办公、商业车库夜间开放（错峰共享）最能缓解缺口？

Where does demand exceed the spaces people can walk to — by day and by night — and which
office or commercial garages would close the gap if they opened at night?

**方法 / Method.** 需求按上海《建筑工程交通设计及停车库（场）设置标准》（DG/TJ 08-7）的配建
指标估算（每个比率都是可改的默认值，见 `PARKING_DEFAULTS.table()`）；供给来自停车设施图层；
可达性用两步移动搜索法（2SFCA，Luo & Wang 2003），沿道路步行 500 米。
`access_ratio` = 步行范围内可用泊位 ÷ 需求；`shortfall` = 缺口泊位数。"""),
    ("code", """REGISTRY = "yangpu_demo.gpkg"   # or "postgresql://postgres@127.0.0.1:5432/yangpu"
OUTPUT = "output"   # HTML maps to send to the subdistricts"""),
    ("code", """from pathlib import Path

from yangpu_gis.analysis.parking import PARKING_DEFAULTS, analyze_parking
from yangpu_gis.demo import ensure_demo
from yangpu_gis.maps.parking import parking_map

Path(OUTPUT).mkdir(exist_ok=True)
reg = ensure_demo(REGISTRY)
layers = reg.read_layers("residential_compounds", "parking_facilities", "pois", "roads",
                         "subdistricts", "grid_cells")
PARKING_DEFAULTS.table()"""),
    ("code", """res = analyze_parking(layers["residential_compounds"], layers["parking_facilities"],
                      pois=layers["pois"], roads=layers["roads"],
                      subdistricts=layers["subdistricts"], grid_cells=layers["grid_cells"],
                      distance="network", catchment_m=500, what_if_top_n=5)
print("distance used:", res.distance_method)"""),
    ("md", """## 各街道白天与夜间的供需 — Day and night balance by subdistrict

`balance` 为负表示缺口（泊位少于需求）；`ratio` = 供给 ÷ 需求。夜间缺口主要来自居民。
Negative balance = shortage; residents drive the night deficit."""),
    ("code", """cols = ["name", "supply_day", "demand_day", "balance_day", "ratio_day",
        "supply_night", "demand_night", "balance_night", "ratio_night"]
res.subdistrict_balance[cols].sort_values("balance_night").round(2)"""),
    ("md", """## 步行可达的缺口地图 — The 2SFCA shortage map

网格按夜间供需差分级着色，红框为夜间缺口最大的小区，蓝圈为可错峰共享的候选车库（标注可共享
泊位数）；点击车库或小区显示 500 米服务范围。地图另存为 HTML，可直接发给街道。

Grid cells by night balance; shortage compounds outlined; candidate garages sized by the
spaces they could share. The map is also saved as HTML to send to the subdistricts."""),
    ("code", """m = parking_map(res, offline=True)
m.save(f"{OUTPUT}/03_parking_night.html")
m"""),
    ("md", """## 错峰共享候选车库 — Candidate garages for night sharing

按“夜间开放后能覆盖的步行范围内缺口”排序。 Ranked by the night shortfall they would cover
within walking distance."""),
    ("code", """res.candidates[["rank", "facility_id", "name", "kind", "capacity", "spare_night",
                "shortfall_in_catchment", "covered"]].head(10)"""),
    ("md", """## 老小区挖潜排名 — Compounds ranked for 挖潜

建成早、户数多、自有泊位少的小区：与配建标准的差距（`standard_gap`）和步行范围内仍缺的泊位
（`shortfall_night`）。"""),
    ("code", """res.compounds[["rank", "name", "built_year", "households", "own_night", "standard_gap",
               "shortfall_night"]].head(10).round(1)"""),
    ("md", """## 假如开放前五个车库 — What if the top five open at night?

重新计算可达性：夜间缺口减少多少泊位。 Recompute with the top five open at night."""),
    ("code", """res.what_if"""),
]


def build(out: Path) -> list[Path]:
    """Write every notebook into ``out``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(cells=[new_markdown_cell(src) if kind == "md" else new_code_cell(src)
                                 for kind, src in cells])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        path = out / f"{name}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in build(Path(__file__).resolve().parents[1] / "notebooks"):
        print(p)
