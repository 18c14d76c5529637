"""The layer catalogue: every registry layer, its geometry, columns, types and enumerations.

This module is data. Loaders, both registry backends, the maps and the analyses read it; no
other module hard-codes a layer's columns. The minimum catalogue (layer names and required
columns) is fixed by ``DOMAIN.md`` ("Layer catalogue"); optional columns and Chinese aliases
are ours.

Column types
------------
``str``, ``int``, ``float``, ``bool``, ``date`` (ISO ``YYYY-MM-DD``), ``datetime`` (ISO 8601
with time zone; Asia/Shanghai when none is given).

Geometry
--------
``geometry`` lists the allowed geometry families (``Point``, ``LineString``, ``Polygon``).
Storage normalises them: polygons are stored as ``MultiPolygon`` (subdistricts have islands,
e.g. 复兴岛 in 定海路街道), lines as ``LineString``, points as ``Point``. A layer that allows
two families is stored with the generic ``Geometry`` type. A layer with no families
(``geometry=()``, e.g. ``water_samples``) is an attribute table: loaded from CSV/XLSX without
coordinates, stored without a geometry column and read back as a plain ``pandas.DataFrame``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .errors import ValidationError

__all__ = [
    "BATCH_COLUMN",
    "BUILTIN_LAYERS",
    "CATALOGUE",
    "Column",
    "Layer",
    "catalogue_restored",
    "get_layer",
    "layer_names",
    "register_layer",
    "unregister_layer",
]

#: Column every stored row carries: the id of the load (batch) that wrote it.
BATCH_COLUMN = "batch_id"

COLUMN_TYPES = ("str", "int", "float", "bool", "date", "datetime")


@dataclass(frozen=True)
class Column:
    """One attribute of a layer.

    Parameters
    ----------
    name : str
        Catalogue name (ASCII, snake_case), as stored.
    type : str
        One of ``str, int, float, bool, date, datetime``.
    label : str
        Chinese display name, used for map popups and reports.
    required : bool
        NOT NULL in storage; the load is refused if missing or empty.
    allowed : tuple of str, optional
        Enumeration of allowed values (a CHECK constraint in PostGIS).
    value_aliases : dict, optional
        Source values accepted for an enumeration and the catalogue value they mean
        (e.g. ``主干路 -> arterial``).
    min, max : float, optional
        Inclusive numeric bounds.
    aliases : tuple of str
        Source column names mapped to this column automatically (e.g. ``道路名称``).
    """

    name: str
    type: str
    label: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    value_aliases: dict[str, str] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")

    @property
    def value_labels(self) -> dict[str, str]:
        """Chinese display label of each enumerated value: its first alias (``主干路``).

        Examples
        --------
        >>> get_layer("roads").column("road_class").value_labels["arterial"]
        '主干路'
        """
        labels: dict[str, str] = {}
        for alias, value in self.value_aliases.items():
            labels.setdefault(value, alias)
        return labels


@dataclass(frozen=True)
class Layer:
    """One registry layer.

    Parameters
    ----------
    name : str
        Layer (table) name.
    label : str
        Chinese display name.
    geometry : tuple of str
        Allowed geometry families: ``Point``, ``LineString``, ``Polygon``; empty for an
        attribute table without geometry.
    id_column : str
        Primary key column.
    columns : tuple of Column
        Attributes, the id column first.
    style : dict, optional
        Map style of a layer the district defined (:mod:`yangpu_gis.layer_definitions`):
        ``color``, ``weight``, ``fill_color``, ``fill_opacity``, ``opacity``, ``dash``,
        ``radius``; None for the built-in layers, whose styles live in ``maps/styles.py``.
    """

    name: str
    label: str
    geometry: tuple[str, ...]
    id_column: str
    columns: tuple[Column, ...]
    style: dict[str, Any] | None = None

    @property
    def storage_geometry(self) -> str | None:
        """Geometry type as stored: ``Point``, ``LineString``, ``MultiPolygon`` or ``Geometry``;
        None for an attribute table (``geometry=()``)."""
        if not self.geometry:
            return None
        if len(self.geometry) > 1:
            return "Geometry"
        return {"Polygon": "MultiPolygon"}.get(self.geometry[0], self.geometry[0])

    @property
    def has_geometry(self) -> bool:
        """False for an attribute table (``geometry=()``)."""
        return bool(self.geometry)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"layer {self.name} has no column {name!r}")

    def labels(self) -> dict[str, str]:
        """Catalogue name -> Chinese display name, for popups and report headers."""
        return {c.name: c.label for c in self.columns}


def _c(name: str, type_: str, label: str, **kw) -> Column:
    return Column(name=name, type=type_, label=label, **kw)


_NAME_ALIASES = ("名称", "name_cn", "NAME", "Name", "mc", "MC")

ROAD_CLASS_ALIASES = {
    "快速路": "expressway",
    "高速": "expressway",
    "高架": "expressway",
    "主干路": "arterial",
    "主干道": "arterial",
    "次干路": "secondary",
    "次干道": "secondary",
    "支路": "branch",
    "弄堂": "alley",
    "里弄": "alley",
    "街坊路": "alley",
    "内部道路": "internal",
    "小区道路": "internal",
}
UTILITY_ALIASES = {
    "给水": "water",
    "供水": "water",
    "上水": "water",
    "雨水": "drainage",
    "排水": "drainage",
    "污水": "sewage",
    "燃气": "gas",
    "煤气": "gas",
    "天然气": "gas",
    "电力": "power",
    "供电": "power",
    "通信": "telecom",
    "电信": "telecom",
    "通讯": "telecom",
    "热力": "heat",
    "供热": "heat",
}
UTILITIES = ("water", "drainage", "sewage", "gas", "power", "telecom", "heat")
PARKING_KINDS = ("public", "residential", "commercial", "office", "hospital", "school", "on_street")
PARKING_KIND_ALIASES = {
    "公共": "public",
    "公共停车场": "public",
    "住宅": "residential",
    "小区": "residential",
    "商业": "commercial",
    "办公": "office",
    "医院": "hospital",
    "学校": "school",
    "道路停车": "on_street",
    "路内": "on_street",
    "路边": "on_street",
}
POI_KINDS = ("hospital", "school", "office", "commercial", "metro_station", "other")
POI_KIND_ALIASES = {
    "医院": "hospital",
    "学校": "school",
    "办公": "office",
    "商业": "commercial",
    "地铁站": "metro_station",
    "其他": "other",
}

CATALOGUE: dict[str, Layer] = {
    layer.name: layer
    for layer in [
        Layer(
            "districts",
            "区",
            ("Polygon",),
            "district_id",
            (
                _c("district_id", "str", "区划代码", required=True, aliases=("adcode", "区划代码")),
                _c("name", "str", "区名", required=True, aliases=("区名", *_NAME_ALIASES)),
            ),
        ),
        Layer(
            "subdistricts",
            "街道",
            ("Polygon",),
            "subdistrict_id",
            (
                _c("subdistrict_id", "str", "街道代码", required=True, aliases=("code", "代码", "街道代码")),
                _c("name", "str", "街道名称", required=True, aliases=("街道名称", *_NAME_ALIASES)),
                _c("population", "int", "常住人口", min=0, aliases=("人口", "常住人口")),
                _c("area_km2", "float", "面积(km²)", min=0),
            ),
        ),
        Layer(
            "grid_cells",
            "网格",
            ("Polygon",),
            "grid_id",
            (
                _c("grid_id", "str", "网格编号", required=True, aliases=("网格编号", "网格号")),
                _c("subdistrict_id", "str", "街道代码", required=True, aliases=("街道代码",)),
                _c("name", "str", "网格名称", aliases=("网格名称",)),
                _c("manager", "str", "网格长"),
            ),
        ),
        Layer(
            "roads",
            "道路",
            ("LineString",),
            "road_id",
            (
                _c("road_id", "str", "道路编号", required=True, aliases=("道路编号", "编号")),
                _c("name", "str", "道路名称", required=True, aliases=("道路名称", "路名", *_NAME_ALIASES)),
                _c(
                    "road_class",
                    "str",
                    "道路等级",
                    required=True,
                    allowed=("expressway", "arterial", "secondary", "branch", "alley", "internal"),
                    value_aliases=ROAD_CLASS_ALIASES,
                    aliases=("道路等级", "等级"),
                ),
                _c("width_m", "float", "路幅宽度(m)", min=0, max=200, aliases=("路幅宽度", "宽度")),
                _c("maintainer", "str", "养护单位", aliases=("养护单位",)),
                _c("built_date", "date", "建成日期", aliases=("建成日期", "通车日期")),
                _c("last_major_repair_date", "date", "最近大修日期", aliases=("大修日期", "最近大修日期")),
                _c("pci", "float", "路面状况指数PCI", min=0, max=100, aliases=("PCI",)),
            ),
        ),
        Layer(
            "pipelines",
            "管线",
            ("LineString",),
            "pipe_id",
            (
                _c("pipe_id", "str", "管线编号", required=True, aliases=("管线编号", "编号")),
                _c(
                    "utility",
                    "str",
                    "管线类别",
                    required=True,
                    allowed=UTILITIES,
                    value_aliases=UTILITY_ALIASES,
                    aliases=("管线类别", "管类", "类别"),
                ),
                _c("pressure_class", "str", "压力等级", aliases=("压力等级",)),
                _c("diameter_mm", "float", "管径(mm)", min=0, max=5000, aliases=("管径",)),
                _c("material", "str", "材质", aliases=("材质",)),
                _c("install_year", "int", "敷设年份", min=1850, max=2100, aliases=("敷设年份", "埋设年代")),
                _c("depth_m", "float", "埋深(m)", min=0, max=60, aliases=("埋深",)),
                _c("owner", "str", "权属单位", aliases=("权属单位",)),
            ),
        ),
        Layer(
            "rivers",
            "河道",
            ("LineString", "Polygon"),
            "river_id",
            (
                _c("river_id", "str", "河道编号", required=True, aliases=("河道编号", "编号")),
                _c("name", "str", "河道名称", required=True, aliases=("河道名称", "河名", *_NAME_ALIASES)),
                _c("river_chief", "str", "河长", aliases=("河长",)),
                _c("grade", "str", "河道等级", aliases=("河道等级", "等级")),
            ),
        ),
        Layer(
            "parking_facilities",
            "停车设施",
            ("Point", "Polygon"),
            "facility_id",
            (
                _c("facility_id", "str", "停车场编号", required=True, aliases=("编号", "停车场编号")),
                _c("name", "str", "停车场名称", required=True, aliases=("停车场名称", *_NAME_ALIASES)),
                _c(
                    "kind",
                    "str",
                    "类型",
                    required=True,
                    allowed=PARKING_KINDS,
                    value_aliases=PARKING_KIND_ALIASES,
                    aliases=("类型", "停车场类型"),
                ),
                _c("capacity", "int", "泊位数", required=True, min=0, aliases=("泊位数", "车位数")),
                _c("shared_offpeak", "bool", "错峰共享", aliases=("错峰共享",)),
                _c("open_hours", "str", "开放时间", aliases=("开放时间",)),
                _c("address", "str", "地址", aliases=("地址",)),
            ),
        ),
        Layer(
            "beautiful_blocks",
            "美丽街区",
            ("Polygon",),
            "block_id",
            (
                _c("block_id", "str", "街区编号", required=True, aliases=("街区编号", "编号")),
                _c("name", "str", "街区名称", required=True, aliases=("街区名称", *_NAME_ALIASES)),
                _c("year", "int", "建设年度", required=True, min=1990, max=2100, aliases=("年度", "建设年度")),
                _c("level", "str", "等级", aliases=("等级",)),
                _c("status", "str", "状态", aliases=("状态",)),
            ),
        ),
        Layer(
            "residential_compounds",
            "住宅小区",
            ("Polygon",),
            "compound_id",
            (
                _c("compound_id", "str", "小区编号", required=True, aliases=("小区编号", "编号")),
                _c("name", "str", "小区名称", required=True, aliases=("小区名称", *_NAME_ALIASES)),
                _c("households", "int", "户数", required=True, min=0, aliases=("户数",)),
                _c("built_year", "int", "建成年份", min=1850, max=2100, aliases=("建成年份",)),
                _c("renovated_year", "int", "改造年份", min=1950, max=2100, aliases=("改造年份",)),
                _c("parking_spaces", "int", "小区泊位数", min=0, aliases=("泊位数",)),
            ),
        ),
        Layer(
            "pois",
            "兴趣点",
            ("Point",),
            "poi_id",
            (
                _c("poi_id", "str", "编号", required=True, aliases=("编号",)),
                _c("name", "str", "名称", required=True, aliases=_NAME_ALIASES),
                _c(
                    "kind",
                    "str",
                    "类型",
                    required=True,
                    allowed=POI_KINDS,
                    value_aliases=POI_KIND_ALIASES,
                    aliases=("类型",),
                ),
                _c("beds", "int", "床位数", min=0, aliases=("床位数",)),
                _c("students", "int", "学生数", min=0, aliases=("学生数",)),
                _c("staff", "int", "教职工数", min=0, aliases=("教职工数",)),
                _c("floor_area_m2", "float", "建筑面积(m²)", min=0, aliases=("建筑面积",)),
                _c("address", "str", "地址", aliases=("地址",)),
            ),
        ),
        Layer(
            "excavation_permits",
            "掘路许可",
            ("Polygon", "LineString"),
            "permit_id",
            (
                _c("permit_id", "str", "许可编号", required=True, aliases=("许可编号", "编号")),
                _c("applicant", "str", "申请单位", required=True, aliases=("申请单位",)),
                _c("utility", "str", "管线类别", required=True, aliases=("管线类别",)),
                _c("planned_start", "date", "计划开工", required=True, aliases=("计划开工", "开工日期")),
                _c("planned_end", "date", "计划完工", required=True, aliases=("计划完工", "完工日期")),
                _c("road_id", "str", "道路编号", aliases=("道路编号",)),
                _c("status", "str", "状态", aliases=("状态",)),
            ),
        ),
        Layer(
            "complaints",
            "12345热线工单",
            ("Point",),
            "complaint_id",
            (
                _c("complaint_id", "str", "工单编号", required=True, aliases=("工单编号", "工单号")),
                _c("received_at", "datetime", "受理时间", required=True, aliases=("受理时间", "来电时间")),
                _c("category", "str", "问题类别", required=True, aliases=("问题类别", "类别")),
                _c("text", "str", "诉求内容", aliases=("诉求内容", "内容")),
                _c("status", "str", "状态", aliases=("状态", "办理状态")),
                _c("closed_at", "datetime", "办结时间", aliases=("办结时间",)),
                _c("address", "str", "地址", aliases=("地址", "事发地址", "诉求地址")),
                _c(
                    "location_precision",
                    "str",
                    "定位精度",
                    allowed=("point", "road"),
                    value_aliases={"坐标": "point", "道路": "road"},
                    aliases=("定位精度",),
                ),
            ),
        ),
        Layer("water_stations", "水质监测断面", ("Point",), "station_id", (
            _c("station_id", "str", "断面编号", required=True, aliases=("断面编号", "站点编号")),
            _c("name", "str", "断面名称", required=True, aliases=("断面名称", *_NAME_ALIASES)),
            _c("river_id", "str", "河道编号", required=True, aliases=("河道编号",)),
            _c("water_body", "str", "水体类型", required=True, allowed=("river", "lake"),
               value_aliases={"河流": "river", "河道": "river", "湖泊": "lake", "湖库": "lake",
                              "水库": "lake"},
               aliases=("水体类型",)),
            _c("target_class", "str", "水质目标", allowed=("I", "II", "III", "IV", "V"),
               aliases=("目标类别", "水质目标")),
        )),
        Layer("water_samples", "水质监测数据", (), "sample_id", (
            _c("sample_id", "str", "样品编号", required=True, aliases=("样品编号",)),
            _c("station_id", "str", "断面编号", required=True, aliases=("断面编号",)),
            _c("sampled_on", "date", "采样日期", required=True, aliases=("采样日期", "监测日期")),
            _c("do", "float", "溶解氧(mg/L)", required=True, min=0, max=25, aliases=("溶解氧", "DO")),
            _c("codmn", "float", "高锰酸盐指数(mg/L)", required=True, min=0,
               aliases=("高锰酸盐指数", "CODMn")),
            _c("nh3n", "float", "氨氮(mg/L)", required=True, min=0, aliases=("氨氮", "NH3-N")),
            _c("tp", "float", "总磷(mg/L)", required=True, min=0, aliases=("总磷", "TP")),
            _c("cod", "float", "化学需氧量(mg/L)", min=0, aliases=("化学需氧量", "COD")),
            _c("bod5", "float", "五日生化需氧量(mg/L)", min=0, aliases=("五日生化需氧量", "BOD5")),
        )),
    ]
}


#: The layers this module defines; :func:`register_layer` adds the district's own beside them
#: and never replaces one of these.
BUILTIN_LAYERS: frozenset[str] = frozenset(CATALOGUE)


def register_layer(layer: Layer) -> Layer:
    """Add a layer the district defined to :data:`CATALOGUE` (this process only).

    Idempotent: registering an equal definition again returns the one registered. A layer
    the catalogue holds from then on is validated, stored, read, exported and drawn like a
    built-in one.

    Parameters
    ----------
    layer : Layer
        Usually from :func:`yangpu_gis.layer_definitions.parse_definition`.

    Returns
    -------
    Layer
        The registered layer.

    Raises
    ------
    ValidationError
        For the name of a built-in layer, or a different definition of a name already
        registered in this process.

    Examples
    --------
    >>> from yangpu_gis.catalogue import Column, Layer
    >>> spec = Layer("bike_docks", "单车桩", ("Point",), "dock_id",
    ...              (Column("dock_id", "str", "编号", required=True),))
    >>> with catalogue_restored():
    ...     register_layer(spec) is register_layer(spec)
    True
    """
    if layer.name in BUILTIN_LAYERS:
        raise ValidationError(
            f"layer {layer.name!r} is a built-in layer; a definition cannot replace it",
            hint="give the layer another name")
    known = CATALOGUE.get(layer.name)
    if known is not None:
        if known == layer:
            return known
        raise ValidationError(
            f"a different definition of layer {layer.name!r} is already registered",
            hint="give the new definition another name, or keep the one registered "
            "(yangpu-gis catalogue show " + layer.name + ")")
    CATALOGUE[layer.name] = layer
    return layer


def unregister_layer(name: str) -> None:
    """Remove a layer :func:`register_layer` added (nothing if it is not registered).

    Raises
    ------
    ValidationError
        For a built-in layer.
    """
    if name in BUILTIN_LAYERS:
        raise ValidationError(f"layer {name!r} is built in and cannot be removed")
    CATALOGUE.pop(name, None)


@contextmanager
def catalogue_restored() -> Iterator[dict[str, Layer]]:
    """Within the block, register layers freely; afterwards the catalogue is as it was.

    For tests and notebooks that open several registries, each with its own definitions.
    """
    saved = dict(CATALOGUE)
    try:
        yield CATALOGUE
    finally:
        CATALOGUE.clear()
        CATALOGUE.update(saved)


def layer_names() -> list[str]:
    """Names of every catalogue layer, in catalogue order."""
    return list(CATALOGUE)


def get_layer(name: str) -> Layer:
    """Return the catalogue entry for ``name``.

    Raises
    ------
    yangpu_gis.errors.ValidationError
        If the layer is not in the catalogue; the message lists the known layers.
    """

    try:
        return CATALOGUE[name]
    except KeyError:
        raise ValidationError(
            f"unknown layer {name!r}",
            hint="choose one of: " + ", ".join(CATALOGUE),
        ) from None
