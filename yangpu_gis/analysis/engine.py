"""Where an analysis that grows with the city runs: this process, or a dask.distributed cluster.

``scheduler`` (the ``--scheduler`` option, the ``scheduler=`` keyword of the analyses) is

* ``None``: the single-process path, unchanged (no dask imported);
* ``"local"`` or ``"local:N"``: a :class:`distributed.LocalCluster` of ``N`` worker processes
  (default: the cores), started for the call and closed after it;
* ``"tcp://HOST:PORT"``: a running scheduler (``dask scheduler``); the client is closed
  after the call, the cluster is left running;
* a :class:`distributed.Client`: used as is and left open.

The analyses cut their rows into strips along x (:func:`strips`): each strip owns its rows
and also receives a *halo* of every row within reach of them, so a task finds every pair
whose first row it owns, and the gathered pairs are exactly the single-process pairs.
dask is an optional extra (``pip install yangpu_gis[city]``): asking for a scheduler
without it is refused with that hint.

This module imports nothing heavy at the top: numpy is imported by :func:`strips`, dask by
:func:`dask_client`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError

__all__ = ["EXTRA_HINT", "Strip", "active_client", "check_scheduler", "dask_client", "default_partitions", "parse_scheduler",
           "run_tasks", "strips"]

#: How to get dask when it is missing.
EXTRA_HINT = "install the city extra: pip install 'yangpu_gis[city]' (dask[distributed])"
#: Rows per strip aimed at when the number of strips is not given.
ROWS_PER_STRIP = 250_000

_LOCAL = re.compile(r"local(?::(\d+))?")
_TCP = re.compile(r"(tcp|tls|ucx|inproc)://[^\s/]+")


def parse_scheduler(value: str) -> tuple[str, int | None]:
    """``("local", N or None)`` or ``("address", value)`` for a ``--scheduler`` string.

    Raises
    ------
    ValidationError
        Anything but ``local``, ``local:N`` (N ≥ 1) or ``tcp://HOST:PORT``.
    """
    text = value.strip()
    m = _LOCAL.fullmatch(text)
    if m:
        n = int(m.group(1)) if m.group(1) else None
        if n is not None and n < 1:
            raise ValidationError(f"--scheduler {value!r}: local needs at least one worker",
                                  hint="local, local:N (N ≥ 1) or tcp://HOST:PORT")
        return "local", n
    if _TCP.fullmatch(text):
        return "address", None
    raise ValidationError(f"unknown scheduler {value!r}",
                          hint="local, local:N (N workers) or tcp://HOST:PORT")


def check_scheduler(scheduler: Any) -> None:
    """Refuse, before any work, a scheduler string that is unknown or that needs a missing dask.

    Raises
    ------
    ValidationError
        As :func:`parse_scheduler`, or dask.distributed missing (hint: the ``city`` extra).
    """
    if isinstance(scheduler, str):
        parse_scheduler(scheduler)
        _import_distributed()


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ValidationError("a scheduler needs dask.distributed, which is not installed",
                              hint=EXTRA_HINT) from None
    return distributed


@contextmanager
def dask_client(scheduler: Any) -> Iterator[Any]:
    """The :class:`distributed.Client` of ``scheduler`` (None: yields None).

    Closes what it started (the local cluster, the client of an address) and nothing else.

    Raises
    ------
    ValidationError
        An unknown scheduler string, dask missing (hint: the ``city`` extra), or a scheduler
        that cannot be reached.
    """
    if scheduler is None:
        yield None
        return
    if not isinstance(scheduler, str):
        token = _ACTIVE.set(scheduler)
        try:
            yield scheduler  # a Client given by the caller: theirs to close
        finally:
            _ACTIVE.reset(token)
        return
    kind, n = parse_scheduler(scheduler)
    distributed = _import_distributed()
    if kind == "local":
        workers = n or os.cpu_count() or 1
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                           processes=True, dashboard_address=":0")
        try:
            with distributed.Client(cluster) as client:
                token = _ACTIVE.set(client)
                try:
                    yield client
                finally:
                    _ACTIVE.reset(token)
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(scheduler.strip(), timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise ValidationError(f"cannot reach the scheduler {scheduler!r}: {exc}",
                              hint="start one with `dask scheduler` and workers with "
                              "`dask worker ADDRESS`, or use --scheduler local") from None
    with client:
        token = _ACTIVE.set(client)
        try:
            yield client
        finally:
            _ACTIVE.reset(token)


_ACTIVE: ContextVar[Any] = ContextVar("yangpu_gis_dask_client", default=None)


def active_client() -> Any:
    """The client of the innermost :func:`dask_client` block of an analysis (None outside).

    For the steps deep inside a topic (coverage's point tests) that a whole preset reaches
    without a ``client=`` keyword at every level.
    """
    return _ACTIVE.get()


def run_tasks(client: Any, func: Callable[..., Any], payloads: Sequence[tuple]) -> list[Any]:
    """``[func(*p) for p in payloads]`` on ``client``'s workers, in order."""
    futures = [client.submit(func, *p, pure=False) for p in payloads]
    return client.gather(futures)


def default_partitions(client: Any, n_rows: int) -> int:
    """Strips for ``n_rows`` rows: at least two per worker, about :data:`ROWS_PER_STRIP` each."""
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # noqa: BLE001 - a client without scheduler info: assume one worker
        workers = 1
    return max(2 * workers, -(-n_rows // ROWS_PER_STRIP))


@dataclass(frozen=True)
class Strip:
    """One partition: the rows it owns and the rows it is given (owned, then its halo).

    Attributes
    ----------
    rows : ndarray of int64
        Positions of every row the task receives (owned first, then the halo).
    n_owned : int
        ``rows[:n_owned]`` are owned.
    """

    rows: Any
    n_owned: int


def strips(minx: Any, maxx: Any, *, parts: int, halo: float) -> list[Strip]:
    """Cut rows into ``parts`` strips along x, each with the rows within ``halo`` of its own.

    A row belongs to the strip of its bounds' centre x (strips hold about equal numbers of
    rows); a strip receives every row whose x extent reaches within ``halo`` of the x extent
    of the rows it owns. So for a pair ``(i, j)`` at most ``halo`` apart, the strip owning
    ``i`` always receives ``j``. Rows with a NaN extent are owned by the first strip and sent
    nowhere else.

    Parameters
    ----------
    minx, maxx : array of float
        Each row's x extent (equal for points), metres.
    parts : int
        Number of strips (fewer when there are fewer distinct centres).
    halo : float
        The reach, metres (the caller adds its own margin).

    Returns
    -------
    list of Strip
        Non-empty strips, west to east.
    """
    import numpy as np

    minx = np.asarray(minx, dtype=float)
    maxx = np.asarray(maxx, dtype=float)
    n = len(minx)
    if n == 0:
        return []
    centre = (minx + maxx) / 2
    finite = np.isfinite(centre)
    order = np.flatnonzero(finite)
    order = order[np.argsort(centre[order], kind="stable")]
    missing = np.flatnonzero(~finite)
    parts = max(1, min(int(parts), len(order) or 1))
    chunks = np.array_split(order, parts)
    # the halo search: rows sorted by minx; a row reaching x >= lo starts at >= lo - width
    same = minx is maxx or np.array_equal(minx, maxx, equal_nan=True)  # points: one sort
    by_min = order if same else order[np.argsort(minx[order], kind="stable")]
    sorted_min = minx[by_min]
    width = float((maxx[order] - minx[order]).max()) if len(order) else 0.0
    owner = np.full(n, -1, dtype=np.int64)
    for k, owned in enumerate(chunks):
        owner[owned] = k
    out: list[Strip] = []
    for k, owned in enumerate(chunks):
        if not len(owned):
            continue
        lo = minx[owned].min() - halo
        hi = maxx[owned].max() + halo
        start = np.searchsorted(sorted_min, lo - width, side="left")
        stop = np.searchsorted(sorted_min, hi, side="right")
        cand = by_min[start:stop]
        extra = cand[(maxx[cand] >= lo) & (owner[cand] != k)]
        extra.sort()
        if k == 0 and len(missing):
            owned = np.concatenate([owned, missing])
        out.append(Strip(np.concatenate([owned, extra]).astype(np.int64), len(owned)))
    if not out and len(missing):
        out.append(Strip(missing.astype(np.int64), len(missing)))
    return out
