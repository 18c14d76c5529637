"""Which cause kinds can explain which 12345 category: the cause-rule table.

:data:`DEFAULT_CAUSE_RULES` maps a category to the kinds of cause tried for its orders, in
order: the first kind with a candidate wins (``道路破损`` tries a bad road first, then works
nearby whose reinstatement failed). A category without a rule is not linked (违法停车,
群租 … have no cause in the registry's data). Local practice, not a standard: override with
:func:`load_cause_rules` from a TOML file::

    [causes]
    "道路破损" = ["permit", "road"]   # works first
    "扬尘" = ["permit"]
    "噪声" = []                       # never link noise

(TOML bare keys are ASCII only: quote Chinese category names.)
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike

from ...errors import ValidationError
from ..inputs import read_toml
from .defaults import CAUSE_KINDS

__all__ = ["DEFAULT_CAUSE_RULES", "check_rules", "load_cause_rules"]

#: Category -> cause kinds tried in order (see the module notes).
DEFAULT_CAUSE_RULES: dict[str, tuple[str, ...]] = {
    "掘路施工": ("permit",),
    "噪声": ("permit",),
    "扬尘": ("permit",),
    "井盖缺失": ("permit",),
    "道路破损": ("road", "permit"),
    "积水": ("depression",),
}


def check_rules(rules: Mapping[str, object], source: str = "cause rules"
                ) -> dict[str, tuple[str, ...]]:
    """The rules as ``{category: tuple of kinds}``, refusing unknown kinds and bad values.

    Raises
    ------
    ValidationError
        Naming the category and the value.
    """
    out: dict[str, tuple[str, ...]] = {}
    for cat, kinds in rules.items():
        if not isinstance(cat, str) or not cat.strip():
            raise ValidationError(f"{source}: a category name must be non-empty text, "
                                  f"not {cat!r}")
        if isinstance(kinds, str):
            kinds = [kinds]
        if not isinstance(kinds, list | tuple) or not all(isinstance(k, str) for k in kinds):
            raise ValidationError(f"{source}: category {cat!r}: give a list of cause kinds, "
                                  f"not {kinds!r}",
                                  hint='e.g. "道路破损" = ["road", "permit"]')
        bad = [k for k in kinds if k not in CAUSE_KINDS]
        if bad:
            raise ValidationError(f"{source}: category {cat!r}: unknown cause kind "
                                  f"{bad[0]!r}", hint="kinds: " + ", ".join(CAUSE_KINDS))
        if len(set(kinds)) != len(kinds):
            raise ValidationError(f"{source}: category {cat!r} names a kind twice: {kinds!r}")
        out[cat] = tuple(kinds)
    return out


def load_cause_rules(path: str | PathLike[str]) -> dict[str, tuple[str, ...]]:
    """The default rules, with the ``[causes]`` table of a TOML file added and overriding.

    Parameters
    ----------
    path : str or path-like
        A UTF-8 TOML file with a ``[causes]`` table (see the module notes).

    Returns
    -------
    dict of str to tuple of str

    Raises
    ------
    ValidationError
        An unreadable file, TOML errors (with line), no ``[causes]`` table, unknown kinds.
    """
    data = read_toml(path, '"积水" = ["depression"]')
    table = data.get("causes")
    if not isinstance(table, dict):
        raise ValidationError("no [causes] table", source=str(path),
                              hint='[causes]\n"积水" = ["depression"]')
    return {**DEFAULT_CAUSE_RULES, **check_rules(table, str(path))}
