"""``yangpu-gis``: the command line. Thin: parses options, calls the library, formats output.

One module per command group: :mod:`.registry` (load, validate, layers, export, info,
upgrade, batches), :mod:`.maps` (map), :mod:`.demo` (demo) and :mod:`.analyze` (one
``analyze <topic>`` command per analysis, each calling its ``run_<topic>``); the options they
share are defined once in :mod:`.common`, and :mod:`.app` binds them all.
"""

from __future__ import annotations


def __getattr__(name: str):
    # transitional, for the analysis/<topic>_cli modules not yet moved to cli/analyze/
    import importlib

    common = importlib.import_module(f"{__name__}.common")
    legacy = {"RegistryOption": common.RegistryOpt, "JsonOption": common.JsonOpt,
              "RegistryOpt": common.RegistryOpt, "JsonOpt": common.JsonOpt}
    if name in legacy:
        return legacy[name]
    if hasattr(common, name):
        return getattr(common, name)
    raise AttributeError(name)


from .app import analyze_app, app, main  # noqa: E402

__all__ = ["analyze_app", "app", "main"]
