"""The figures of the pipeline renewal priority, each with its unit and source.

A segment's score (0–100) is the weighted sum of seven factors, each between 0 and 1:
age against the renewal age of its utility, material, pressure class, diameter, third-party
damage exposure (excavation permits near it in recent years), complaints near it that point
at it (燃气 smells, 积水 for drainage) and what is at stake nearby (schools, hospitals,
compounds). The renewal ages follow 国办发〔2022〕22号 (城市燃气管道等老化更新改造实施方案
2022—2025年): all grey cast-iron gas mains; steel and PE gas mains in service 20 years or
more; water mains 30 years; drainage 50 years; heat 20 years. The factor tables and weights
are **our assumptions**, marked as such: a bureau replaces them with its own (TOML,
:func:`~yangpu_gis.analysis.pipelines.load_renewal_tables`).

This module imports nothing heavy: the command line reads its option defaults here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..defaults import TopicDefaults

__all__ = ["COMPLAINT_CATEGORIES", "FACTORS", "MATERIAL_RISK", "PIPELINES_DEFAULTS",
           "PRESSURE_RISK", "RENEWAL_AGE", "WEIGHTS", "PipelinesDefaults"]

_GB22 = "国办发〔2022〕22号 城市燃气管道等老化更新改造实施方案（2022—2025年）"
_OURS = "assumption (ours), to replace with the bureau's own table"

#: The factors, in the order of the output columns.
FACTORS = ("age", "material", "pressure", "diameter", "damage", "complaints", "stakes")

#: Factor -> weight (sum 1). Ours: age and material first (the plan: 排查更新老旧燃气管道),
#: then what is at stake and third-party damage, the most common cause of gas incidents.
WEIGHTS: Mapping[str, float] = MappingProxyType({
    "age": 0.25, "material": 0.20, "pressure": 0.10, "diameter": 0.05, "damage": 0.15,
    "complaints": 0.10, "stakes": 0.15})

#: Utility -> years in service at which the age factor reaches 1.
RENEWAL_AGE: Mapping[str, float] = MappingProxyType({
    "gas": 20.0, "water": 30.0, "drainage": 50.0, "sewage": 50.0, "heat": 20.0,
    "power": 30.0, "telecom": 30.0})

#: Material -> risk factor. Grey cast iron is 1 (国办发〔2022〕22号 renews all of it); cast
#: iron of unknown kind is treated nearly as grey until proven ductile; an unknown material
#: is a risk in itself (``unknown``). The rest: ours (corrosion and joint failure, by kind).
MATERIAL_RISK: Mapping[str, float] = MappingProxyType({
    "灰口铸铁管": 1.0, "铸铁管": 0.9, "钢管": 0.6, "预制直埋保温钢管": 0.5, "钢筋混凝土管": 0.4,
    "球墨铸铁管": 0.3, "PVC管": 0.3, "玻璃钢夹砂管": 0.3, "PE管": 0.2, "HDPE双壁波纹管": 0.2,
    "HDPE硅芯管": 0.1, "梅花管": 0.1, "玻璃钢电缆保护管": 0.1, "电缆排管": 0.1, "MPP电力管": 0.1,
    "unknown": 0.5})

#: Pressure class -> consequence factor (gas by GB 50028's classes; ``unknown`` otherwise).
PRESSURE_RISK: Mapping[str, float] = MappingProxyType({
    "次高压": 1.0, "中压A": 0.8, "中压B": 0.6, "低压": 0.3, "蒸汽1.0MPa": 0.8,
    "0.3MPa": 0.4, "0.2MPa": 0.3, "35kV": 0.5, "10kV": 0.3, "unknown": 0.2})

#: Utility -> 12345 categories that point at a failing pipe of that utility.
COMPLAINT_CATEGORIES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "gas": ("燃气", "燃气泄漏", "燃气异味"),
    "drainage": ("积水", "污水冒溢"), "sewage": ("污水冒溢", "积水"),
    "water": ("停水", "水压低", "爆管漏水")})


@dataclass(frozen=True)
class PipelinesDefaults(TopicDefaults):
    """The distances, windows and saturation counts of the renewal score."""

    #: Permits whose footprint is this close to a pipe count as third-party damage exposure.
    damage_distance_m: float = field(default=10.0, metadata={
        "unit": "m", "source": f"{_OURS}: the trench and the plant working beside it"})
    #: ... in this many years before the analysis date.
    damage_years: int = field(default=3, metadata={"unit": "years", "source": _OURS})
    #: ... and this many permits give the full damage factor.
    damage_full: int = field(default=3, metadata={"unit": "permits", "source": _OURS})
    #: Complaints of the utility's categories this close to a pipe count ...
    complaint_distance_m: float = field(default=30.0, metadata={
        "unit": "m", "source": f"{_OURS}: a smell or a flooded gully along one frontage"})
    #: ... in this many years before the analysis date ...
    complaint_years: int = field(default=1, metadata={"unit": "years", "source": _OURS})
    #: ... and this many give the full complaints factor.
    complaint_full: int = field(default=5, metadata={"unit": "orders", "source": _OURS})
    #: Schools, hospitals and compounds this close to a pipe are at stake.
    stake_distance_m: float = field(default=100.0, metadata={
        "unit": "m", "source": f"{_OURS}: the evacuation distance of a gas leak in a street"})
    #: Weight of a compound against a school or hospital (1) in the stakes count ...
    compound_weight: float = field(default=0.25, metadata={"unit": "", "source": _OURS})
    #: ... and the count that gives the full stakes factor.
    stakes_full: float = field(default=2.0, metadata={"unit": "", "source": _OURS})
    #: Diameter at which the diameter factor reaches 1.
    diameter_full_mm: float = field(default=1000.0, metadata={"unit": "mm", "source": _OURS})
    #: Gas safety view: cast-iron gas mains this close to a school or hospital come first.
    safety_distance_m: float = field(default=100.0, metadata={
        "unit": "m", "source": "the plan: 持续排查更新老旧燃气管道; the reach is ours"})
    #: The factor weights.
    weights: Mapping[str, float] = field(default_factory=lambda: WEIGHTS, metadata={
        "unit": "share", "source": _OURS})
    #: Renewal age by utility.
    renewal_age: Mapping[str, float] = field(default_factory=lambda: RENEWAL_AGE, metadata={
        "unit": "years", "source": _GB22})


#: The defaults used unless a function is given others.
PIPELINES_DEFAULTS = PipelinesDefaults()
