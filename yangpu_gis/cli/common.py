"""What every command shares: the consoles, the options defined once, the error boundary.

Errors of the package (:class:`yangpu_gis.YangpuGisError`) are printed without a traceback
and exit non-zero (2 for refused input, 1 otherwise); ``--debug`` shows the traceback.
``--json`` prints machine-readable results for scripts. Everything printed goes through
:mod:`yangpu_gis.terminal`, which escapes data values (never read as rich markup).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from .. import settings
from ..errors import CRSError, SourceError, ValidationError, YangpuGisError
from ..terminal import dumps, escape, say

__all__ = [
    "AsOfOpt",
    "DistrictOpt",
    "JsonOpt",
    "OfflineOpt",
    "RegistryOpt",
    "SchedulerOpt",
    "capture_warnings",
    "err",
    "errors_to_exit",
    "open_cli_registry",
    "out",
    "out_option",
    "print_json",
    "progress",
    "state",
]

out = Console()
err = Console(stderr=True)
#: ``--debug`` of the current invocation (set by the app's callback).
state = {"debug": False}

RegistryOpt = Annotated[
    str | None,
    typer.Option("--registry", "-r", help="GeoPackage path or postgresql:// URL "
                 "[default: $YANGPU_GIS_REGISTRY or ./yangpu.gpkg]"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
OfflineOpt = Annotated[bool, typer.Option(
    "--offline/--online", help="Self-contained map (default) or CDN scripts and tiles.")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", metavar="BATCH|DATE",
    help="Read the registry as it stood after this batch (an id from yangpu-gis batches) or "
    "at the end of this date (2024-12-31, Asia/Shanghai) or time (2024-12-31T18:00) "
    "[default: now].")]

DistrictOpt = Annotated[str | None, typer.Option(
    "--district", metavar="NAME|CODE",
    help="Only the rows within this district's outline (a district the registry records "
    "with yangpu-gis init, e.g. 虹口区 or 310109 in a city registry) [default: the whole "
    "registry].")]

SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", metavar="local[:N]|tcp://HOST:PORT",
    help="Run the parts that grow with the city on dask.distributed: local (a cluster of "
    "this machine's cores, closed after the run), local:N (N worker processes) or the "
    "address of a running scheduler; results are identical [default: this process only; "
    "needs the city extra: pip install 'yangpu_gis[city]'].")]


def out_option(topic: str) -> Any:
    """``--out/-o``: the results folder of an analysis, ``<topic>_out`` by default."""
    return typer.Option("--out", "-o", help=f"Output folder [default: {topic}_out].")


def open_cli_registry(value: str | None, *, create: bool = False, as_of: str | None = None,
                      district: str | None = None):
    """Open ``--registry`` (or the default) for a command, as of ``--as-of`` if given, within
    ``--district`` if given.

    A reading command refuses a registry that does not exist (a mistyped path is not an
    empty registry); only ``load`` and ``demo`` create one (``create=True``). With ``as_of``
    (a batch id, date or time) it returns the read-only snapshot ``reg.at(as_of)``: every
    read, ``data_date`` (map titles) and the batches answer as of then, and writes are
    refused. With ``district`` (a name or code the registry records) it returns the
    read-only view ``reg.in_district(district)``: every read keeps the rows within that
    district's outline, and maps open on it. This is the one place ``--as-of`` and
    ``--district`` are applied.
    """
    from ..registry import open_registry

    reg = open_registry(value or settings.default_registry, create=create)
    if as_of is None and district is None:
        return reg
    try:
        return reg.at(as_of).in_district(district)
    except BaseException:
        reg.close()
        raise


def print_json(data: Any) -> None:
    """Strict JSON on stdout (NaN and NaT as null, never ``NaN``; see :func:`.terminal.dumps`)."""
    sys.stdout.write(dumps(data) + "\n")
    sys.stdout.flush()


@contextmanager
def errors_to_exit(as_json: bool = False) -> Iterator[None]:
    """Turn a refusal into its message and exit code; anything else into a one-line bug
    report (``--debug`` re-raises either with its traceback)."""
    try:
        yield
    except YangpuGisError as exc:
        if state["debug"]:
            raise
        if as_json:
            print_json(exc.as_dict())
        else:
            say(err, "[bold red]error:[/] {}", exc.render())
        code = 2 if isinstance(exc, (ValidationError, SourceError, CRSError)) else 1
        raise typer.Exit(code) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        # not a refusal the package made on purpose: a bug, said in one line (and as a JSON
        # error object for scripts); --debug shows the traceback
        if state["debug"]:
            raise
        message = " ".join(str(exc).split()) or type(exc).__name__
        hint = "this is a bug in yangpu-gis: run the command again with --debug for the traceback"
        if as_json:
            print_json({"error": "InternalError", "message": f"{type(exc).__name__}: {message}",
                        "source": None, "problems": [], "hint": hint})
        else:
            say(err, "[bold red]error:[/] unexpected {}: {}\n  hint: {}", type(exc).__name__,
                message, hint)
        raise typer.Exit(1) from None


@contextmanager
def progress(enabled: bool, label: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the current stage, shown on a terminal only."""
    if not enabled or not err.is_terminal:
        yield lambda _stage: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(escape(label))
        yield lambda stage: bar.update(task, description=escape(f"{label}: {stage}"))


def capture_warnings(debug: bool) -> None:
    """Warnings on the terminal: the package's as one clean line each; third-party noise
    (numpy ``RuntimeWarning``, pandas, shapely, GDAL via pyogrio/rasterio) silenced.
    ``--debug`` shows every warning raw."""
    import logging
    import warnings

    if debug:
        warnings.simplefilter("default")
        return
    for name in ("pyogrio", "rasterio", "fiona", "numexpr", "py.warnings"):
        logging.getLogger(name).setLevel(logging.ERROR)

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if _package_file(filename):
            text = " ".join(str(message).split())
            say(err, "[yellow]warning:[/] {}", text)

    warnings.showwarning = show


def _package_file(filename: str) -> bool:
    here = Path(__file__).resolve().parent.parent
    try:
        return Path(filename).resolve().is_relative_to(here)
    except (OSError, ValueError):
        return False
