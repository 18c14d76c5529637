"""One exception hierarchy for the package.

Every error carries what a GIS staff member needs to act on it: the file, the rows, the
field and a hint. The CLI prints :meth:`YangpuGisError.render` without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "CRSError",
    "Problem",
    "RegistryError",
    "SourceError",
    "ValidationError",
    "YangpuGisError",
    "format_rows",
]


def format_rows(rows: Sequence[int], limit: int = 12) -> str:
    """Format row numbers compactly: ``3, 7–9, 15 (+4 more)``.

    Parameters
    ----------
    rows : sequence of int
        Row numbers (1-based, as the user sees them).
    limit : int
        How many ranges to show before summarising.

    Examples
    --------
    >>> format_rows([1, 2, 3, 7, 9, 10])
    '1–3, 7, 9–10'
    """
    ordered = sorted(set(int(r) for r in rows))
    ranges: list[tuple[int, int]] = []
    for r in ordered:
        if ranges and r == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], r)
        else:
            ranges.append((r, r))
    parts = [f"{a}" if a == b else f"{a}–{b}" for a, b in ranges[:limit]]
    text = ", ".join(parts)
    if len(ranges) > limit:
        rest = sum(b - a + 1 for a, b in ranges[limit:])
        text += f" (+{rest} more)"
    return text


@dataclass
class Problem:
    """One thing wrong with an input: where it is and what to do about it."""

    message: str
    rows: list[int] = field(default_factory=list)
    field: str | None = None
    hint: str | None = None
    row_label: str = "row"

    def render(self) -> str:
        where = []
        if self.rows:
            label = self.row_label + ("s" if len(set(self.rows)) > 1 else "")
            where.append(f"{label} {format_rows(self.rows)}")
        if self.field:
            where.append(f"field '{self.field}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.hint:
            text += f"\n      hint: {self.hint}"
        return text

    def as_dict(self) -> dict:
        return {
            "message": self.message,
            "rows": sorted(set(self.rows)),
            "field": self.field,
            "hint": self.hint,
        }


class YangpuGisError(Exception):
    """Base class of every error the package raises on purpose.

    Parameters
    ----------
    message : str
        What went wrong, in one sentence.
    source : str, optional
        The file (or URL) concerned.
    problems : list of Problem, optional
        Row-level findings, each with rows, field and hint.
    hint : str, optional
        What the user should do.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        problems: Sequence[Problem] = (),
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.problems = list(problems)
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        """Human-readable multi-line text: file, then each problem, then the hint."""
        head = f"{self.source}: {self.message}" if self.source else self.message
        lines = [head]
        for p in self.problems:
            lines.append("  - " + p.render())
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """JSON-ready description, for ``--json`` output."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "source": self.source,
            "problems": [p.as_dict() for p in self.problems],
            "hint": self.hint,
        }


class SourceError(YangpuGisError):
    """The input file cannot be read: missing parts, truncated, wrong format, bad encoding."""


class ValidationError(YangpuGisError):
    """The input was read but its rows break the layer's rules."""


class CRSError(YangpuGisError):
    """The coordinate reference system is missing, unknown or contradicted by the numbers."""


class RegistryError(YangpuGisError):
    """The registry cannot be opened or written, or a load conflicts with what it holds."""
