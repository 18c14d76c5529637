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

NOTEBOOKS["02_excavation"] = [
    ("md", """# 02 · 掘路协调：冲突、反复开挖、禁挖期与新申请审查 — Excavation coordination

“马路拉链”——无序掘路、反复掘路——是市民对街道最具体的抱怨。本笔记本用登记库中的掘路许可、
道路和管线三个图层回答：今年哪些施工相互冲突？哪些路段被反复开挖？哪些许可违反了禁挖期？
哪些许可应当合并为一次同步施工？收到一份新的掘路申请时，审批前应当注意什么？

"Road zippers" — the same road dug up again and again — are the plan's most concrete street
complaint. From the permits, roads and pipelines layers: which works collided this year, which
road segments are dug repeatedly, which permits breach the excavation moratorium, which
permits should be one joint work, and what a new application would trigger.

**规则 / Rules** (defaults, each an argument of `analyze_excavation`; see `docs/excavation.md`):

* 同一路段 / same spot — 两份许可的施工范围相接或重叠 (footprints touch or overlap);
* 同期冲突 / concurrent — 工期至少重叠一天 (the planned periods share at least one day);
* 反复开挖 / repeat — 工期不重叠，后一份在前一份完工后 365 天内开工 (the later starts within
  365 days of the earlier's end);
* 禁挖期 / moratorium — 新建、扩建、改建道路通车后 5 年内，大修后 3 年内不得开挖
  （《城市道路管理条例》第三十三条 / Urban Road Management Regulations, Art. 33);
* 管线安全距离 / pipeline clearance — 一般管线 1 米，燃气 6 米，高压燃气 50 米
  (1 m; gas 6 m; high-pressure gas 50 m).

**换成 PostGIS 只需改下面一行 / To use PostGIS, change the one line below.**"""),
    ("code", """REGISTRY = "yangpu_demo.gpkg"   # or "postgresql://postgres@127.0.0.1:5432/yangpu"
OUTPUT = "output"   # HTML maps and tables to send to the road and pipeline offices"""),
    ("code", """from pathlib import Path

from yangpu_gis.analysis.excavation import (
    active_permits,
    analyze_excavation,
    check_permit,
    hot_roads,
    moratorium_windows,
    trench_along,
)
from yangpu_gis.demo import ensure_demo
from yangpu_gis.maps import save
from yangpu_gis.maps.excavation import excavation_map
from yangpu_gis.runs import run_excavation

Path(OUTPUT).mkdir(exist_ok=True)
reg = ensure_demo(REGISTRY)
DATA_DATE = reg.data_date()   # 数据日期，写在每张地图的标题下 / shown under every map title
layers = reg.read_layers("excavation_permits", "roads", "pipelines")
roads, pipelines = layers["roads"], layers["pipelines"]
permits = active_permits(layers["excavation_permits"])   # 已撤销的许可不挖路 / revoked: left out
print(f"{len(permits)} 份有效许可 / active permits; "
      f"{len(layers['excavation_permits']) - len(permits)} 份已撤销 / revoked, left out")"""),
    ("md", """## 一次调用，全部分析 — Every analysis in one call

下面的计数是登记库中所有年份的合计。`concurrent_pairs`：同期冲突的许可对数；`repeat_pairs`：
反复开挖的许可对数；`moratorium_breaches`：违反禁挖期的次数（`permits_breaching` 为涉及的
许可份数）；`pipelines_at_risk`：落在施工范围安全距离内的管线（按“许可 × 管线”计）；
`groups`：协调组个数；`digs_saved`：如果每个协调组合并为一次同步施工，可以少挖的次数。

Totals over every year in the registry: pairs of concurrent and of repeated digs, moratorium
breaches (and the permits involved), permit × pipeline pairs within clearance, coordination
groups, and the digs saved if each group were planned as one joint work."""),
    ("code", """res = analyze_excavation(permits, roads, pipelines)
res.counts()"""),
    ("md", """## 逐年变化 — Year by year

`roads_summary` 按道路路段和年份统计，这里把各路段加总到年：`digs` 开挖次数（一份许可跨两条路
各计一次），`repeats` 反复开挖对数（计入后一次开工的年份），`concurrent` 同期冲突对数，
`metres_dug` 沿道路中心线开挖的长度（米）。

Per road segment and year, summed by year: digs (a permit across two roads counts for each),
repeat pairs (in the year of the later start), concurrent pairs, metres of road dug."""),
    ("code", """res.roads_summary.groupby("year")[["digs", "repeats", "concurrent", "metres_dug"]].sum().round(0)"""),
    ("md", """## 今年的冲突 — This year's conflicts

“今年”取数据中最近的完整年份（申请覆盖到 12 月的最近一年）。每份许可的冲突状态取最严重的
一项：违反禁挖期 > 同期冲突 > 反复开挖 > 无冲突。

"This year" is the latest full year in the permits (the latest year with applications into
December). Each permit's status is the most serious that applies: moratorium > concurrent >
repeat > none. `permit_status` carries each permit's dates and `year` (of its start)."""),
    ("code", """last = layers["excavation_permits"]["planned_start"].max()
YEAR = last.year if last.month == 12 else last.year - 1     # the latest full year
status = res.permit_status[res.permit_status["year"] == YEAR]
print(f"{YEAR} 年开工的许可 / permits starting in {YEAR}: {len(status)}")
status["conflict_label"].value_counts()"""),
    ("md", """下表列出今年与其他许可冲突的许可：`concurrent` 是与它同期施工的许可份数，`repeats` 是它
与前后一年内在同一处开挖的许可份数（可能是上一年的许可），`breaches` 是它违反的禁挖规则数，
`group_id` 是它所属的协调组（见下文）。

This year's permits in conflict with others: how many permits dig the same spot at the same
time (`concurrent`) or within a year before or after (`repeats`, possibly last year's), the
moratorium rules breached, and the coordination group."""),
    ("code", """in_conflict = status[(status["concurrent"] > 0) | (status["repeats"] > 0)]
in_conflict.sort_values(["group_id", "planned_start"])"""),
    ("md", """## 反复开挖的热点道路 — Repeat-dig hot roads

`hot_roads` 把 `roads_summary` 的各年加总到路段：按反复开挖对数、再按开挖次数排序，排在前面的就是
“马路拉链”最严重的路段；`years` 为有开挖的年份数（`first_year`–`last_year`），`utilities` 为
在这里开挖过的管线单位类别。同名道路分为多个路段（`road_id`），各自统计。

Each road segment over all years, ranked by repeat pairs and then digs: the worst road
zippers. `years` = years with at least one dig, `utilities` = who dug it. A long road is
several segments."""),
    ("code", """hot_roads(res, top=10).round(0)"""),
    ("md", """## 违反禁挖期 — Moratorium breaches

`new_road`：新建、扩建、改建道路 5 年禁挖期；`major_repair`：大修后 3 年禁挖期。条例允许经市
人民政府批准后开挖，因此这份清单是需要核实批准文件的许可。`protected_until` 是保护期的最后
一天。先看逐年的次数，再看今年的清单。

`new_road`: the 5-year moratorium after a road opens; `major_repair`: 3 years after a major
repair. The regulation allows digging with the city government's approval, so this is the list
of permits whose approval to check. `protected_until` is the last protected day."""),
    ("code", """mor = res.moratorium
mor.assign(year=mor["planned_start"].dt.year).pivot_table(
    index="year", columns="rule", values="permit_id", aggfunc="count", fill_value=0)"""),
    ("code", """mor[mor["planned_start"].dt.year == YEAR].head(10)"""),
    ("md", """## 一个协调组 — One coordination group on the map

协调组是由冲突关系连起来的一组许可；若统一安排为一次同步施工，n 份许可可以少挖 n − 1 次
（`digs_saved`）。协调组按可少挖的次数排名。下面是今年开工的前几个协调组，我们取排名最靠前的
一个。

A group is the permits linked by conflicts; planned as one joint work, n permits save n − 1
digs. Groups are ranked by digs saved; we take this year's best."""),
    ("code", """this_year_groups = res.groups[res.groups["start"].dt.year == YEAR]
group = this_year_groups.iloc[0]
this_year_groups.head(5)[["group_id", "permits", "digs_saved", "concurrent_pairs",
                          "repeat_pairs", "start", "end", "span_days", "utilities",
                          "road_names"]]"""),
    ("md", """`excavation_map(..., group_id=...)` 只画该组的许可，以及周边 300 米内的道路（`clip_m`）：许可按
冲突状态着色，粉色/蓝色粗线是处于禁挖期的道路，另画出安全距离内的管线。左上角的日期筛选可以按月播放，看清各家单位先后开挖的
顺序。地图另存为 HTML，可直接发给各管线单位。

Only the group's permits and the roads within 300 m: permits coloured by conflict status,
roads under moratorium, pipelines within clearance, and a month-by-month date filter. Saved as
HTML to send to the utilities."""),
    ("code", """m = excavation_map(permits, res.permit_status, roads, moratorium_windows(roads), pipelines,
                   res.pipelines_at_risk, group_id=group["group_id"], clip_m=300,
                   title=f"协调组 {group['group_id']} · {group['road_names']}",
                   data_date=DATA_DATE, offline=True)
save(m, f"{OUTPUT}/02_group_{group['group_id']}.html")
m"""),
    ("md", """## 审查一份新申请 — Checking a new application

假设明年春天，自来水公司申请沿上面这个协调组所在的道路翻建给水管：沟槽宽 1.5 米，沿路段中心线，
两端各离路口 20 米。`check_permit` 用与上面完全相同的规则审查它，给出结论：
**不予许可**（落在禁挖期内）、**须协调同步施工**（与已登记许可同期或一年内在同一处开挖）、
**附条件许可**（安全距离内有管线，须先订保护方案）或**可予许可**。
实际工作中申请以 GeoJSON 提交（`yangpu-gis check-permit application.geojson`）；这里用 `trench_along`
沿道路中心线画出沟槽（`to_m=-20` 即离路段终点 20 米）。

Next spring the water company applies to relay a main along the group's road: a 1.5 m trench
along the centre line, stopping 20 m short of each junction. `check_permit` applies the same
rules and gives a verdict: refuse (moratorium), coordinate (concurrent or repeat digs),
conditions (pipelines within clearance: a protection plan first) or approve."""),
    ("code", """application = trench_along(roads, group["road_ids"].split(",")[0], from_m=20, to_m=-20,
                           width_m=1.5, planned_start=f"{YEAR + 1}-03-02",
                           planned_end=f"{YEAR + 1}-03-22", permit_id="NEW-001",
                           applicant="上海市自来水市北有限公司", utility="water")
check = check_permit(application, permits, roads, pipelines)
print(check.verdict_line)
application"""),
    ("md", """结论行列出触发的每一项：禁挖期、同期施工或一年内反复开挖的许可编号、将加入的协调组、安全距离内
的管线。下面逐项展开。与已登记许可的冲突：`kind` 为 `concurrent`（同期）或 `repeat`（反复开挖），
`days_apart` 为两者工期相隔的天数。

The verdict line names everything triggered; the tables below give the detail. First the
registered permits it conflicts with (`days_apart`: days between the two periods)."""),
    ("code", """check.conflicts"""),
    ("md", """禁挖期（为空表示没有落在任何道路的禁挖期内）/ Moratorium breaches (empty: none):"""),
    ("code", """check.moratorium"""),
    ("md", """安全距离内的管线，按管线种类汇总：`nearest_m` 为离沟槽最近的距离，`clearance_m` 为该类管线的
安全距离。 Pipelines within clearance by utility: the nearest distance and the clearance."""),
    ("code", """check.pipelines.groupby("utility").agg(pipes=("pipe_id", "size"),
                                       nearest_m=("distance_m", "min"),
                                       clearance_m=("clearance_m", "max")).round(1)"""),
    ("md", """它将加入的协调组（已登记的许可）。尚未开工的，应与这些单位一起安排工期、同步施工；已完工的
（看 `status` 列），说明这段路不久前刚挖过，新的开挖应说明理由，并与路政部门商定统一修复路面。

The coordination group it would join. Works not yet started should be planned with it as one
joint work; finished ones (see `status`) mean the road was dug recently: the applicant should
justify a new dig and agree the reinstatement with the road office."""),
    ("code", """check.group"""),
    ("md", """## 全区成果文件 — The full package to send

与命令 `yangpu-gis analyze excavation` 相同的文件：五张 CSV 表（Excel 可直接打开）、供 QGIS 使用的
`excavation.gpkg`，以及全区掘路协调图（可按日期筛选到今年）。
The same files as the command: five CSV tables, a GeoPackage for QGIS and the district map."""),
    ("code", """run = run_excavation(reg, f"{OUTPUT}/02_excavation", offline=True)
run.outputs"""),
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
    ("md", """## 全区成果文件 — The full package to send

与命令 `yangpu-gis analyze parking` 相同的文件（同一个函数 `run_parking`）：各街道和网格的供需表、
可达性、候选车库、挖潜小区、假设情景和参数表（均为 CSV，Excel 可直接打开）、供 QGIS 使用的
`parking.gpkg`，以及停车供需图。
The same files as the command (it calls the same `run_parking`): the CSV tables,
`parameters.csv` with every figure and its source, a GeoPackage for QGIS and the map."""),
    ("code", """from yangpu_gis.runs import run_parking

run = run_parking(reg, f"{OUTPUT}/03_parking", offline=True)
run.outputs"""),
]

NOTEBOOKS["04_coverage"] = [
    ("md", """# 04 · 全覆盖与空白点：美丽街区、停车可达、网格 — Coverage gaps

十四五规划多处要求“全覆盖”：美丽街区建设要沿街铺开，停车设施要步行可达，网格化管理要覆盖
全区、不留“三不管”地带。本笔记本回答三个问题：

1. 各街道有多少街道长度位于美丽街区内或紧邻美丽街区？哪些主次干路的长段还没有覆盖？
2. 哪些住宅小区步行 300 米内没有公共停车场或错峰共享车库？涉及多少户？
3. 网格是否无缝、无重叠地覆盖全区？哪些道路横跨街道界线，容易成为“三不管”？

Which streets, compounds and parts of the district does a programme or service not reach?
(1) the share of street length inside or next to a 美丽街区 (beautiful block), by subdistrict;
(2) compounds with no public or shared parking within 300 m walking; (3) gaps and overlaps in
the management grid, and roads no single subdistrict clearly owns (三不管).

**换成 PostGIS 只需改下面一行 / To use PostGIS, change the one line below.**"""),
    ("code", """REGISTRY = "yangpu_demo.gpkg"   # or "postgresql://postgres@127.0.0.1:5432/yangpu"
OUTPUT = "output"   # HTML maps to send to the subdistricts"""),
    ("code", """from pathlib import Path

from yangpu_gis.analysis.coverage import (
    COVERAGE_DEFAULTS,
    beautiful_streets,
    grid_completeness,
    parking_reach,
)
from yangpu_gis.demo import ensure_demo
from yangpu_gis.maps import save
from yangpu_gis.maps.coverage import coverage_map

Path(OUTPUT).mkdir(exist_ok=True)
reg = ensure_demo(REGISTRY)
DATA_DATE = reg.data_date()   # 数据日期，写在每张地图的标题下 / shown under every map title
layers = reg.read_layers("districts", "subdistricts", "grid_cells", "roads", "beautiful_blocks",
                         "residential_compounds", "parking_facilities")
COVERAGE_DEFAULTS.table()   # 每个默认值及其来源 / every default and its source"""),
    ("md", """## 1 · 美丽街区沿街覆盖率 — 美丽街区 street coverage

一条街道位于美丽街区范围内或距其 20 米以内的部分算作“已覆盖”（直线距离）；小区内部道路不计。
长度在街道（行政区划）界线处精确切分，所以各街道之和等于全区。`covered_share` = 已覆盖长度 ÷
街道总长。

A street is covered where it lies inside a beautiful block or within 20 m of one; roads inside
compounds are left out. Lengths are cut exactly at subdistrict boundaries, so the subdistricts
add up to the district. `covered_share` = covered length ÷ street length."""),
    ("code", """streets = beautiful_streets(layers["roads"], layers["beautiful_blocks"],
                            subdistricts=layers["subdistricts"], grid_cells=layers["grid_cells"])
s = streets.summary
print(f"{s['blocks']} 个美丽街区 / blocks; 街道 / streets {s['street_length_m'] / 1000:.1f} km, "
      f"已覆盖 / covered {s['covered_length_m'] / 1000:.1f} km = {s['covered_share']:.1%}")
streets.tables["by_class"].round(3)"""),
    ("md", """### 各街道 — By subdistrict

按覆盖率从低到高：排在前面的街道最需要新的美丽街区。`n_streets` 为经过该街道的道路数，`street_m`
为该街道范围内的街道总长，`covered_m` / `uncovered_m` 为其中已覆盖 / 未覆盖的长度（米）。

Lowest coverage first; `n_streets` = roads running through the subdistrict, `street_m` =
street length in it, `covered_m` / `uncovered_m` = the covered and uncovered metres."""),
    ("code", """streets.tables["subdistrict_totals"].sort_values("covered_share").round(3)"""),
    ("md", """分道路等级的覆盖率（行为街道，列为道路等级；空值表示该街道没有这一等级的道路）。
Coverage share by road class within each subdistrict (empty: no road of that class there)."""),
    ("code", """streets.tables["by_subdistrict"].pivot_table(
    index="name", columns="road_class", values="covered_share").round(3)"""),
    ("md", """### 覆盖率地图 — Choropleth

街道按覆盖率分级着色（红低绿高），绿色为已覆盖的街道，红色为未覆盖的街道，编号标出最长的
未覆盖主次干路段。点击街道查看数字。地图另存为 HTML。

Subdistricts shaded by coverage share, covered and uncovered streets, and the longest uncovered
arterial and secondary stretches numbered. Saved as HTML."""),
    ("code", """m = coverage_map(streets, data_date=DATA_DATE, offline=True)
save(m, f"{OUTPUT}/04_beautiful_streets.html")
m"""),
    ("md", """### 最长的未覆盖主次干路 — Longest uncovered arterial and secondary stretches

同名道路相连的未覆盖路段合并为一段，按长度排序：下一批美丽街区或沿街整治的候选。
Uncovered stretches of one road joined and ranked by length: candidates for the next blocks."""),
    ("code", """streets.tables["uncovered_stretches"].head(10).round(0)"""),
    ("md", """## 2 · 步行 300 米内没有停车场的小区 — Compounds without parking in reach

计入的停车设施：公共停车场（`kind = public`）和开放错峰共享的车库（`shared_offpeak`）；小区
自有车库和不共享的单位车库不计。距离沿道路网步行计算，从小区内的一个代表点出发。

Facilities counted: public car parks and garages shared off-peak (错峰共享); a compound's own
garage and unshared office garages do not count. Distance is walked along the roads from a
point inside each compound."""),
    ("code", """reach = parking_reach(layers["residential_compounds"], layers["parking_facilities"],
                      roads=layers["roads"], distance="network", service_m=300,
                      subdistricts=layers["subdistricts"], grid_cells=layers["grid_cells"])
r = reach.summary
print(f"计入 / counted: {r['facilities_counted']} 处停车设施 / facilities; "
      f"{r['compounds_unreached']} / {r['compounds']} 个小区 ({r['share_compounds_unreached']:.1%}) "
      f"{r['households_unreached']:,} 户 / households without one within {r['service_m']:.0f} m")"""),
    ("md", """### 各街道 — By subdistrict

`compounds_reached` / `compounds_unreached`：步行范围内有 / 没有停车设施的小区数；`covered_share`：
有停车设施的小区占比；`households_unreached`：范围外小区的户数。按范围外户数从多到少。

Compounds with and without a facility in reach, the share reached, and the households in the
compounds without one; most households first."""),
    ("code", """reach.tables["by_subdistrict"].sort_values("households_unreached", ascending=False).round(3)"""),
    ("md", """### 地图 — Map

街道按范围外户数着色（紫色越深户数越多），红色为步行范围内没有停车设施的小区，蓝点为计入的
停车设施，蓝线为从它们出发步行 300 米能到达的路段。 Subdistricts shaded by households without
parking in reach (darker = more); compounds without it in red; counted facilities and the
roads within a 300 m walk of them in blue."""),
    ("code", """m = coverage_map(reach, data_date=DATA_DATE, offline=True)
save(m, f"{OUTPUT}/04_parking_reach.html")
m"""),
    ("md", """### 户数最多的范围外小区 — The largest compounds without parking in reach

`nearest_distance_m`：沿路网步行到最近一处计入的停车设施的距离；为空表示沿路网到不了任何一处
（路网在那里不连通）。这些小区是新建公共泊位或协商错峰共享的首选。

Ranked by households; `nearest_distance_m` = walk to the nearest counted facility (empty: none
reachable on the network). First candidates for new public spaces or a sharing agreement."""),
    ("code", """reach.tables["unreached"][["rank", "name", "households", "built_year", "nearest_name",
                          "nearest_kind", "nearest_distance_m"]].head(10).round(0)"""),
    ("md", """## 3 · 网格是否全覆盖 — Grid gaps and overlaps, and 三不管 roads

网格化管理要求每一寸土地都属于且只属于一个网格。检查三件事：`gaps` 全区范围内不属于任何网格的
空白；`overlaps` 两个网格重叠的部分；`outside` 网格超出区界的部分（小于 1 平方米的细碎缝隙不计）。
另外检查道路：`straddles` 横跨两个及以上街道，`on_boundary` 沿街道界线走，`partly_outside` 部分
在区外，`no_subdistrict` 不在任何街道内——这些就是容易出现“三不管”的道路（一段路在某街道内
不足 5 米不计）。小区内部道路由物业管理，不算“三不管”，默认不查（`include_internal=True` 可一并检查）。

Every part of the district should be in exactly one grid cell: gaps (in no cell), overlaps
(in two), parts of cells outside the district (slivers under 1 m² ignored). Roads are checked
against the subdistricts: straddling two or more, running along a boundary, partly outside the
district, in none — the roads no one clearly owns (pieces under 5 m ignored). Compound-internal
roads are the property manager's, so they are left out (`include_internal=True` checks them
too)."""),
    ("code", """grid = grid_completeness(layers["grid_cells"], district=layers["districts"],
                         subdistricts=layers["subdistricts"], roads=layers["roads"])
grid.summary"""),
    ("md", """空白与重叠的清单（表为空表示没有）。 The gaps and overlaps (empty tables: there are none)."""),
    ("code", """print("gaps / 空白:")
print(grid.tables["gaps"].round(1).to_string())
print("overlaps / 重叠:")
print(grid.tables["overlaps"].round(1).to_string())"""),
    ("md", """### 三不管道路 — Roads no single subdistrict owns

`subdistrict_ids` / `subdistrict_lengths_m`：道路经过的街道及在各街道内的长度（米），`issue` 为
主要问题。按道路等级和问题汇总，再列出最长的几条。

Which subdistricts each road runs through and for how many metres; counted by class and issue,
then the longest."""),
    ("code", """roads_issues = grid.tables["roads"]
roads_issues.pivot_table(index="road_class", columns="issue", values="road_id", aggfunc="count",
                         fill_value=0)"""),
    ("code", """roads_issues.sort_values("length_m", ascending=False)[
    ["road_id", "name", "road_class", "length_m", "subdistrict_ids", "subdistrict_lengths_m",
     "issue"]].head(10).round(1)"""),
    ("md", """各街道：网格数、空白和重叠面积（平方米）、涉及的三不管道路数。
By subdistrict: grid cells, gap and overlap area (m²), roads with an ownership issue."""),
    ("code", """grid.tables["by_subdistrict"].round(1)"""),
    ("md", """地图：灰线为网格，红色为空白，紫色为重叠，彩色粗线为三不管道路（按问题着色，见图例）。
The grid, its gaps (red) and overlaps (purple), and the roads with an ownership issue."""),
    ("code", """m = coverage_map(grid, data_date=DATA_DATE, offline=True)
save(m, f"{OUTPUT}/04_grid.html")
m"""),
    ("md", """### 空白和重叠长什么样 — What a gap and an overlap look like

如果上面的清单为空，说明这份网格是完整的。街道报来的网格常常并非如此：为了看清检查的结果，
我们在一份副本里删掉一个网格、把另一个网格向外画大 30 米，再检查一遍。地图上红色为空白，
紫色为重叠，橙色虚线为超出区界的部分。

If the lists above are empty, this grid is complete. Grids sent by subdistricts often are not:
to see what the check reports, we delete one cell and draw another 30 m too large in a copy,
and check again."""),
    ("code", """damaged = layers["grid_cells"].copy()
damaged = damaged.drop(index=damaged.index[100])                     # 漏画一个网格 / one cell missing
damaged.loc[damaged.index[300], "geometry"] = damaged.geometry.iloc[300].buffer(30)   # 画大 / too large
check = grid_completeness(damaged, district=layers["districts"], subdistricts=layers["subdistricts"])
print({k: v for k, v in check.summary.items() if k.startswith(("gap", "overlap", "outside"))})
check.tables["overlaps"].round(1)"""),
    ("code", """m = coverage_map(check, title="网格检查示例（人为制造的空白与重叠）", data_date=DATA_DATE,
                 offline=True)
save(m, f"{OUTPUT}/04_grid_damaged.html")
m"""),
    ("md", """## 全区成果文件 — The full package to send

与命令 `yangpu-gis analyze coverage` 相同的文件（同一个函数 `run_coverage`）：四个专题的表格
（CSV）、参数表、供 QGIS 使用的 `coverage.gpkg`，以及每个专题一张地图。
The same files as the command (it calls the same `run_coverage`): every preset's tables,
`parameters.csv`, one GeoPackage and one map per preset."""),
    ("code", """from yangpu_gis.runs import run_coverage

run = run_coverage(reg, f"{OUTPUT}/04_coverage", offline=True)
sorted(run.outputs)[:8]"""),
]

NOTEBOOKS["05_deliveries"] = [
    ("md", """# 05 · 道路图层的两次交付：改了什么 — Two deliveries of the roads layer

建管委每年交付一次道路中心线。登记库保留每一个要素的每一个版本：哪次装载写入了它、哪次装载
结束了它。因此登记库能回答规划人员真正要问的问题：**今年的道路数据和去年相比改了什么？
2024 年的报告当时看到的是什么？某条路经历了哪些变化？**

本笔记本讲两次交付的故事：2024 年的交付就是演示数据中的道路；2025 年的交付由它改出——
一条道路更名、一个路段拓宽、一段线形重新测量（平移了几米）、新建两条内部道路、撤销一条弄堂。

The roads bureau re-delivers its centre lines every year. The registry keeps every version of
every feature, with the load that wrote it and the load that ended it, so it can answer: *what
did this year's delivery change? what did the registry say when the 2024 report was made?
what happened to this road?* The 2024 delivery is the demo roads; the 2025 one is made from it
below: a renamed road, a widened segment, a re-surveyed (moved) alignment, two new roads and
a removed alley.

**换成 PostGIS 只需改下面一行 / To use PostGIS, change the one line below.**"""),
    ("code", """REGISTRY = "deliveries.gpkg"   # or "postgresql://postgres@127.0.0.1:5432/yangpu"
OUTPUT = "output"               # the change map for the roads bureau"""),
    ("code", """from pathlib import Path

import pandas as pd
import shapely

import yangpu_gis
from yangpu_gis import maps
from yangpu_gis.datasets import get_path

Path(OUTPUT).mkdir(exist_ok=True)
if not REGISTRY.startswith("postgresql"):
    Path(REGISTRY).unlink(missing_ok=True)   # 每次从头讲起 / tell the story from the start
reg = yangpu_gis.open_registry(REGISTRY, create=True)"""),
    ("md", """## 2024 年的交付 — The 2024 delivery

演示数据中的道路 Shapefile（GBK 编码），按 `replace` 方式装载。我们顺便算出 2024 年报告里的
一个数字：各等级道路的总长度（公里）。

The demo roads shapefile, loaded with `replace`. We also compute a figure of the 2024
report: kilometres of road per class."""),
    ("code", """first = reg.load(get_path("demo/roads.shp"), "roads", mode="replace", encoding="GBK")
B2024 = first.batch_id
roads_2024 = reg.read("roads")


def km_by_class(roads):   # 各等级道路总长（公里）/ km per class (EPSG:4549 is in metres)
    return (roads.geometry.length / 1000).groupby(roads["road_class"]).sum().round(2)


report_2024 = km_by_class(roads_2024)      # 2024 年报告中的数字 / the figure in the 2024 report
print(f"batch {B2024}: {len(roads_2024)} 个路段 / road segments")
report_2024.rename("km")"""),
    ("md", """## 2025 年的交付 — The 2025 delivery

由 2024 年的数据改出 2025 年的交付，并像委办局那样写成一个 GeoPackage 文件：

* 一条支路更名（它的所有路段）/ a branch road renamed (all its segments);
* 一个次干路路段拓宽 6 米 / a secondary segment widened by 6 m;
* 一个主干路路段重新测量，线形向东 3 米、向北 1.5 米 / an arterial segment re-surveyed,
  3 m east and 1.5 m north;
* 新建两条内部道路 / two new internal roads;
* 撤销一条弄堂 / one alley removed."""),
    ("code", """r = roads_2024.drop(columns="batch_id").set_index("road_id")

segments = r[r["road_class"] == "branch"].groupby("name").size()
OLD_NAME = segments[(segments >= 2) & segments.index.str.endswith("路")].index[0]
NEW_NAME = OLD_NAME[:-1] + "街"
RENAMED = r.index[r["name"] == OLD_NAME]
r.loc[RENAMED, "name"] = NEW_NAME

WIDENED = r.index[r["road_class"] == "secondary"][0]
r.loc[WIDENED, "width_m"] += 6.0

MOVED = r.index[r["road_class"] == "arterial"][5]
r.loc[MOVED, "geometry"] = shapely.affinity.translate(r.loc[MOVED, "geometry"], 3.0, 1.5)

REMOVED = r.index[r["road_class"] == "alley"][0]
r = r.drop(index=REMOVED)

new = r[r["road_class"] == "internal"].iloc[:2].copy()
new.index = pd.Index(["R90001", "R90002"], name="road_id")
new["name"] = ["新建内部道路一", "新建内部道路二"]
new["built_date"] = pd.Timestamp("2025-06-30")
new["last_major_repair_date"] = pd.NaT
new["pci"] = 100.0
new["geometry"] = new.geometry.translate(yoff=60.0)     # 60 m north of two existing roads

pd.concat([r, new]).reset_index().to_file("roads_2025.gpkg", driver="GPKG")
print(f"更名 renamed: {OLD_NAME} → {NEW_NAME} ({len(RENAMED)} 个路段 segments); "
      f"拓宽 widened: {WIDENED}; 重测 moved: {MOVED}; 撤销 removed: {REMOVED}")"""),
    ("code", """second = reg.load("roads_2025.gpkg", "roads", mode="replace")
B2025 = second.batch_id
print(f"batch {B2025}: 新增 added {second.rows_inserted}, 修改 modified {second.rows_updated}, "
      f"撤销 removed {second.rows_deleted}, 未变 unchanged {second.rows_unchanged}")
reg.batches()[["batch_id", "layer", "mode", "source", "rows_read", "rows_inserted",
               "rows_updated", "rows_deleted", "rows_unchanged"]]"""),
    ("md", """登记库逐个要素比较属性和几何：未变的路段原样保留（不新增版本），所以存储随变化
增长，而不是随交付次数增长。批次表记下每次装载新增、修改、撤销和未变的要素数。

Unchanged segments are kept as they were (no new version): storage grows with changes, not
with deliveries. The batches table says, per load, how many features were added, modified,
removed and unchanged."""),
    ("md", """## 两次交付之间改了什么 — What changed between the deliveries

`reg.diff("roads")` 默认比较该图层最近的两次交付（这里就是批次 `B2024` 和 `B2025`），
与命令 `yangpu-gis diff roads --json` 相同。

By default the diff compares the layer's last two deliveries (the same as
`yangpu-gis diff roads --json`)."""),
    ("code", """d = reg.diff("roads")
assert (d.from_batch, d.to_batch) == (B2024, B2025)
d.counts"""),
    ("md", """### 改了哪些字段 — The changed fields

每个被修改的路段，哪些字段从什么值改成了什么值（字段用目录中的中文名）。

For every modified segment, each changed field with its old and new value."""),
    ("code", """changes = pd.DataFrame([
    {"road_id": rid, "字段 field": d.labels.get(col, col), "原值 old": v["old"],
     "新值 new": v["new"]}
    for rid, fields in zip(d.modified["road_id"], d.modified["fields"], strict=True)
    for col, v in fields.items()])
changes"""),
    ("md", """### 几何变化 — How far the geometry moved

重新测量的路段：Hausdorff 距离（两条线之间最远的偏离，米）和长度变化。
The re-surveyed segment: Hausdorff distance (the farthest the two lines are apart, m) and
the change of length."""),
    ("code", """moved = d.modified[d.modified["geometry_changed"]]
moved[["road_id", "hausdorff_m", "length_change_m"]].round(3)"""),
    ("code", """d.to_frame().drop(columns="geometry")     # 每个变化一行 / one row per change (diff -o)"""),
    ("md", """## 重做 2024 年的数字 — Make the 2024 figure again

2025 年的数据装载之后，`reg.read("roads", as_of=B2024)` 仍然给出 2024 年交付时的道路图层
（`as_of` 也可以是日期，例如 `as_of="2024-12-31"`：该日结束前最后一次装载之后的状态），
因此 2024 年报告中的数字可以原样重算。命令行里是 `--as-of`（`export`、`map`、`analyze`）。

After the 2025 delivery, `read(..., as_of=B2024)` still returns the layer as delivered in
2024 (a date works too: `as_of="2024-12-31"`), so the 2024 figure comes out again exactly.
On the command line: `--as-of` on `export`, `map` and every `analyze` command."""),
    ("code", """again = km_by_class(reg.read("roads", as_of=B2024))
assert again.equals(report_2024)       # 与当年报告完全相同 / exactly the 2024 figure
pd.DataFrame({"2024 报告 report": report_2024, "as_of 重算 again": again,
              "2025 现状 now": km_by_class(reg.read("roads"))})"""),
    ("md", """## 一条路的历史 — The history of one road

`reg.history("roads", 编号)` 列出一个路段的每个版本：写入它的批次（`batch_id`）、结束它的
批次（`ended_batch`，现行版本为空）、有效期和当时的属性。与 `yangpu-gis history roads ID`
相同。下面是重新测量的路段和被撤销的弄堂。

Every version of a segment: the batch that wrote it, the batch that ended it (empty for the
live one), when, and its values. Below: the re-surveyed segment and the removed alley."""),
    ("code", """cols = ["batch_id", "ended_batch", "valid_from", "valid_to", "mode", "name", "width_m"]
h = reg.history("roads", MOVED)
h.assign(length_m=h.geometry.length.round(2))[cols + ["length_m"]]"""),
    ("code", """reg.history("roads", REMOVED)[cols]"""),
    ("md", """## 变化地图 — The change map

`maps.changes_map` 把这次交付的变化画在一张离线地图上，发给建管委核对：新增为绿色，撤销为
红色虚线，修改为橙色（线形移动过的路段，原位置是一条灰色虚线）；弹出框逐项列出改动的字段
（原值 → 新值）和几何移动的距离；各街道的变化数列在一张表里。街道边界取自演示数据。

Added green, removed red (dashed), modified orange (a moved segment's former alignment a
thin grey dashed line); popups list each changed field old → new and how far the geometry
moved; a panel counts the changes per subdistrict (outlines from the demo data)."""),
    ("code", """from yangpu_gis.maps.changes import changes_by_subdistrict

reg.load(get_path("demo/subdistricts.geojson"), "subdistricts", mode="replace")
subdistricts = reg.read("subdistricts")
by_subdistrict = changes_by_subdistrict(d, subdistricts)
by_subdistrict[by_subdistrict["total"] > 0]"""),
    ("code", """m = maps.changes_map(d, subdistricts, context=reg.read("roads", as_of=d.to_batch),
                     title="杨浦区道路 2025 年交付的变化", offline=True)
maps.save(m, f"{OUTPUT}/05_road_changes.html")
m"""),
]


NOTEBOOKS["06_complaints_causes"] = [
    ("md", """# 06 · 12345 工单：归并成案件，再找成因 — 12345 cases and their root causes

规划要求对热线工单“排除冗余数据、分析有效数据，找到问题根源和症结”。本笔记本分两步：

1. **甄别归并**：同一类别、相距 50 米以内、72 小时以内的工单是同一个案件，按街道、网格和
   责任部门派单；
2. **找成因**：把每张工单与最可能引起它的原因相连——旁边正在施工的掘路许可、它所在的 DEM
   洼地、或它所在的路况差（PCI 中/差）的道路，并统计每个许可、每个申请单位、每条道路、每个洼地
   引起了多少诉求。

Merge duplicate work orders into cases and dispatch them (1), then link each order to what most
likely caused it — the excavation works beside it, the DEM depression it lies in, or the road in
poor condition it is on — and count what each permit, applicant, road and depression explains (2).

**换成 PostGIS 只需改下面一行 / To use PostGIS, change the one line below.**"""),
    ("code", """REGISTRY = "yangpu_demo.gpkg"   # or "postgresql://postgres@127.0.0.1:5432/yangpu"
OUTPUT = "output"   # HTML maps to send to the bureaus"""),
    ("code", """from pathlib import Path

from yangpu_gis.analysis.causes import CAUSES_DEFAULTS, DEFAULT_CAUSE_RULES, analyze_causes
from yangpu_gis.analysis.complaints import merge_duplicates, route_cases
from yangpu_gis.analysis.waterlogging import find_depressions
from yangpu_gis.demo import ensure_demo
from yangpu_gis.maps import save
from yangpu_gis.maps.causes import causes_map

Path(OUTPUT).mkdir(exist_ok=True)
reg = ensure_demo(REGISTRY)
DATA_DATE = reg.data_date()   # 数据日期，写在每张地图的标题下 / shown under every map title
layers = reg.read_layers("complaints", "subdistricts", "grid_cells", "roads",
                         "excavation_permits")
CAUSES_DEFAULTS.table()   # 每个默认值及其来源 / every default and its source"""),
    ("md", """## 1 · 甄别归并与派单 — Merge and dispatch

`n_orders` 为一个案件归并的工单数。靠近街道界线（15 米内）或只按地址定位到道路的案件转人工派单。
`n_orders` is how many orders a case merges; cases near a subdistrict border (15 m) or placed
only by their address go to manual dispatch."""),
    ("code", """merged = merge_duplicates(layers["complaints"], subdistricts=layers["subdistricts"],
                          grid_cells=layers["grid_cells"])
cases = merged.cases
print(f"{len(layers['complaints']):,} 张工单 / orders → {len(cases):,} 个案件 / cases")
cases.groupby("category")["n_orders"].agg(["size", "sum", "max"]).sort_values("sum",
                                                                              ascending=False)"""),
    ("code", """routing = route_cases(cases, subdistricts=layers["subdistricts"],
                      grid_cells=layers["grid_cells"])
routing.groupby(["department", "dispatch"]).size().unstack(fill_value=0)"""),
    ("md", """## 2 · 成因 — Root causes

规则（可用 TOML 文件覆盖）：每个类别依次尝试的成因类型，第一个有候选的类型胜出，同类型中取最近的。
The rules (a TOML file overrides them): the cause kinds tried for each category, in order; the
first kind with a candidate wins, then the nearest cause of that kind."""),
    ("code", """DEFAULT_CAUSE_RULES"""),
    ("md", """洼地来自登记库中的 DEM（与 `analyze waterlogging` 同一个填洼算法）。
The depressions come from the registry's DEM (the same fill as `analyze waterlogging`)."""),
    ("code", """dem = reg.read_raster("dem")
depressions = find_depressions(dem.values, dem.transform, catchments=False,
                               crs=dem.crs).polygons()
res = analyze_causes(layers["complaints"], permits=layers["excavation_permits"],
                     depressions=depressions, roads=layers["roads"],
                     subdistricts=layers["subdistricts"], cases=merged.orders)
s = res.summary()
print(f"{s['linked']:,} / {s['orders_with_rule']:,} 张有规则的工单找到成因 / orders linked "
      f"({s['cases_linked']:,} 个案件 / cases): {s['by_kind']}")
res.causes.head()"""),
    ("md", """### 各类别被解释的比例 — Share explained, per subdistrict

`share` = 找到成因的工单 ÷ 该类别工单数。行为街道，列为类别。
`share` = orders explained ÷ orders of the category; rows are subdistricts."""),
    ("code", """share = res.explained_share.pivot(index="subdistrict_id", columns="category", values="share")
share.round(3)"""),
    ("md", """### 哪些施工单位的工程引起的诉求最多 — Which applicants' works draw the most calls

给建管委掘路管理：`complaints_per_permit` 高的单位，施工围挡、夜间施工和路面恢复需要重点督查。
For the excavation office: applicants with a high `complaints_per_permit` need closer
supervision of hoarding, night works and reinstatement."""),
    ("code", """res.applicant_complaints.head(10)"""),
    ("code", """res.permit_complaints.head(10)"""),
    ("md", """### 路况差的道路与积水洼地 — Bad roads and flooding depressions

引起破损诉求最多的道路，优先列入大中修计划；引起积水诉求最多的洼地，优先排查雨水口与泵站。
The roads with the most damage calls go first into the repair plan; the depressions with the
most flooding calls first into gully and pump checks."""),
    ("code", """res.road_complaints.head(10)"""),
    ("code", """res.depression_complaints.head(10)"""),
    ("md", """### 成因地图 — The map

工单按成因着色，细线连向其成因；点击许可、道路、洼地可看到它引起的工单数和案件数。
Orders coloured by cause with a thin line to it; click a permit, road or depression for the
orders and cases it explains."""),
    ("code", """m = causes_map(res, subdistricts=layers["subdistricts"], data_date=DATA_DATE, offline=True)
save(m, f"{OUTPUT}/06_causes.html")
m"""),
    ("md", """## 全区成果文件 — The full package to send

与命令 `yangpu-gis analyze causes` 相同的文件（同一个函数 `run_causes`）。
The same files as the command (it calls the same `run_causes`)."""),
    ("code", """from yangpu_gis.runs import run_causes

run = run_causes(reg, f"{OUTPUT}/06_causes", offline=True)
sorted(run.outputs)"""),
]

NOTEBOOKS["07_pipes_and_homes"] = [
    ("md", """# 07 · 老旧管线更新、架空线入地与美丽家园 — Pipe renewal, overhead lines, 美丽家园

规划要求“持续排查更新老旧燃气管道”“实施各类架空线入地整治”，并推进“美丽家园”建设，规模
不小于“十三五”。本笔记本回答三个问题：

1. 哪些管段最该先更新？学校、医院旁的铸铁燃气管有哪些？
2. 架空线入地完成了多少？哪些道路还有架空线，哪些已逾期？
3. 美丽家园（小区改造、雨污混接改造、加装电梯）离目标还差多少？

Which pipe segments to renew first (and the cast-iron gas mains near schools and hospitals),
how much of the overhead lines is buried, and how far 美丽家园 is from its targets.

**换成 PostGIS 只需改下面一行 / To use PostGIS, change the one line below.**"""),
    ("code", """REGISTRY = "yangpu_demo.gpkg"   # or "postgresql://postgres@127.0.0.1:5432/yangpu"
OUTPUT = "output"   # HTML maps to send to the bureaus"""),
    ("code", """from pathlib import Path

from yangpu_gis.analysis.homes import analyze_homes
from yangpu_gis.analysis.overhead import analyze_overhead
from yangpu_gis.analysis.pipelines import PIPELINES_DEFAULTS, analyze_pipelines
from yangpu_gis.demo import ensure_demo
from yangpu_gis.maps import save
from yangpu_gis.maps.homes import homes_map
from yangpu_gis.maps.overhead import overhead_map
from yangpu_gis.maps.renewal import renewal_map

Path(OUTPUT).mkdir(exist_ok=True)
reg = ensure_demo(REGISTRY)
DATA_DATE = reg.data_date()   # 数据日期，写在每张地图的标题下 / shown under every map title
layers = reg.read_layers("pipelines", "excavation_permits", "complaints", "pois",
                         "residential_compounds", "subdistricts", "roads")
PIPELINES_DEFAULTS.table()   # 每个默认值及其来源 / every default and its source"""),
    ("md", """## 1 · 管线更新优先级 — Pipe renewal priority

得分 = 七个因子（管龄、材质、压力、管径、第三方破坏、相关诉求、周边学校医院小区）加权之和，
0–100 分；`c_*` 列是每个因子贡献的分数，相加等于总分。分析日期取登记库中最新工单或许可的日期。
Score = weighted sum of seven factors (0–100); the `c_*` columns are each factor's points and
add up to the score. The analysis date is the newest order or permit in the registry."""),
    ("code", """res = analyze_pipelines(layers["pipelines"], as_of="2025-12-31",
                        permits=layers["excavation_permits"], complaints=layers["complaints"],
                        pois=layers["pois"], compounds=layers["residential_compounds"],
                        subdistricts=layers["subdistricts"])
cols = ["rank", "pipe_id", "utility", "material", "install_year", "score",
        *[c for c in res.renewal.columns if c.startswith("c_")]]
res.renewal[cols].head(10)"""),
    ("code", """res.by_utility"""),
    ("md", """### 燃气安全视图 — Gas safety view

铸铁燃气管中，距学校、医院 100 米以内的排在最前。
Cast-iron gas mains within 100 m of a school or hospital come first."""),
    ("code", """res.gas_safety.head(10)"""),
    ("code", """m = renewal_map(res, subdistricts=layers["subdistricts"], data_date=DATA_DATE, offline=True)
save(m, f"{OUTPUT}/07_renewal.html")
print("written", f"{OUTPUT}/07_renewal.html")"""),
    ("md", """## 2 · 架空线入地 — Burying overhead lines

已入地或已拆除（含无主架空线清理）的长度按年份累计；计划年度已过仍未入地的为逾期。
Length buried or removed per year, cumulated; lines planned for a past year and still
overhead are overdue."""),
    ("code", """lines = reg.read("overhead_lines")
over = analyze_overhead(lines, as_of_year=2025, roads=layers["roads"],
                        subdistricts=layers["subdistricts"])
print(over.summary())
over.by_year"""),
    ("code", """over.by_subdistrict.sort_values("share_done")"""),
    ("code", """m = overhead_map(over, subdistricts=layers["subdistricts"], data_date=DATA_DATE, offline=True)
save(m, f"{OUTPUT}/07_overhead.html")
m"""),
    ("md", """## 3 · 美丽家园 — Beautiful homes

“十三五”完成 132 个小区 457 万 m²、雨污混接改造 176 个点位、加装电梯竣工 26 台；
“十四五”规模不小于“十三五”。`left` 为距目标还差多少。
The 13th plan's figures are the 14th plan's floor; `left` is what remains to do."""),
    ("code", """homes = analyze_homes(layers["residential_compounds"],
                      misconnections=reg.read("sewer_misconnections"),
                      elevators=reg.read("elevator_installations"),
                      subdistricts=layers["subdistricts"])
homes.targets"""),
    ("code", """homes.by_year[homes.by_year["year"] >= 2016]"""),
    ("code", """m = homes_map(homes, subdistricts=layers["subdistricts"], data_date=DATA_DATE, offline=True)
save(m, f"{OUTPUT}/07_homes.html")
m"""),
    ("md", """## 全区成果文件 — The full packages to send

与命令 `yangpu-gis analyze pipelines`、`analyze overhead`、`analyze homes` 相同的文件。
The same files as the commands (they call the same `run_*` functions)."""),
    ("code", """from yangpu_gis.runs import run_homes, run_overhead, run_pipelines

runs = [run_pipelines(reg, f"{OUTPUT}/07_pipelines"), run_overhead(reg, f"{OUTPUT}/07_overhead"),
        run_homes(reg, f"{OUTPUT}/07_homes")]
[sorted(r.outputs) for r in runs]"""),
]

NOTEBOOKS["08_condition"] = [
    ("md", """# 08 · 积水、水质与好路率 — Waterlogging, water quality and road condition

规划要求“保障道路通行、消除积水点”“河道水质稳定达标”“好路率由 94.4% 提高到 95%”。本笔记本
用登记库中的数字高程模型（DEM）、水质监测数据和道路 PCI 回答：

1. 哪些洼地下雨时会积水？哪些道路和小区位于其中？
2. 各监测断面的水质达到 GB 3838-2002 的哪一类？哪些河段未达目标？
3. 各街道的好路率是多少？哪些道路最差？

Where does rain collect (depressions of the DEM and the roads and compounds in them), which
GB 3838-2002 class does each monitoring station and river stretch reach, and what is the
good-road rate (好路率) of each subdistrict.

**换成 PostGIS 只需改下面一行 / To use PostGIS, change the one line below.**"""),
    ("code", """REGISTRY = "yangpu_demo.gpkg"   # or "postgresql://postgres@127.0.0.1:5432/yangpu"
OUTPUT = "output"   # HTML maps to send to the bureaus"""),
    ("code", """from pathlib import Path

from yangpu_gis.analysis.road_condition import ROAD_CONDITION_DEFAULTS, analyze_road_condition
from yangpu_gis.analysis.water_quality import analyze_water_quality
from yangpu_gis.analysis.waterlogging import WATERLOGGING_DEFAULTS, analyze_waterlogging
from yangpu_gis.demo import ensure_demo
from yangpu_gis.maps import save
from yangpu_gis.maps.condition import road_condition_map, water_quality_map, waterlogging_map

Path(OUTPUT).mkdir(exist_ok=True)
reg = ensure_demo(REGISTRY)
DATA_DATE = reg.data_date()   # 数据日期，写在每张地图的标题下 / shown under every map title
layers = reg.read_layers("roads", "residential_compounds", "subdistricts", "rivers",
                         "water_stations", "water_samples")
WATERLOGGING_DEFAULTS.table()   # 每个默认值及其来源 / every default and its source"""),
    ("md", """## 1 · 积水风险 — Waterlogging

DEM 经优先洪泛法填洼（numba 实现，结果与 pysheds 逐格相同），填充深度超过 5 厘米的连片格网即为洼地；与洼地相交的路段和小区
即为积水风险对象。Depressions are the cells the priority-flood fill raises by more than
5 cm; the roads and compounds inside them are at risk."""),
    ("code", """dem = reg.read_raster("dem")
flood = analyze_waterlogging(dem, layers["roads"], layers["residential_compounds"])
print(flood.summary())
flood.depressions.sort_values("volume_m3", ascending=False).head(10)[
    ["depression_id", "area_m2", "max_depth_m", "volume_m3", "catchment_m2"]]"""),
    ("code", """flood.tables()["roads_at_risk"].head(10)"""),
    ("code", """m = waterlogging_map(flood, subdistricts=layers["subdistricts"], data_date=DATA_DATE,
                     offline=True)
save(m, f"{OUTPUT}/08_waterlogging.html")
m"""),
    ("md", """## 2 · 河道水质 — Water quality (GB 3838-2002)

每个样品按各项指标中最差的一项定类；断面按监测期内各指标的均值定类，并与目标类别比较。
A sample's class is its worst parameter's; a station's class is that of its mean values over
the period, compared with its target class."""),
    ("code", """water = analyze_water_quality(layers["water_samples"], layers["water_stations"],
                              rivers=layers["rivers"])
water.stations"""),
    ("code", """m = water_quality_map(water.rivers, water.station_points, data_date=DATA_DATE, offline=True)
save(m, f"{OUTPUT}/08_water_quality.html")
m"""),
    ("md", """## 3 · 好路率 — Road condition

按道路等级的 PCI 阈值分为优、良、中、差；好路率 = 优良路段长度 ÷ 有 PCI 的道路长度，道路在街道
边界处精确切分。The good-road rate is the share of rated length graded 优 or 良; roads are
cut exactly at subdistrict borders."""),
    ("code", """roads = analyze_road_condition(layers["roads"], layers["subdistricts"])
print(f"目标 / target {ROAD_CONDITION_DEFAULTS.target_rate:.0%}")
roads.table[roads.table["road_class"] == "all"].sort_values("good_rate")"""),
    ("code", """roads.worst.head(10)"""),
    ("code", """m = road_condition_map(roads.subdistricts, roads.roads, data_date=DATA_DATE, offline=True)
save(m, f"{OUTPUT}/08_road_condition.html")
m"""),
    ("md", """## 全区成果文件 — The full packages to send

与命令 `yangpu-gis analyze waterlogging`、`analyze water-quality`、`analyze road-condition`
相同的文件。The same files as the three commands (the same `run_*` functions)."""),
    ("code", """from yangpu_gis.runs import run_road_condition, run_water_quality, run_waterlogging

runs = [run_waterlogging(reg, f"{OUTPUT}/08_waterlogging"),
        run_water_quality(reg, f"{OUTPUT}/08_water_quality"),
        run_road_condition(reg, f"{OUTPUT}/08_road_condition")]
[sorted(r.outputs) for r in runs]"""),
]

def _same_cells(path: Path, nb) -> bool:
    """Whether the notebook at ``path`` already has exactly these cells (ids aside)."""
    if not path.exists():
        return False
    old = nbformat.read(path, as_version=4)
    return ([(c.cell_type, c.source) for c in old.cells]
            == [(c.cell_type, c.source) for c in nb.cells])


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
        if not _same_cells(path, nb):      # unchanged: keep the file (and its cell ids)
            nbformat.write(nb, path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in build(Path(__file__).resolve().parents[1] / "notebooks"):
        print(p)
