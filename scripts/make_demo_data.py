"""Generate the demo dataset of the whole of Yangpu and write it as bureau files.

Writes ``data/demo/`` (or ``--out``): GeoJSON, a GBK shapefile without ``.cpg``, GeoPackages,
an XLSX and a CSV in GCJ-02, and ``manifest.toml`` for the batch loader. Deterministic: the
same seed gives byte-identical files.

    python scripts/make_demo_data.py [--out data/demo] [--seed 2021] [--pipeline-segments N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from yangpu_gis.datasets.demo import DEFAULT_PIPELINE_SEGMENTS, generate, write_sources


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("data/demo"), help="output directory")
    parser.add_argument("--seed", type=int, default=2021, help="random seed (default 2021)")
    parser.add_argument(
        "--pipeline-segments",
        type=int,
        default=None,
        help=f"number of pipeline segments (default {DEFAULT_PIPELINE_SEGMENTS})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the generator and writer; print counts, sizes and timings."""
    args = _parser().parse_args(argv)
    t0 = time.perf_counter()
    layers = generate(seed=args.seed, pipeline_segments=args.pipeline_segments)
    t1 = time.perf_counter()
    manifest = write_sources(layers, args.out)
    t2 = time.perf_counter()
    for name, gdf in layers.items():
        print(f"{name:24s} {len(gdf):7d}")
    files = sorted(p for p in args.out.iterdir() if p.is_file())
    total = sum(p.stat().st_size for p in files)
    print(f"generated in {t1 - t0:.1f} s, written in {t2 - t1:.1f} s")
    print(f"{len(files)} files, {total / 1e6:.1f} MB; manifest: {manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
