"""The renewal score's tables and their override file (TOML).

::

    [weights]            # factor -> weight; the weights must add up to 1
    age = 0.3
    stakes = 0.1

    [material]           # material -> risk (0–1)
    "灰口铸铁管" = 1.0

    [pressure]           # pressure class -> consequence (0–1)
    "中压A" = 0.9

    [renewal_age]        # utility -> years in service at which the age factor is 1
    water = 40

    [complaint_categories]   # utility -> 12345 categories that point at its pipes
    gas = ["燃气", "燃气泄漏"]

Tables given replace those keys only; everything else keeps its default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike

from ...errors import ValidationError
from ..inputs import read_toml
from .defaults import COMPLAINT_CATEGORIES, FACTORS, MATERIAL_RISK, PRESSURE_RISK, RENEWAL_AGE
from .defaults import WEIGHTS as DEFAULT_WEIGHTS

__all__ = ["RenewalTables", "load_renewal_tables"]


@dataclass(frozen=True)
class RenewalTables:
    """Weights and factor tables of the renewal score (defaults unless overridden)."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    material: Mapping[str, float] = field(default_factory=lambda: dict(MATERIAL_RISK))
    pressure: Mapping[str, float] = field(default_factory=lambda: dict(PRESSURE_RISK))
    renewal_age: Mapping[str, float] = field(default_factory=lambda: dict(RENEWAL_AGE))
    complaint_categories: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(COMPLAINT_CATEGORIES))

    def checked(self, source: str = "renewal tables") -> RenewalTables:
        """These tables, or a refusal naming the key and the bad value."""
        unknown = sorted(set(self.weights) - set(FACTORS))
        if unknown:
            raise ValidationError(f"{source}: unknown factor {unknown[0]!r} in [weights]",
                                  hint="factors: " + ", ".join(FACTORS))
        for name, table, lo, hi in (("weights", self.weights, 0, 1),
                                    ("material", self.material, 0, 1),
                                    ("pressure", self.pressure, 0, 1),
                                    ("renewal_age", self.renewal_age, 1e-9, 500)):
            for key, value in table.items():
                if isinstance(value, bool) or not isinstance(value, int | float) \
                        or not math.isfinite(value) or not lo <= value <= hi:
                    raise ValidationError(f"{source}: [{name}] {key!r} = {value!r} is not a "
                                          f"number between {lo:g} and {hi:g}")
        total = sum(self.weights.get(f, 0.0) for f in FACTORS)
        if abs(total - 1.0) > 1e-6:
            raise ValidationError(f"{source}: the weights add up to {total:g}, not 1",
                                  hint="adjust [weights] so that they sum to 1")
        for key, cats in self.complaint_categories.items():
            if not isinstance(cats, list | tuple) or not all(isinstance(c, str) for c in cats):
                raise ValidationError(f"{source}: [complaint_categories] {key!r} must be a "
                                      f"list of category names, not {cats!r}")
        return self


def load_renewal_tables(path: str | PathLike[str]) -> RenewalTables:
    """The default tables with those of a TOML file replacing their keys (see the module).

    Raises
    ------
    ValidationError
        An unreadable file, broken TOML, an unknown table or factor, values out of range,
        weights that do not add up to 1.
    """
    data = read_toml(path, '"灰口铸铁管" = 1.0')
    base = RenewalTables()
    known = ("weights", "material", "pressure", "renewal_age", "complaint_categories")
    extra = sorted(set(data) - set(known))
    if extra:
        raise ValidationError(f"unknown table [{extra[0]}]", source=str(path),
                              hint="tables: " + ", ".join(f"[{k}]" for k in known))
    for name in known:
        if name in data and not isinstance(data[name], dict):
            raise ValidationError(f"[{name}] must be a table", source=str(path))
    merged = {name: {**getattr(base, name), **data.get(name, {})} for name in known}
    merged["complaint_categories"] = {k: tuple(v) if isinstance(v, list) else v
                                      for k, v in merged["complaint_categories"].items()}
    return RenewalTables(**merged).checked(str(path))
