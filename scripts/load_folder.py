"""Load a whole folder of bureau files into a registry, as its manifest.toml describes.

    python scripts/load_folder.py FOLDER [--registry REG] [--dry-run] [--keep-going] [--json]

FOLDER holds the files and a ``manifest.toml`` (format: ``yangpu_gis.manifest``). Every file
is validated first; with any refusal nothing is loaded (unless ``--keep-going``), and each
refusal names the file, rows, field and what to do. Exit code 0 when everything loaded, 2
when something was refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from yangpu_gis import settings
from yangpu_gis.errors import YangpuGisError
from yangpu_gis.manifest import load_manifest, read_manifest
from yangpu_gis.registry import open_registry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--registry", "-r", default=settings.default_registry)
    parser.add_argument("--dry-run", action="store_true", help="validate only")
    parser.add_argument("--keep-going", action="store_true", help="load the valid files anyway")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    err = Console(stderr=True)
    manifest = args.folder / "manifest.toml" if args.folder.is_dir() else args.folder
    try:
        total = len(read_manifest(manifest))
        with open_registry(args.registry) as reg, Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            console=err, transient=True, disable=args.json or not err.is_terminal,
        ) as bar:
            task = bar.add_task("checking and loading", total=2 * total)
            results, failures = load_manifest(
                reg, manifest, dry_run=args.dry_run, keep_going=args.keep_going,
                on_file=lambda e: bar.update(task, advance=1, description=f"{e.layer} ← {e.file.name}"),
            )
    except YangpuGisError as exc:
        err.print(f"[bold red]error:[/] {exc.render()}", highlight=False)
        return 2
    if args.json:
        json.dump({"loaded": [r.as_dict() for r in results],
                   "refused": [{"file": str(e.file), **x.as_dict()} for e, x in failures]},
                  sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        for r in results:
            print(f"loaded {r.rows_read:>7,} rows into {r.layer:<22} from {Path(r.source).name}")
        for entry, exc in failures:
            err.print(f"[bold red]refused[/] {entry.file.name} → {entry.layer}:\n{exc.render()}",
                      highlight=False)
        if failures and not args.keep_going and not args.dry_run:
            err.print("nothing was loaded; fix the files above or pass --keep-going")
    return 2 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
