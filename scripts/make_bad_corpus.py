"""Generate the bad-input corpus: broken files, hostile values, bad options, paths, registries.

Every case is derived, deterministically, from the repository's own valid files
(``data/fixtures`` written by ``scripts/make_fixtures.py``, ``data/demo`` written by
``scripts/make_demo_data.py``) or from small valid files written here, so that the defect is
the only thing wrong with it. A case says which command to run, which exit code the CLI must
give (2 for refused input, 1 for other errors), which substrings the message must contain
(the file, the row or feature, the field) and what must not appear.

The test ``tests/test_bad_input_corpus.py`` runs every case through the real CLI in a fresh
subprocess on both registry backends and checks that the registry is left unchanged.

    python scripts/make_bad_corpus.py OUT_DIR        # writes the files, prints the cases

Placeholders in a case's ``argv`` are filled in by whoever runs it:

``{reg}``
    The registry: a copy of a pre-populated ``.gpkg`` (or a PostGIS URL), a path that does
    not exist (``registry="missing"``), or a copy of a damaged file (``registry=<path>``).
``{out}``
    An empty folder for outputs (nothing may be left in it after a refusal).
``{full}``
    A small tmpfs (``tmpfs_size`` bytes) for full-disk cases; with ``registry_on_tmpfs`` the
    registry itself lives on it.
``{ro}``
    A folder the command may not write to (run with ``drop_dac``: the subprocess loses the
    capabilities that let root ignore file permissions).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "data" / "fixtures"
DEMO = REPO / "data" / "demo"

__all__ = ["BASE_LOADS", "Case", "build_corpus", "control_cases"]

BOTH = ("geopackage", "postgis")
GPKG = ("geopackage",)
ANY = ("any",)


@dataclass(frozen=True)
class Case:
    """One bad input and what the CLI must answer.

    Attributes
    ----------
    id : str
        Unique, stable, usable as a pytest id.
    klass : str
        structure, encoding, columns, values, geometry, crs, archive, options, paths,
        registry, output, disk, hostile-text.
    argv : tuple of str
        Arguments after ``yangpu-gis`` (placeholders ``{reg}``, ``{out}``, ``{full}``, ``{ro}``).
    exit_codes : tuple of int
        Acceptable exit codes (1 and/or 2; never 0).
    names : tuple of str
        Substrings the output must contain (whitespace-normalised): file, row, field.
    forbid : tuple of str
        Substrings the output must not contain (raw control characters, evaluated templates).
    registry : str
        ``template`` (pre-populated), ``missing`` (``{reg}`` does not exist and must not be
        created), ``none`` (the argv names its own registry) or the path of a damaged file
        copied to ``{reg}``.
    backends : tuple of str
        ``geopackage``/``postgis``, or ``any`` for cases that do not depend on one.
    env : tuple of (str, str)
        Extra environment for the subprocess (placeholders allowed).
    tmpfs_size : int or None
        Size in bytes of the tmpfs at ``{full}``; ``None`` for no tmpfs.
    registry_on_tmpfs : int
        0, or put the registry on the tmpfs, which is then ``tmpfs_size`` plus this many
        times the registry's size (1: no room for the working copy; 2: the copy fits).
    drop_dac : bool
        Run without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH (so permissions bite as root).
    what : str
        One line: what is wrong.
    """

    id: str
    klass: str
    argv: tuple[str, ...]
    exit_codes: tuple[int, ...]
    names: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    registry: str = "template"
    backends: tuple[str, ...] = BOTH
    env: tuple[tuple[str, str], ...] = ()
    tmpfs_size: int | None = None
    registry_on_tmpfs: int = 0
    drop_dac: bool = False
    what: str = ""

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["argv"] = list(self.argv)
        return d


#: What the pre-populated registry holds: (file, layer, options for ``Registry.load``).
BASE_LOADS: list[tuple[Path, str, dict]] = [
    (FIXTURES / "roads_gbk" / "roads.shp", "roads", {}),
    (FIXTURES / "pipelines.gpkg", "pipelines", {"source_layer": "pipe_network"}),
    (FIXTURES / "parking_amap.xlsx", "parking_facilities", {"crs": "gcj02"}),
    (FIXTURES / "beautiful_blocks.geojson", "beautiful_blocks", {}),
    (FIXTURES / "complaints_baidu.csv", "complaints",
     {"crs": "bd09", "x": "bd_lon", "y": "bd_lat"}),
    (DEMO / "districts.geojson", "districts", {}),
    (DEMO / "water_stations.geojson", "water_stations", {}),
]

# ----------------------------------------------------------------------------- base data
#: Roads not in the registry (WGS84), in catalogue column names.
NEW_ROADS = [
    ("R9001", "试验路一", "arterial", 30.0, [(121.5150, 31.2860), (121.5300, 31.2890)]),
    ("R9002", "试验路二", "secondary", 20.0, [(121.5080, 31.2900), (121.5190, 31.2940)]),
    ("R9003", "试验路三", "branch", 12.0, [(121.5060, 31.2930), (121.5100, 31.2950)]),
]
NEW_BLOCKS = [
    ("B9001", "试验街区一", 2022, [(121.5055, 31.2920), (121.5105, 31.2920), (121.5105, 31.2960),
                                  (121.5055, 31.2960), (121.5055, 31.2920)]),
    ("B9002", "试验街区二", 2023, [(121.5200, 31.2800), (121.5250, 31.2800), (121.5250, 31.2840),
                                  (121.5200, 31.2840), (121.5200, 31.2800)]),
    ("B9003", "试验街区三", 2024, [(121.5300, 31.2700), (121.5350, 31.2700), (121.5350, 31.2740),
                                  (121.5300, 31.2740), (121.5300, 31.2700)]),
]
COMPLAINT_HEADER = ["complaint_id", "received_at", "category", "text", "lon", "lat"]
NEW_COMPLAINTS = [
    ["C9001", "2025-03-01 08:15", "道路破损", "路面塌陷", "121.5250", "31.2775"],
    ["C9002", "2025-03-02 09:15", "噪声", "夜间施工噪声", "121.5120", "31.3020"],
    ["C9003", "2025-03-03 10:30", "占道经营", "夜市占道", "121.5080", "31.3040"],
]
PARKING_HEADER = ["facility_id", "name", "kind", "capacity", "lon", "lat"]
NEW_PARKING = [
    ["P9001", "试验停车场一", "public", "100", "121.5145", "31.3010"],
    ["P9002", "试验停车场二", "commercial", "50", "121.5232", "31.2710"],
    ["P9003", "试验停车场三", "hospital", "80", "121.5260", "31.2780"],
]

HOSTILE = {
    "jinja_expr": "{{ 7*7 }}",
    "jinja_quote": "{{ \"x\" ~ 'y' }}",
    "jinja_stmt": "{% for x in range(3) %}loop{% endfor %}",
    "jinja_comment": "{# hidden #}",
    "jinja_rce": "{{ cycler.__init__.__globals__.os.system('touch /tmp/yangpu_pwned') }}",
    "html_script": "<script>alert(1)</script>",
    "html_attr": "\"><svg/onload=alert(1)>",
    "rich_close": "[/]",
    "rich_close_tag": "[/x]",
    "rich_link": "[link=https://evil.example]click[/link]",
    "rich_style": "[bold red on white]x",
    "ansi_clear": "\x1b[2J\x1b[31mred",
    "sql_quote": "x'); DROP TABLE roads; --",
}


def _feature(props: dict, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _line(coords) -> dict:
    return {"type": "LineString", "coordinates": [list(c) for c in coords]}


def roads_features() -> list[dict]:
    """The new roads as GeoJSON features (catalogue columns, WGS84)."""
    return [_feature({"road_id": rid, "name": name, "road_class": cls, "width_m": width},
                     _line(coords)) for rid, name, cls, width, coords in NEW_ROADS]


def blocks_features() -> list[dict]:
    return [_feature({"block_id": bid, "name": name, "year": year},
                     {"type": "Polygon", "coordinates": [[list(c) for c in ring]]})
            for bid, name, year, ring in NEW_BLOCKS]


def _geojson_text(features: list[dict], *, allow_nan: bool = False) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                      allow_nan=allow_nan, indent=1)


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


def _write(path: Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode(encoding)
    path.write_bytes(data)
    return path


def _copy_roads_shp(dst_dir: Path, stem: str = "roads") -> Path:
    dst_dir.mkdir(parents=True, exist_ok=True)
    for part in sorted((FIXTURES / "roads_gbk").iterdir()):
        shutil.copyfile(part, dst_dir / f"{stem}{part.suffix}")
    return dst_dir / f"{stem}.shp"


def _new_roads_shp(dst_dir: Path, stem: str = "roads") -> Path:
    """A valid shapefile of the new roads (ids not in the registry), UTF-8 with .cpg."""
    import geopandas as gpd
    import pyogrio
    import shapely

    dst_dir.mkdir(parents=True, exist_ok=True)
    gdf = gpd.GeoDataFrame(
        [{"road_id": r[0], "name": r[1], "road_class": r[2], "width_m": r[3]} for r in NEW_ROADS],
        geometry=[shapely.LineString(r[4]) for r in NEW_ROADS], crs="EPSG:4326",
    ).to_crs("EPSG:4549")
    path = dst_dir / f"{stem}.shp"
    pyogrio.write_dataframe(gdf, path, encoding="UTF-8")
    return path


def _zip(path: Path, members: list[tuple[str, bytes]], *, stored: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = method
            zf.writestr(info, data)
    return path


def _roads_parts() -> dict[str, bytes]:
    return {p.suffix: p.read_bytes() for p in sorted((FIXTURES / "roads_gbk").iterdir())}


def _xlsx(path: Path, header: list[str], rows: list[list], sheet: str = "Sheet1",
          extra_sheets: dict | None = None) -> Path:
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(r)
    for name, (h, rs) in (extra_sheets or {}).items():
        other = wb.create_sheet(name)
        other.append(h)
        for r in rs:
            other.append(r)
    wb.properties.created = datetime(2025, 1, 1)
    wb.properties.modified = datetime(2025, 1, 1)
    wb.save(path)
    # openpyxl stamps the zip members with the current time: fix them (deterministic bytes)
    with zipfile.ZipFile(path) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    members = [(n, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-01-01T00:00:00Z", d)
                if n == "docProps/core.xml" else d) for n, d in members]
    _zip(path, members)
    return path


def _parking_rows_typed() -> list[list]:
    return [[r[0], r[1], r[2], int(r[3]), float(r[4]), float(r[5])] for r in NEW_PARKING]


# ----------------------------------------------------------------------------- the corpus
class _Builder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.cases: list[Case] = []

    def dir(self, case_id: str) -> Path:
        d = self.root / case_id
        d.mkdir(parents=True, exist_ok=True)
        return d

    def add(self, case_id: str, klass: str, argv: list[str], code: int | tuple[int, ...],
            names: list[str] | tuple[str, ...] = (), **kw) -> None:
        if any(c.id == case_id for c in self.cases):
            raise ValueError(f"duplicate case id {case_id}")
        codes = (code,) if isinstance(code, int) else tuple(code)
        self.cases.append(Case(case_id, klass, tuple(str(a) for a in argv), codes,
                               tuple(names), **kw))


def _load(path: Path | str, layer: str, *extra: str) -> list[str]:
    return ["load", str(path), "--layer", layer, "-r", "{reg}", *extra]


def _structure(b: _Builder) -> None:
    parts = _roads_parts()
    # --- shapefile parts
    for part in (".shx", ".dbf"):
        d = b.dir(f"shp_missing{part.replace('.', '_')}")
        shp = _copy_roads_shp(d)
        shp.with_suffix(part).unlink()
        b.add(d.name, "structure", _load(shp, "roads", "--mode", "replace"), 2,
              ["roads.shp", f"roads{part}"], what=f"shapefile without its {part}")
    d = b.dir("shp_missing_shp")
    shp = _copy_roads_shp(d)
    shp.unlink()
    b.add(d.name, "structure", _load(shp, "roads", "--mode", "replace"), 2, ["roads.shp"],
          what="the .shp itself is missing (only .dbf/.shx/.prj)")
    d = b.dir("shp_load_the_dbf")
    shp = _copy_roads_shp(d)
    b.add(d.name, "structure", _load(shp.with_suffix(".dbf"), "roads", "--mode", "replace"), 2,
          ["roads.dbf"], what="the user names the .dbf instead of the .shp")
    for part, cut in ((".shp", 60), (".dbf", 200), (".shx", 16)):
        d = b.dir(f"shp_truncated{part.replace('.', '_')}")
        shp = _copy_roads_shp(d)
        f = shp.with_suffix(part)
        f.write_bytes(f.read_bytes()[:-cut])
        b.add(d.name, "structure", _load(shp, "roads", "--mode", "replace"), 2,
              [f"roads{part}"], what=f"{part} cut short by {cut} bytes")
    for part in (".shp", ".dbf", ".shx"):
        d = b.dir(f"shp_zero_bytes{part.replace('.', '_')}")
        shp = _copy_roads_shp(d)
        shp.with_suffix(part).write_bytes(b"")
        b.add(d.name, "structure", _load(shp, "roads", "--mode", "replace"), 2,
              [f"roads{part}"] if part != ".shp" else ["roads.shp"],
              what=f"zero-byte {part}")
    d = b.dir("shp_mismatched_parts")
    shp = _copy_roads_shp(d)
    other = _new_roads_shp(d / "other")
    shutil.copyfile(other.with_suffix(".dbf"), shp.with_suffix(".dbf"))
    b.add(d.name, "structure", _load(shp, "roads", "--mode", "replace"), 2, ["roads"],
          what=".dbf of a 3-feature export beside a 6-feature .shp/.shx")
    d = b.dir("shp_header_garbage")
    shp = _copy_roads_shp(d)
    shp.write_bytes(b"\xde\xad\xbe\xef" * 25 + parts[".shp"][100:])
    b.add(d.name, "structure", _load(shp, "roads", "--mode", "replace"), 2, ["roads.shp"],
          what=".shp whose 100-byte header is garbage")
    d = b.dir("dbf_header_garbage")
    shp = _copy_roads_shp(d)
    shp.with_suffix(".dbf").write_bytes(b"\x00" * 32 + parts[".dbf"][32:])
    b.add(d.name, "structure", _load(shp, "roads", "--mode", "replace"), 2, ["roads.dbf"],
          what=".dbf whose header is zeroed")
    d = b.dir("shp_is_text")
    shp = _copy_roads_shp(d)
    shp.write_text("this is not a shapefile\n" * 20)
    b.add(d.name, "structure", _load(shp, "roads", "--mode", "replace"), 2, ["roads.shp"],
          what="a text file saved as .shp")
    # --- GeoPackage sources
    good = (FIXTURES / "pipelines.gpkg").read_bytes()
    variants = {
        "gpkg_src_text": b"layer,pipe_id\npipe_network,W0001\n",
        "gpkg_src_truncated": good[: len(good) // 3],
        "gpkg_src_random": bytes((i * 7919 + 13) % 256 for i in range(8192)),
        "gpkg_src_header_only": good[:100],
    }
    for cid, data in variants.items():
        f = _write(b.dir(cid) / "pipes.gpkg", data)
        b.add(cid, "structure", _load(f, "pipelines", "--source-layer", "pipe_network",
                                      "--mode", "replace"), 2, ["pipes.gpkg"],
              what=cid.replace("_", " "))
    f = b.dir("gpkg_src_empty") / "pipes.gpkg"
    f.write_bytes(b"")
    b.add("gpkg_src_empty", "structure", _load(f, "pipelines", "--mode", "replace"), 2,
          ["pipes.gpkg"], what="zero-byte .gpkg source")
    d = b.dir("gpkg_src_plain_sqlite")
    f = d / "pipes.gpkg"
    with sqlite3.connect(f) as con:
        con.execute("CREATE TABLE t (a INTEGER)")
        con.execute("INSERT INTO t VALUES (1)")
    con.close()
    b.add(d.name, "structure", _load(f, "pipelines", "--mode", "replace"), 2, ["pipes.gpkg"],
          what="an SQLite file that is no GeoPackage")
    # --- GeoJSON
    text = _geojson_text(roads_features())
    f = _write(b.dir("geojson_invalid_json") / "roads.geojson", text[: len(text) // 2])
    b.add("geojson_invalid_json", "structure", _load(f, "roads"), 2, ["roads.geojson"],
          what="GeoJSON cut in the middle (invalid JSON)")
    f = _write(b.dir("geojson_not_geojson") / "roads.geojson", json.dumps({"hello": [1, 2, 3]}))
    b.add("geojson_not_geojson", "structure", _load(f, "roads"), 2, ["roads.geojson"],
          what="valid JSON that is not GeoJSON")
    f = _write(b.dir("geojson_nul_byte_raw") / "roads.geojson",
               text.encode()[:200] + b"\x00\x00" + text.encode()[200:])
    b.add("geojson_nul_byte_raw", "structure", _load(f, "roads"), 2, ["roads.geojson"],
          what="raw NUL bytes inside the JSON text")
    f = _write(b.dir("geojson_no_features") / "roads.geojson", _geojson_text([]))
    b.add("geojson_no_features", "structure", _load(f, "roads", "--mode", "replace"), 2,
          ["roads.geojson"], what="an empty FeatureCollection in replace mode (would wipe roads)")
    f = _write(b.dir("geojson_utf16") / "roads.geojson", text.encode("utf-16"))
    b.add("geojson_utf16", "structure", _load(f, "roads"), 2, ["roads.geojson"],
          what="GeoJSON saved as UTF-16")
    # --- CSV / XLSX structure
    f = _write(b.dir("csv_bom_only") / "complaints.csv", b"\xef\xbb\xbf")
    b.add("csv_bom_only", "structure", _load(f, "complaints", "--crs", "EPSG:4326"), 2,
          ["complaints.csv"], what="a CSV that holds only a UTF-8 byte-order mark")
    rows = [r[:] for r in NEW_PARKING]
    rows[1][2] = "spaceport"
    f = _write(b.dir("csv_cr_only") / "parking.csv",
               _csv_text(PARKING_HEADER, rows).replace("\n", "\r"))
    b.add("csv_cr_only", "structure", _load(f, "parking_facilities", "--crs", "EPSG:4326"), 2,
          ["parking.csv", "line 3", "kind"],
          what="CR-only line endings (classic Mac) and a bad kind on line 3")
    f = _write(b.dir("csv_header_only") / "complaints.csv", ",".join(COMPLAINT_HEADER) + "\n")
    b.add("csv_header_only", "structure", _load(f, "complaints", "--crs", "EPSG:4326"), 2,
          ["complaints.csv"], what="header without rows")
    f = _write(b.dir("csv_blank_lines_only") / "complaints.csv", "\n\n\n\n")
    b.add("csv_blank_lines_only", "structure", _load(f, "complaints", "--crs", "EPSG:4326"), 2,
          ["complaints.csv"], what="only empty lines")
    rows = [r[:] for r in NEW_COMPLAINTS]
    rows[1] = [*rows[1], "extra", "fields"]
    f = _write(b.dir("csv_ragged_row") / "complaints.csv", _csv_text(COMPLAINT_HEADER, rows))
    b.add("csv_ragged_row", "structure", _load(f, "complaints", "--crs", "EPSG:4326"), 2,
          ["complaints.csv", "line 3"], what="line 3 has two fields more than the header")
    rows = [r[:] for r in NEW_COMPLAINTS]
    rows[1][3] = '"unterminated quote'
    f = _write(b.dir("csv_unterminated_quote") / "complaints.csv",
               _csv_text(COMPLAINT_HEADER, rows))
    b.add("csv_unterminated_quote", "structure",
          _load(f, "complaints", "--crs", "EPSG:4326"), 2, ["complaints.csv"],
          what="an opening quote that never closes")
    header = ";".join(COMPLAINT_HEADER)
    body = "\n".join(",".join(r) for r in NEW_COMPLAINTS)
    f = _write(b.dir("csv_wrong_delimiter") / "complaints.csv", header + "\n" + body + "\n")
    b.add("csv_wrong_delimiter", "structure", _load(f, "complaints", "--crs", "EPSG:4326"), 2,
          ["complaints.csv"], what="header separated by ';', rows by ','")
    f = _write(b.dir("csv_binary") / "complaints.csv", bytes(range(256)) * 8)
    b.add("csv_binary", "structure", _load(f, "complaints", "--crs", "EPSG:4326"), 2,
          ["complaints.csv"], what="binary bytes saved as .csv")
    for cid, data in {"xlsx_text": b"facility_id,name\nP1,x\n",
                      "xlsx_truncated": None}.items():
        d = b.dir(cid)
        if data is None:
            good_x = _xlsx(d / "good.xlsx", PARKING_HEADER, _parking_rows_typed()).read_bytes()
            (d / "good.xlsx").unlink()
            data = good_x[: len(good_x) // 2]
        f = _write(d / "parking.xlsx", data)
        b.add(cid, "structure", _load(f, "parking_facilities", "--crs", "EPSG:4326"), 2,
              ["parking.xlsx"], what=cid.replace("_", " "))
    d = b.dir("xlsx_two_sheets")
    f = _xlsx(d / "parking.xlsx", PARKING_HEADER, _parking_rows_typed(), sheet="A",
              extra_sheets={"B": (PARKING_HEADER, _parking_rows_typed())})
    b.add(d.name, "structure", _load(f, "parking_facilities", "--crs", "EPSG:4326"), 2,
          ["parking.xlsx"], what="two sheets and no --source-layer")


def _encoding(b: _Builder) -> None:
    header = ",".join(COMPLAINT_HEADER) + "\n"
    lines = [",".join(r) + "\n" for r in NEW_COMPLAINTS]
    data = header.encode("gb18030") + lines[0].encode("gb18030") + lines[1].encode("utf-8") \
        + lines[2].encode("gb18030")
    f = _write(b.dir("csv_mixed_gb18030_utf8") / "complaints.csv", data)
    b.add("csv_mixed_gb18030_utf8", "encoding", _load(f, "complaints", "--crs", "EPSG:4326"), 2,
          ["complaints.csv", "line 3"], what="GB18030 CSV whose line 3 is UTF-8 (mojibake)")
    data = header.encode("utf-8") + lines[0].encode("utf-8") + lines[1].encode("gb18030") \
        + lines[2].encode("utf-8")
    f = _write(b.dir("csv_mixed_utf8_gb18030") / "complaints.csv", data)
    b.add("csv_mixed_utf8_gb18030", "encoding", _load(f, "complaints", "--crs", "EPSG:4326"), 2,
          ["complaints.csv", "line 3"], what="UTF-8 CSV whose line 3 is GB18030")
    f = _write(b.dir("csv_unknown_encoding") / "complaints.csv",
               _csv_text(COMPLAINT_HEADER, NEW_COMPLAINTS))
    b.add("csv_unknown_encoding", "options",
          _load(f, "complaints", "--crs", "EPSG:4326", "--encoding", "klingon-8"), 2,
          ["klingon-8"], what="--encoding names no codec")
    b.add("csv_encoding_not_text", "options",
          _load(f, "complaints", "--crs", "EPSG:4326", "--encoding", "base64"), 2,
          ["base64"], what="--encoding names a bytes-to-bytes codec, not a text encoding")
    d = b.dir("shp_unknown_encoding")
    shp = _copy_roads_shp(d)
    b.add(d.name, "options", _load(shp, "roads", "--mode", "replace", "--encoding", "klingon-8"),
          2, ["klingon-8"], what="--encoding names no codec (shapefile)")
    d = b.dir("shp_cpg_unknown_codec")
    shp = _copy_roads_shp(d)
    shp.with_suffix(".cpg").write_text("KLINGON-8")
    b.add(d.name, "encoding", _load(shp, "roads", "--mode", "replace"), 2,
          ["roads.cpg", "KLINGON-8"], what="a .cpg naming an unknown codec")
    d = b.dir("shp_cpg_lies")
    shp = _copy_roads_shp(d)
    shp.with_suffix(".cpg").write_text("UTF-8")
    b.add(d.name, "encoding", _load(shp, "roads", "--mode", "replace"), 2,
          ["roads.dbf", "道路名称"], what=".cpg says UTF-8, the DBF is GBK")  # the file's field
    rows = [r[:] for r in NEW_COMPLAINTS]
    f = _write(b.dir("csv_gbk_wrong_encoding_flag") / "complaints.csv",
               _csv_text(COMPLAINT_HEADER, rows), encoding="gbk")
    b.add("csv_gbk_wrong_encoding_flag", "encoding",
          _load(f, "complaints", "--crs", "EPSG:4326", "--encoding", "utf-8"), 2,
          ["complaints.csv", "line 2"], what="GBK CSV read with --encoding utf-8")


def _columns(b: _Builder) -> None:
    header = ["complaint_id", "received_at", "category", "category", "lon", "lat"]
    rows = [[r[0], r[1], r[2], "其他", r[4], r[5]] for r in NEW_COMPLAINTS]
    f = _write(b.dir("csv_duplicate_columns") / "complaints.csv", _csv_text(header, rows))
    b.add("csv_duplicate_columns", "columns", _load(f, "complaints", "--crs", "EPSG:4326"), 2,
          ["complaints.csv", "category"], what="two columns named category")
    header = ["complaint_id", "received_at", "category", "问题类别", "lon", "lat"]
    f = _write(b.dir("csv_alias_collision") / "complaints.csv", _csv_text(header, rows))
    b.add("csv_alias_collision", "columns", _load(f, "complaints", "--crs", "EPSG:4326"), 2,
          ["complaints.csv", "category"], what="category and its alias 问题类别 both present")
    d = b.dir("xlsx_duplicate_columns")
    f = _xlsx(d / "parking.xlsx", ["facility_id", "name", "name", "kind", "capacity", "lon",
                                   "lat"],
              [[r[0], r[1], "别名", *r[2:]] for r in _parking_rows_typed()])
    b.add(d.name, "columns", _load(f, "parking_facilities", "--crs", "EPSG:4326"), 2,
          ["parking.xlsx", "name"], what="two columns named name in a sheet")
    feats = roads_features()
    for ft in feats:
        ft["properties"].pop("road_class")
    f = _write(b.dir("geojson_missing_required_column") / "roads.geojson", _geojson_text(feats))
    b.add("geojson_missing_required_column", "columns", _load(f, "roads"), 2,
          ["roads.geojson", "road_class"], what="no road_class column")
    f = _write(b.dir("csv_no_coordinate_columns") / "complaints.csv",
               _csv_text(COMPLAINT_HEADER[:4], [r[:4] for r in NEW_COMPLAINTS]))
    b.add("csv_no_coordinate_columns", "columns",
          _load(f, "parking_facilities", "--crs", "EPSG:4326"), 2, ["complaints.csv"],
          what="parking CSV without coordinate columns")
    f = _write(b.dir("csv_x_column_unknown") / "parking.csv",
               _csv_text(PARKING_HEADER, NEW_PARKING))
    b.add("csv_x_column_unknown", "options",
          _load(f, "parking_facilities", "--crs", "EPSG:4326", "--x", "经度X", "--y", "lat"), 2,
          ["parking.csv", "经度X"], what="--x names a column the file lacks")


def _values(b: _Builder) -> None:
    def parking_csv(cid: str, row: int, col: str, value: str, what: str, names=None,
                    code=2) -> None:
        rows = [r[:] for r in NEW_PARKING]
        rows[row - 2][PARKING_HEADER.index(col)] = value
        f = _write(b.dir(cid) / "parking.csv", _csv_text(PARKING_HEADER, rows))
        b.add(cid, "values", _load(f, "parking_facilities", "--crs", "EPSG:4326"), code,
              names or ["parking.csv", f"line {row}", col], what=what)

    parking_csv("csv_int_beyond_int64", 3, "capacity", "1e30", "capacity 1e30 (beyond int64)")
    parking_csv("csv_int_huge_digits", 3, "capacity", "9" * 40, "capacity of 40 nines")
    parking_csv("csv_int_fraction", 3, "capacity", "12.5", "capacity 12.5 (not an integer)")
    parking_csv("csv_int_negative", 3, "capacity", "-5", "capacity below its bound 0")
    parking_csv("csv_int_text", 3, "capacity", "许多", "capacity that is text")
    parking_csv("csv_int_inf", 3, "capacity", "inf", "capacity inf")
    parking_csv("csv_int_nan", 3, "capacity", "NaN", "capacity NaN (a required field)")
    parking_csv("csv_enum_unknown", 3, "kind", "spaceport", "kind not in the enumeration")
    parking_csv("csv_required_blank", 3, "name", "", "required name blank")
    parking_csv("csv_coordinate_text", 3, "lon", "东经121度", "coordinate that is text")
    parking_csv("csv_coordinate_nan", 3, "lat", "nan", "coordinate NaN")
    parking_csv("csv_coordinate_inf", 3, "lon", "inf", "coordinate inf")
    parking_csv("csv_coordinate_huge", 3, "lon", "1e308", "coordinate 1e308",
                names=["parking.csv", "line 3"])
    parking_csv("csv_duplicate_ids", 3, "facility_id", "P9001", "facility_id repeated in file",
                names=["parking.csv", "line 3", "facility_id"])
    rows = [r[:] for r in NEW_COMPLAINTS]
    rows[1][3] = "nul\x00byte"
    f = _write(b.dir("csv_nul_in_text") / "complaints.csv", _csv_text(COMPLAINT_HEADER, rows))
    b.add("csv_nul_in_text", "values", _load(f, "complaints", "--crs", "EPSG:4326"), 2,
          ["complaints.csv", "line 3", "text"], what="a NUL character in the text field")
    rows = [r[:] for r in NEW_COMPLAINTS]
    rows[1][1] = "2025-13-45 25:61"
    f = _write(b.dir("csv_datetime_garbage") / "complaints.csv",
               _csv_text(COMPLAINT_HEADER, rows))
    b.add("csv_datetime_garbage", "values", _load(f, "complaints", "--crs", "EPSG:4326"), 2,
          ["complaints.csv", "line 3", "received_at"], what="received_at 2025-13-45 25:61")
    rows = [r[:] for r in NEW_COMPLAINTS]
    rows[1][1] = "99999-01-01 00:00"
    f = _write(b.dir("csv_datetime_year_99999") / "complaints.csv",
               _csv_text(COMPLAINT_HEADER, rows))
    b.add("csv_datetime_year_99999", "values", _load(f, "complaints", "--crs", "EPSG:4326"), 2,
          ["complaints.csv", "line 3", "received_at"], what="received_at in year 99999")
    # XLSX typed cells
    d = b.dir("xlsx_date_in_numeric")
    rows = _parking_rows_typed()
    rows[1][3] = datetime(2021, 5, 5)
    f = _xlsx(d / "parking.xlsx", PARKING_HEADER, rows)
    b.add(d.name, "values", _load(f, "parking_facilities", "--crs", "EPSG:4326"), 2,
          ["parking.xlsx", "row 3", "capacity"], what="a date cell in the capacity column")
    d = b.dir("xlsx_date_and_blank_in_numeric")
    rows = _parking_rows_typed()
    rows[1][3] = datetime(2021, 5, 5)
    rows[2][3] = None
    f = _xlsx(d / "parking.xlsx", PARKING_HEADER, rows)
    b.add(d.name, "values", _load(f, "parking_facilities", "--crs", "EPSG:4326"), 2,
          ["parking.xlsx", "row 3", "capacity"], forbid=["e+18"],
          what="a date and a blank in the capacity column")
    d = b.dir("xlsx_bool_in_numeric")
    rows = _parking_rows_typed()
    rows[1][3] = True
    f = _xlsx(d / "parking.xlsx", PARKING_HEADER, rows)
    b.add(d.name, "values", _load(f, "parking_facilities", "--crs", "EPSG:4326"), 2,
          ["parking.xlsx", "row 3", "capacity"], what="a TRUE cell in the capacity column")
    d = b.dir("xlsx_error_cell")
    rows = _parking_rows_typed()
    rows[1][3] = "#DIV/0!"
    f = _xlsx(d / "parking.xlsx", PARKING_HEADER, rows)
    b.add(d.name, "values", _load(f, "parking_facilities", "--crs", "EPSG:4326"), 2,
          ["parking.xlsx", "row 3", "capacity"], what="an Excel error value as capacity")
    d = b.dir("xlsx_float_in_int")
    rows = _parking_rows_typed()
    rows[1][3] = 12.5
    f = _xlsx(d / "parking.xlsx", PARKING_HEADER, rows)
    b.add(d.name, "values", _load(f, "parking_facilities", "--crs", "EPSG:4326"), 2,
          ["parking.xlsx", "row 3", "capacity"], what="12.5 parking spaces")
    d = b.dir("xlsx_date_as_name")
    rows = _parking_rows_typed()
    rows[1][4] = datetime(2021, 5, 5)
    f = _xlsx(d / "parking.xlsx", PARKING_HEADER, rows)
    b.add(d.name, "values", _load(f, "parking_facilities", "--crs", "EPSG:4326"), 2,
          ["parking.xlsx", "row 3", "lon"], what="a date cell as longitude")
    # GeoJSON values
    def roads_json(cid: str, mutate, names, what: str, *extra: str, klass: str = "values",
                   allow_nan: bool = False, **kw) -> None:
        feats = roads_features()
        mutate(feats)
        f = _write(b.dir(cid) / "roads.geojson", _geojson_text(feats, allow_nan=allow_nan))
        b.add(cid, klass, _load(f, "roads", *extra), 2, ["roads.geojson", *names], what=what,
              **kw)

    def setp(i: int, k: str, v):
        def m(feats):
            feats[i]["properties"][k] = v
        return m

    roads_json("geojson_nul_in_name", setp(1, "name", "nul\x00byte"), ["feature 2", "name"],
               "name 'nul\\u0000byte' (GDAL cuts it at the NUL)")
    roads_json("geojson_width_text", setp(1, "width_m", "wide"), ["feature 2", "width_m"],
               "width_m is the string 'wide'")
    roads_json("geojson_width_bool", setp(1, "width_m", True), ["feature 2", "width_m"],
               "width_m is true")
    roads_json("geojson_width_object", setp(1, "width_m", {"v": 3}), ["feature 2", "width_m"],
               "width_m is a JSON object")
    roads_json("geojson_width_out_of_bounds", setp(1, "width_m", 1e6), ["feature 2", "width_m"],
               "width_m above its bound")
    roads_json("geojson_width_infinity", setp(1, "width_m", float("inf")),
               ["feature 2", "width_m"], "width_m Infinity", allow_nan=True)
    roads_json("geojson_date_garbage", setp(1, "built_date", "2021-02-30"),
               ["feature 2", "built_date"], "built_date 2021-02-30")
    roads_json("geojson_required_null", setp(1, "name", None), ["feature 2", "name"],
               "required name null")
    roads_json("geojson_id_blank", setp(1, "road_id", "  "), ["feature 2", "road_id"],
               "road_id only spaces")
    roads_json("geojson_duplicate_id", setp(1, "road_id", "R9001"), ["feature 2", "road_id"],
               "road_id repeated")
    roads_json("geojson_id_in_registry", setp(1, "road_id", "R0001"), ["feature 2", "road_id"],
               "road_id already in the registry (append)")
    roads_json("geojson_long_value", setp(1, "road_class", "x" * 100_000),
               ["feature 2", "road_class"], "a 100,000-character road_class")
    # hostile text in refused positions: the refusal shows the value literally
    for key in ("rich_close", "rich_close_tag", "rich_link", "rich_style", "jinja_expr",
                "jinja_stmt", "html_script"):
        value = HOSTILE[key]
        shown = [value] if key != "rich_link" else ["[link=https://evil.example]"]
        roads_json(f"hostile_enum_{key}", setp(1, "road_class", value),
                   ["feature 2", "road_class", *shown],
                   f"road_class {value!r}: the refusal must show it literally",
                   klass="hostile-text")
    roads_json("hostile_enum_ansi", setp(1, "road_class", HOSTILE["ansi_clear"]),
               ["feature 2", "road_class"], "road_class with ANSI escapes",
               klass="hostile-text", forbid=("\x1b[2J", "\x1b[31m"))
    roads_json("hostile_duplicate_id_markup", lambda f: [setp(0, "road_id", "[/x]")(f),
                                                         setp(1, "road_id", "[/x]")(f)],
               ["feature 2", "road_id", "[/x]"], "duplicate id '[/x]'", klass="hostile-text")
    roads_json("hostile_id_in_registry_markup", lambda f: setp(1, "road_id", "R0001")(f)
               or setp(1, "name", "[/]")(f), ["feature 2", "road_id"],
               "markup name on a row refused for its id", klass="hostile-text")


def _geometry(b: _Builder) -> None:
    def roads_geom(cid: str, geometry, names, what: str, *extra: str, allow_nan=False,
                   raw: str | None = None) -> None:
        feats = roads_features()
        feats[1]["geometry"] = geometry
        text = raw if raw is not None else _geojson_text(feats, allow_nan=allow_nan)
        f = _write(b.dir(cid) / "roads.geojson", text)
        b.add(cid, "geometry", _load(f, "roads", *extra), 2, ["roads.geojson", *names],
              what=what)

    nan_line = _line([(121.5080, 31.2900), (float("nan"), float("nan")), (121.5190, 31.2940)])
    roads_geom("geojson_nan_coordinates", nan_line, ["feature 2"], "NaN in a LineString",
               allow_nan=True)
    roads_geom("geojson_nan_coordinates_repair", nan_line, ["feature 2"],
               "NaN in a LineString with --repair (must not be 'made valid')", "--repair",
               allow_nan=True)
    roads_geom("geojson_infinite_coordinates",
               _line([(121.5080, 31.2900), (float("inf"), 31.29)]), ["feature 2"],
               "Infinity as a coordinate", allow_nan=True)
    roads_geom("geojson_one_point_line", _line([(121.5080, 31.2900)]), ["feature 2"],
               "a LineString of one point")
    roads_geom("geojson_one_point_line_repair", _line([(121.5080, 31.2900)]), ["feature 2"],
               "a LineString of one point, --repair", "--repair")
    roads_geom("geojson_zero_length_line", _line([(121.5080, 31.2900), (121.5080, 31.2900)]),
               ["feature 2"], "a LineString whose two points are the same")
    roads_geom("geojson_z_coordinates",
               _line([(121.5080, 31.2900, 4.0), (121.5190, 31.2940, 5.0)]), ["feature 2"],
               "3D LineString (Z) without --repair")
    roads_geom("geojson_wrong_type_point", {"type": "Point", "coordinates": [121.51, 31.29]},
               ["feature 2"], "a Point in the roads layer")
    roads_geom("geojson_null_geometry", None, ["feature 2"], "a feature without geometry")
    roads_geom("geojson_empty_geometry", {"type": "LineString", "coordinates": []},
               ["feature 2"], "an empty LineString")
    roads_geom("geojson_coordinates_strings",
               {"type": "LineString", "coordinates": [["121.5", "31.29"], ["121.6", "31.3"]]},
               ["feature 2"], "coordinates given as strings")
    roads_geom("geojson_unknown_geometry_type",
               {"type": "Curve", "coordinates": [[121.5, 31.29], [121.6, 31.3]]},
               [], "a geometry type GeoJSON does not have")
    feats = blocks_features()
    feats[1]["geometry"] = {"type": "Polygon", "coordinates": [[[121.52, 31.28], [121.525, 31.284],
                                                                [121.525, 31.28], [121.52, 31.284],
                                                                [121.52, 31.28]]]}
    f = _write(b.dir("geojson_bowtie_polygon") / "blocks.geojson", _geojson_text(feats))
    b.add("geojson_bowtie_polygon", "geometry", _load(f, "beautiful_blocks"), 2,
          ["blocks.geojson", "feature 2"], what="a self-intersecting polygon without --repair")
    feats = blocks_features()
    feats[1]["geometry"]["coordinates"][0][2] = [float("nan"), float("nan")]
    f = _write(b.dir("geojson_polygon_nan_repair") / "blocks.geojson",
               _geojson_text(feats, allow_nan=True))
    b.add("geojson_polygon_nan_repair", "geometry", _load(f, "beautiful_blocks", "--repair"), 2,
          ["blocks.geojson", "feature 2"], what="polygon with a NaN vertex and --repair")
    feats = blocks_features()
    feats[1]["geometry"]["coordinates"][0] = feats[1]["geometry"]["coordinates"][0][:3]
    f = _write(b.dir("geojson_polygon_unclosed") / "blocks.geojson", _geojson_text(feats))
    b.add("geojson_polygon_unclosed", "geometry", _load(f, "beautiful_blocks"), 2,
          ["blocks.geojson", "feature 2"], what="polygon ring of 3 points, not closed")


def _crs(b: _Builder) -> None:
    d = b.dir("shp_no_prj")
    shp = _copy_roads_shp(d)
    shp.with_suffix(".prj").unlink()
    b.add(d.name, "crs", _load(shp, "roads", "--mode", "replace"), 2, ["roads.shp"],
          what="shapefile without .prj and no --crs")
    d = b.dir("shp_prj_garbage")
    shp = _copy_roads_shp(d)
    shp.with_suffix(".prj").write_text("PROJCS[\"broken\", GEOGCS[")
    b.add(d.name, "crs", _load(shp, "roads", "--mode", "replace"), 2, ["roads"],
          what=".prj that is not WKT")
    feats = roads_features()
    for ft in feats:
        ft["geometry"]["coordinates"] = [[c[1], c[0]] for c in ft["geometry"]["coordinates"]]
    f = _write(b.dir("geojson_swapped_lonlat") / "roads.geojson", _geojson_text(feats))
    b.add("geojson_swapped_lonlat", "crs", _load(f, "roads"), 2, ["roads.geojson"],
          what="lat/lon swapped")
    feats = roads_features()
    for ft in feats:
        ft["geometry"]["coordinates"] = [[c[0] - 5.1, c[1] + 8.6] for c in
                                         ft["geometry"]["coordinates"]]
    f = _write(b.dir("geojson_outside_yangpu") / "roads.geojson", _geojson_text(feats))
    b.add("geojson_outside_yangpu", "crs", _load(f, "roads"), 2, ["roads.geojson"],
          what="roads in Beijing")
    rows = [r[:] for r in NEW_PARKING]
    for r in rows:
        r[4], r[5] = str(float(r[4]) * 111_000), str(float(r[5]) * 111_000)
    f = _write(b.dir("csv_metres_as_degrees") / "parking.csv", _csv_text(PARKING_HEADER, rows))
    b.add("csv_metres_as_degrees", "crs", _load(f, "parking_facilities", "--crs", "EPSG:4326"),
          2, ["parking.csv"], what="metre values labelled EPSG:4326")
    text = _geojson_text(roads_features())
    obj = json.loads(text)
    obj["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}
    f = _write(b.dir("geojson_unknown_crs_member") / "roads.geojson", json.dumps(obj))
    b.add("geojson_unknown_crs_member", "crs", _load(f, "roads"), 2, ["roads.geojson"],
          what="GeoJSON crs member naming EPSG:999999")
    f = _write(b.dir("csv_bad_crs_option") / "parking.csv", _csv_text(PARKING_HEADER, NEW_PARKING))
    for cid, crs in (("crs_option_unknown_epsg", "EPSG:999999"), ("crs_option_garbage", "foo bar"),
                     ("crs_option_gcj03", "gcj03"), ("crs_option_markup", "[/x]")):
        b.add(cid, "options", _load(f, "parking_facilities", "--crs", crs), 2, [crs],
              what=f"--crs {crs}")


def _archives(b: _Builder) -> None:
    parts = _roads_parts()
    good = {f"roads{s}": data for s, data in parts.items()}
    f = _write(b.dir("zip_damaged") / "roads.zip", bytes((i * 31 + 7) % 256 for i in range(4096)))
    b.add("zip_damaged", "archive", _load(f, "roads", "--mode", "replace"), 2, ["roads.zip"],
          what="random bytes named .zip")
    data = (FIXTURES / "roads_gbk.zip").read_bytes()
    f = _write(b.dir("zip_truncated") / "roads.zip", data[: len(data) * 6 // 10])
    b.add("zip_truncated", "archive", _load(f, "roads", "--mode", "replace"), 2, ["roads.zip"],
          what="zip cut at 60 %")
    d = b.dir("zip_bad_crc")
    f = _zip(d / "roads.zip", sorted(good.items()), stored=True)
    raw = bytearray(f.read_bytes())
    with zipfile.ZipFile(f) as zf:
        info = zf.getinfo("roads.dbf")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    raw[start + info.file_size - 10] ^= 0xFF
    f.write_bytes(bytes(raw))
    b.add(d.name, "archive", _load(f, "roads", "--mode", "replace"), 2, ["roads.zip"],
          what="a member whose CRC does not match (flipped byte in roads.dbf)")
    # traversal: names climbing out of the archive point at a real shapefile elsewhere
    d = b.dir("zip_traversal")
    victim = _new_roads_shp(d / "elsewhere")
    rel = "../" * 24 + str(victim.parent).lstrip("/") + "/roads"
    f = _zip(d / "roads.zip", [(rel + s, data) for s, data in sorted(parts.items())])
    b.add(d.name, "archive", _load(f, "roads", "--mode", "replace"), 2, ["roads.zip", "../"],
          what="member names ../../…/elsewhere/roads.shp")
    d = b.dir("zip_absolute_member")
    victim = _new_roads_shp(d / "elsewhere")
    f = _zip(d / "roads.zip", [(str(victim.parent) + "/roads" + s, data)
                               for s, data in sorted(parts.items())])
    b.add(d.name, "archive", _load(f, "roads", "--mode", "replace"), 2, ["roads.zip"],
          what="absolute member names /…/elsewhere/roads.shp")
    d = b.dir("zip_backslash_traversal")
    f = _zip(d / "roads.zip", [("..\\..\\evil\\roads" + s, data)
                               for s, data in sorted(parts.items())])
    b.add(d.name, "archive", _load(f, "roads", "--mode", "replace"), 2, ["roads.zip"],
          what="Windows-style ..\\..\\ member names")
    d = b.dir("zip_no_shapefile")
    f = _zip(d / "roads.zip", [("readme.txt", b"nothing here\n")])
    b.add(d.name, "archive", _load(f, "roads", "--mode", "replace"), 2, ["roads.zip"],
          what="a zip without a shapefile")
    d = b.dir("zip_two_shapefiles")
    f = _zip(d / "roads.zip", sorted(good.items()) + [(f"more{s}", v) for s, v in
                                                       sorted(parts.items())])
    b.add(d.name, "archive", _load(f, "roads", "--mode", "replace"), 2, ["roads.zip", "more"],
          what="two shapefiles and no --source-layer")
    d = b.dir("zip_missing_dbf")
    f = _zip(d / "roads.zip", [(k, v) for k, v in sorted(good.items()) if k != "roads.dbf"])
    b.add(d.name, "archive", _load(f, "roads", "--mode", "replace"), 2, ["roads.zip", "roads.dbf"],
          what="zipped shapefile without .dbf")
    # a bomb: a valid shapefile plus 400 MB of zeros in a sidecar (≈0.4 MB compressed)
    d = b.dir("zip_bomb")
    f = d / "roads.zip"
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in sorted(good.items()):
            zf.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), data,
                        compress_type=zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("roads.shp.xml", date_time=(2025, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        block = b"\x00" * (1 << 20)
        with zf.open(info, "w", force_zip64=True) as fh:
            for _ in range(400):
                fh.write(block)
    b.add(d.name, "archive", _load(f, "roads", "--mode", "replace"), 2, ["roads.zip"],
          what="0.4 MB zip that expands to 400 MB")
    # disk full while extracting: TMPDIR on a 64 KiB tmpfs, a 0.6 MB zipped shapefile
    d = b.dir("zip_extract_disk_full")
    f = _zip(d / "roads.zip", [(f"roads{p.suffix}", p.read_bytes())
                               for p in sorted(DEMO.glob("roads.*"))])
    b.add(d.name, "disk", _load(f, "roads", "--mode", "replace"), (1, 2), [],
          env=(("TMPDIR", "{full}"),), tmpfs_size=64 * 1024,
          what="extraction of a zipped shapefile into a full TMPDIR")


def _where(b: _Builder) -> None:
    d = b.dir("where")
    f = _write(d / "roads.geojson", _geojson_text(roads_features()))
    for cid, expr in (
        ("where_syntax_error", "name = "),
        ("where_unknown_field", "nosuchfield = 1"),
        ("where_sql_statement", "1=1; DROP TABLE roads"),
        ("where_union", "1=1 UNION SELECT * FROM sqlite_master"),
        ("where_subquery", "road_id IN (SELECT name FROM sqlite_master)"),
        ("where_comment", "1=1 --"),
        ("where_markup", "name = '[/x]' AND [/]"),
        ("where_empty_parens", "()"),
    ):
        b.add(cid, "options", _load(f, "roads", "--where", expr), 2, ["roads.geojson", "where"],
              what=f"--where {expr!r}")
    f = _write(d / "parking.csv", _csv_text(PARKING_HEADER, NEW_PARKING))
    b.add("where_on_csv", "options", _load(f, "parking_facilities", "--crs", "EPSG:4326",
                                           "--where", "capacity > 10"), 2, ["parking.csv", "where"],
          what="--where on a CSV")
    shp = _copy_roads_shp(b.dir("where_shapefile_statement"))
    b.add("where_shapefile_statement", "options",
          _load(shp, "roads", "--mode", "replace", "--where", "1=1; DELETE FROM roads"), 2,
          ["roads.shp", "where"], what="a second statement in --where on a shapefile")
    src = b.dir("where_gpkg_drop") / "pipes.gpkg"
    shutil.copyfile(FIXTURES / "pipelines.gpkg", src)
    b.add("where_gpkg_drop", "options",
          _load(src, "pipelines", "--source-layer", "pipe_network", "--mode", "replace",
                "--where", "1=1; DROP TABLE pipe_network"), 2, ["pipes.gpkg", "where"],
          what="DROP TABLE through --where on a GeoPackage source")


def _options(b: _Builder) -> None:
    d = b.dir("options")
    f = _write(d / "roads.geojson", _geojson_text(roads_features()))
    b.add("layer_unknown", "options", _load(f, "highways"), 2, ["highways"],
          what="--layer not in the catalogue")
    b.add("layer_markup", "hostile-text", _load(f, "[/x]"), 2, ["[/x]"],
          what="--layer '[/x]'")
    b.add("layer_link_markup", "hostile-text", _load(f, "[link=https://evil.example]x"), 2,
          ["[link=https://evil.example]x"], what="--layer with a rich link")
    b.add("mode_unknown", "options", _load(f, "roads", "--mode", "merge"), 2, ["merge"],
          what="--mode merge")
    b.add("mode_markup", "hostile-text", _load(f, "roads", "--mode", "[/]"), 2, ["[/]"],
          what="--mode '[/]'")
    b.add("map_no_equals", "options", _load(f, "roads", "--map", "nonsense"), 2, ["nonsense"],
          what="--map without =")
    b.add("map_markup", "hostile-text", _load(f, "roads", "--map", "[/x]"), 2, ["[/x]"],
          what="--map '[/x]' (no =, markup)")
    b.add("map_unknown_target", "options", _load(f, "roads", "--map", "name=nosuchcolumn"), 2,
          ["nosuchcolumn"], what="--map to a column the layer lacks")
    b.add("map_unknown_source", "options", _load(f, "roads", "--map", "道路名=name"), 2,
          ["道路名"], what="--map from a column the file lacks")
    b.add("map_two_to_one", "options",
          _load(f, "roads", "--map", "road_id=name", "--map", "name=name"), 2, ["name"],
          what="two source columns mapped onto name")
    b.add("value_malformed", "options", _load(f, "roads", "--value", "road_class"), 2,
          ["road_class"], what="--value without :SRC=DST")
    b.add("value_unknown_column", "options", _load(f, "roads", "--value", "nosuch:a=b"), 2,
          ["nosuch"], what="--value for a column the layer lacks")
    b.add("value_to_invalid_enum", "options",
          _load(f, "roads", "--value", "road_class:arterial=motorway"), 2,
          ["road_class", "motorway"], what="--value translating into a value not allowed")
    b.add("source_layer_unknown", "options",
          _load(FIXTURES / "pipelines.gpkg", "pipelines", "--source-layer", "nope"), 2,
          ["pipelines.gpkg", "nope"], what="--source-layer the GeoPackage lacks")
    b.add("sheet_unknown", "options",
          _load(FIXTURES / "parking_amap.xlsx", "parking_facilities", "--source-layer", "nope",
                "--crs", "gcj02"), 2, ["parking_amap.xlsx", "nope"],
          what="--source-layer (sheet) the workbook lacks")
    b.add("map_file_missing", "options",
          _load(f, "roads", "--map-file", str(d / "missing.toml")), 2, ["missing.toml"],
          what="--map-file that does not exist")
    bad_toml = _write(d / "bad.toml", "[map\nname = \n")
    b.add("map_file_bad_toml", "options", _load(f, "roads", "--map-file", bad_toml), 2,
          ["bad.toml"], what="--map-file that is not TOML")
    bad_json = _write(d / "bad.json", "{\"map\": [1, 2")
    b.add("map_file_bad_json", "options", _load(f, "roads", "--map-file", bad_json), 2,
          ["bad.json"], what="--map-file that is not JSON")
    wrong = _write(d / "wrong_shape.toml", "map = 3\n[values]\nroad_class = \"x\"\n")
    b.add("map_file_wrong_shape", "options", _load(f, "roads", "--map-file", wrong), 2,
          ["wrong_shape.toml"], what="--map-file whose [map] is not a table")
    bin_map = _write(d / "binary.csv", bytes(range(256)))
    b.add("map_file_binary_csv", "options", _load(f, "roads", "--map-file", bin_map), 2,
          ["binary.csv"], what="--map-file CSV of binary bytes")
    # export / map / analyses options
    b.add("export_unknown_layer", "options", ["export", "highways", "-o", "{out}/h.gpkg", "-r",
                                              "{reg}"], 2, ["highways"], what="export an unknown layer")
    b.add("export_bad_crs", "options", ["export", "roads", "-o", "{out}/r.geojson", "-r", "{reg}",
                                        "--crs", "EPSG:999999"], 2, ["EPSG:999999"],
          what="export --crs EPSG:999999")
    b.add("map_target_unknown", "options", ["map", "highways", "-o", "{out}/m.html", "-r", "{reg}"],
          2, ["highways"], what="map a name that is neither a layer nor a file")
    b.add("map_unknown_target_markup", "hostile-text",
          ["map", "[/x]", "-o", "{out}/m.html", "-r", "{reg}"], 2, ["[/x]"],
          what="map '[/x]'")
    b.add("map_column_missing", "options",
          ["map", "roads", "--column", "nosuch", "-o", "{out}/m.html", "-r", "{reg}"], 2,
          ["nosuch"], what="--column the layer lacks")
    b.add("map_column_text", "options",
          ["map", "roads", "--column", "name", "-o", "{out}/m.html", "-r", "{reg}"], 2,
          ["name"], what="--column on a text column")
    b.add("map_column_jinja", "hostile-text",
          ["map", "roads", "--column", "{{ 7*7 }}", "-o", "{out}/m.html", "-r", "{reg}"], 2,
          ["{{ 7*7 }}"], what="--column '{{ 7*7 }}'")
    b.add("map_scheme_unknown", "options",
          ["map", "parking_facilities", "--column", "capacity", "--scheme", "Astrology", "-o",
           "{out}/m.html", "-r", "{reg}"], 2, ["Astrology"], what="--scheme unknown")
    b.add("map_k_zero", "options",
          ["map", "parking_facilities", "--column", "capacity", "--k", "0", "-o",
           "{out}/m.html", "-r", "{reg}"], 2, ["k"], what="--k 0 classes")
    b.add("map_join_unknown_layer", "options",
          ["map", str(f), "--join", "highways", "-o", "{out}/m.html", "-r", "{reg}"], 2,
          ["highways"], what="--join to an unknown layer")
    table = _write(d / "zones.csv", "zone,value\nA,1\nB,2\n")
    b.add("map_csv_without_join", "options", ["map", table, "-o", "{out}/m.html", "-r", "{reg}"],
          2, ["zones.csv"], what="a CSV result without --join")
    b.add("map_csv_join_no_id", "options",
          ["map", table, "--join", "grid_cells", "-o", "{out}/m.html", "-r", "{reg}"], 2,
          ["zones.csv", "grid_id"], what="--join but the CSV has no grid_id")
    garbage = _write(d / "result.gpkg", b"not a geopackage at all\n" * 10)
    b.add("map_garbage_result_file", "structure",
          ["map", garbage, "-o", "{out}/m.html", "-r", "{reg}"], 2, ["result.gpkg"],
          what="map of a garbage result file")
    garbage_csv = _write(d / "result.csv", bytes(range(256)) * 4)
    b.add("map_garbage_result_csv", "structure",
          ["map", garbage_csv, "--join", "grid_cells", "-o", "{out}/m.html", "-r", "{reg}"], 2,
          ["result.csv"], what="map of a binary file named .csv")
    b.add("map_basemap_bogus", "options",
          ["map", "roads", "--basemap", "javascript:alert(1)", "-o", "{out}/m.html", "-r",
           "{reg}"], 2, ["basemap"], what="--basemap that is no tile URL template")
    b.add("analyze_parking_bad_distance", "options",
          ["analyze", "parking", "--distance", "teleport", "-o", "{out}/a", "-r", "{reg}"], 2,
          ["teleport"], what="analyze parking --distance teleport")
    b.add("analyze_coverage_bad_preset", "options",
          ["analyze", "coverage", "--preset", "everything", "-o", "{out}/a", "-r", "{reg}"], 2,
          ["everything"], what="analyze coverage --preset everything")
    b.add("analyze_complaints_bad_cells", "options",
          ["analyze", "complaints", "--cells", "triangles", "-o", "{out}/a", "-r", "{reg}"], 2,
          ["triangles"], what="analyze complaints --cells triangles")
    b.add("analyze_water_quality_bad_period", "options",
          ["analyze", "water-quality", "--period", "yesterday", "-o", "{out}/a", "-r", "{reg}"],
          2, ["yesterday"], what="analyze water-quality --period yesterday")
    b.add("analyze_road_condition_bad_target", "options",
          ["analyze", "road-condition", "--target", "5", "-o", "{out}/a", "-r", "{reg}"], 2,
          ["target"], what="analyze road-condition --target 5 (a rate is 0–1)")
    b.add("analyze_road_condition_grades_missing", "options",
          ["analyze", "road-condition", "--grades", str(d / "missing_grades.csv"), "-o",
           "{out}/a", "-r", "{reg}"], 2, ["missing_grades.csv"],
          what="--grades file that does not exist")
    b.add("analyze_waterlogging_unknown_layer", "options",
          ["analyze", "waterlogging", "--layer", "lidar", "-o", "{out}/a", "-r", "{reg}"], 2,
          ["lidar"], what="analyze waterlogging --layer lidar")
    b.add("analyze_excavation_negative_distance", "options",
          ["analyze", "excavation", "--distance-m", "-5", "-o", "{out}/a", "-r", "{reg}"], 2,
          ["distance"], what="analyze excavation --distance-m -5")
    b.add("load_raster_text_file", "structure",
          ["load-raster", _write(d / "dem.tif", "not a raster\n"), "-r", "{reg}"], 2,
          ["dem.tif"], what="load-raster of a text file named .tif")
    b.add("load_raster_bad_units", "options",
          ["load-raster", DEMO / "dem.tif", "--units", "furlongs", "-r", "{reg}"], 2,
          ["furlongs"], what="load-raster --units furlongs")
    # check-permit
    app = _write(d / "application.geojson", _geojson_text([_feature(
        {"applicant": "测试单位", "utility": "water", "planned_start": "2026-03-01",
         "planned_end": "2026-03-20"},
        {"type": "Polygon", "coordinates": [[[121.515, 31.277], [121.5152, 31.277],
                                             [121.5152, 31.2772], [121.515, 31.2772],
                                             [121.515, 31.277]]]})]))
    b.add("check_permit_missing_file", "paths",
          ["check-permit", str(d / "nope.geojson"), "-r", "{reg}"], 2, ["nope.geojson"],
          what="check-permit of a file that does not exist")
    bad_app = _write(d / "app_invalid.geojson", "{\"type\": \"FeatureCollection\", ")
    b.add("check_permit_invalid_json", "structure", ["check-permit", bad_app, "-r", "{reg}"], 2,
          ["app_invalid.geojson"], what="check-permit of invalid JSON")
    no_start = json.loads(app.read_text())
    no_start["features"][0]["properties"].pop("planned_start")
    no_start_f = _write(d / "app_no_start.geojson", json.dumps(no_start))
    b.add("check_permit_no_planned_start", "columns",
          ["check-permit", no_start_f, "-r", "{reg}"], 2, ["app_no_start.geojson", "planned_start"],
          what="check-permit application without planned_start")
    b.add("check_permit_missing_registry", "registry",
          ["check-permit", app, "-r", "{reg}"], 1, ["registry.gpkg"], registry="missing",
          backends=GPKG, what="check-permit against a registry that does not exist")


def _paths(b: _Builder) -> None:
    d = b.dir("paths")
    b.add("path_missing_file", "paths", _load(d / "nope.geojson", "roads"), 2, ["nope.geojson"],
          what="a file that does not exist")
    folder = d / "a_folder.geojson"
    folder.mkdir(exist_ok=True)
    b.add("path_is_directory", "paths", _load(folder, "roads"), 2, ["a_folder.geojson"],
          what="a folder given as the file")
    unreadable = _write(d / "unreadable.geojson", _geojson_text(roads_features()))
    unreadable.chmod(0o000)
    b.add("path_unreadable", "paths", _load(unreadable, "roads"), 2, ["unreadable.geojson"],
          drop_dac=True, what="a file without read permission")
    shp_dir = b.dir("path_unreadable_dbf")
    shp = _copy_roads_shp(shp_dir)
    shp.with_suffix(".dbf").chmod(0o000)
    b.add("path_unreadable_dbf", "paths", _load(shp, "roads", "--mode", "replace"), 2,
          ["roads.dbf"], drop_dac=True, what="a shapefile whose .dbf may not be read")
    parent_file = _write(d / "plain.txt", "x")
    b.add("path_parent_is_file", "paths", _load(parent_file / "roads.geojson", "roads"), 2,
          ["roads.geojson"], what="a path through a regular file")
    markup = d / "[" / "x]"
    markup.mkdir(parents=True, exist_ok=True)
    b.add("path_markup_missing", "hostile-text", _load(markup / "nope.geojson", "roads"), 2,
          ["[/x]/nope.geojson"], what="missing file under a folder named '[/x]'")
    feats = roads_features()
    feats[1]["properties"]["road_class"] = "spaceport"
    bad = _write(markup / "roads.geojson", _geojson_text(feats))
    b.add("path_markup_refused", "hostile-text", _load(bad, "roads"), 2,
          ["[/x]/roads.geojson", "feature 2", "road_class"],
          what="a refused file under a folder named '[/x]'")
    link = d / "[link=https:" / "evil.example]x"
    link.mkdir(parents=True, exist_ok=True)
    b.add("path_link_markup_missing", "hostile-text", _load(link / "nope.geojson", "roads"), 2,
          ["[link=https:/evil.example]x/nope.geojson"],
          what="missing file under a folder named '[link=…]'")
    b.add("path_unsupported_suffix", "paths", _load(_write(d / "roads.kml", "<kml/>"), "roads"),
          2, ["roads.kml"], what="a .kml file")
    b.add("path_no_suffix", "paths", _load(_write(d / "roads", "x"), "roads"), 2, ["roads"],
          what="a file without suffix")
    broken = d / "broken_link.geojson"
    if not broken.is_symlink():
        broken.symlink_to(d / "nowhere.geojson")
    b.add("path_broken_symlink", "paths", _load(broken, "roads"), 2, ["broken_link.geojson"],
          what="a symlink to nothing")
    loop = d / "loop.geojson"
    if not loop.is_symlink():
        loop.symlink_to(loop)
    b.add("path_symlink_loop", "paths", _load(loop, "roads"), 2, ["loop.geojson"],
          what="a symlink to itself")
    long_name = d / ("长" * 90 + ".geojson")
    b.add("path_name_too_long", "paths", _load(long_name, "roads"), 2, ["长长长"],
          what="a file name longer than NAME_MAX bytes")


def _registries(b: _Builder) -> None:
    template_like = (FIXTURES / "pipelines.gpkg").read_bytes()
    damaged = {
        "zero_bytes": b"",
        "text": b"this is not a registry\n",
        "truncated": template_like[: len(template_like) // 2],
        "random": bytes((i * 131 + 17) % 256 for i in range(16384)),
    }
    d = b.dir("registries")
    files = {}
    for name, data in damaged.items():
        files[name] = _write(d / f"{name}.gpkg", data)
    plain = d / "plain_sqlite.gpkg"
    if not plain.exists():
        with sqlite3.connect(plain) as con:
            con.execute("CREATE TABLE t (a INTEGER)")
        con.close()
    files["plain_sqlite"] = plain
    roads = _write(d / "roads.geojson", _geojson_text(roads_features()))
    commands = {
        "load": ["load", roads, "--layer", "roads", "-r", "{reg}"],
        "layers": ["layers", "-r", "{reg}"],
        "batches": ["batches", "-r", "{reg}"],
        "info": ["info", "-r", "{reg}"],
        "export": ["export", "roads", "-o", "{out}/roads.gpkg", "-r", "{reg}"],
        "map": ["map", "roads", "-o", "{out}/roads.html", "-r", "{reg}"],
        "analyze": ["analyze", "excavation", "-o", "{out}/exc", "-r", "{reg}"],
    }
    for name, f in files.items():
        for cmd, argv in commands.items():
            if name in ("random", "plain_sqlite") and cmd not in ("load", "layers", "map"):
                continue
            b.add(f"registry_{name}_{cmd}", "registry", argv, 1, ["registry.gpkg"],
                  registry=str(f), backends=GPKG, what=f"{cmd} on a {name} .gpkg registry")
    for cmd in ("layers", "batches", "info", "export", "map", "analyze"):
        b.add(f"registry_missing_{cmd}", "registry", commands[cmd], 1, ["registry.gpkg"],
              registry="missing", backends=GPKG,
              what=f"{cmd} on a registry path that does not exist")
    b.add("registry_missing_analyze_parking", "registry",
          ["analyze", "parking", "-o", "{out}/p", "-r", "{reg}"], 1, ["registry.gpkg"],
          registry="missing", backends=GPKG, what="analyze parking on a missing registry")
    b.add("registry_typo_suffix", "registry", ["layers", "-r", "{out}/yangpu.gkpg"], 1,
          ["yangpu.gkpg"], registry="none", backends=ANY, what="registry path with a typo")
    b.add("registry_is_folder", "registry", ["layers", "-r", "{out}"], 1, [], registry="none",
          backends=ANY, what="registry is a folder without .gpkg")
    folder_gpkg = d / "folder.gpkg"
    folder_gpkg.mkdir(exist_ok=True)
    b.add("registry_folder_named_gpkg", "registry", _load(roads, "roads")[:4] + ["-r", folder_gpkg],
          1, ["folder.gpkg"], registry="none", backends=ANY,
          what="registry path is a folder named .gpkg")
    base = "postgresql://postgres@127.0.0.1:5432"
    urls = {
        "space": f"{base}/yangpu db",
        "quote": f"{base}/yangpu'db",
        "percent": f"{base}/yangpu%%db",
        "bad_port": "postgresql://postgres@127.0.0.1:99999/postgres",
        "unknown_schema": f"{base}/postgres?options=-csearch_path%3Dyangpu_no_such_schema",
        "bad_option": f"{base}/postgres?options=-cno_such_setting%3D1",
        "unknown_param": f"{base}/postgres?sslmode=sometimes",
        "missing_db": f"{base}/yangpu_corpus_no_such_database",
        "markup": f"{base}/[/x]",
        "unclosed_ipv6": "postgresql://postgres@[::1:5432/postgres",
    }
    for name, url in urls.items():
        b.add(f"registry_url_{name}", "registry", ["layers", "-r", url], 1, ["postgresql://"],
              registry="none", backends=ANY, what=f"registry URL with {name.replace('_', ' ')}")
    b.add("registry_url_unknown_schema_load", "registry",
          ["load", roads, "--layer", "roads", "-r", urls["unknown_schema"]], 1,
          ["postgresql://"], registry="none", backends=ANY,
          what="load into a URL whose options name a schema that does not exist")


def _outputs(b: _Builder) -> None:
    d = b.dir("outputs")
    (d / "plain.txt").write_text("x")
    b.add("export_to_folder", "output", ["export", "roads", "-o", "{out}", "-r", "{reg}"], 2,
          [], what="export -o an existing folder")
    b.add("export_no_suffix", "output", ["export", "roads", "-o", "{out}/roads", "-r", "{reg}"],
          2, ["roads"], what="export -o a name without suffix")
    b.add("export_unknown_suffix", "output",
          ["export", "roads", "-o", "{out}/roads.docx", "-r", "{reg}"], 2, ["roads.docx"],
          what="export -o roads.docx")
    b.add("export_unwritable", "output", ["export", "roads", "-o", "{ro}/roads.gpkg", "-r",
                                          "{reg}"], 1, ["roads.gpkg"], drop_dac=True,
          what="export -o into a folder without write permission")
    b.add("export_parent_is_file", "output",
          ["export", "roads", "-o", str(d / "plain.txt" / "roads.gpkg"), "-r", "{reg}"], (1, 2),
          ["roads.gpkg"], what="export -o through a regular file")
    b.add("export_onto_registry", "output", ["export", "roads", "-o", "{reg}", "-r", "{reg}"],
          (1, 2), ["registry.gpkg"], backends=GPKG, what="export -o the registry itself")
    b.add("export_water_samples_shp", "output",
          ["export", "water_samples", "-o", "{out}/w.shp", "-r", "{reg}"], 2, ["w.shp"],
          what="a table without geometry to a shapefile")
    b.add("map_to_folder", "output", ["map", "roads", "-o", "{out}", "-r", "{reg}"], 2, [],
          what="map -o an existing folder")
    b.add("map_unknown_suffix", "output", ["map", "roads", "-o", "{out}/m.pdf", "-r", "{reg}"],
          2, ["m.pdf"], what="map -o m.pdf (neither .html nor .png)")
    b.add("map_unwritable", "output", ["map", "roads", "-o", "{ro}/m.html", "-r", "{reg}"], 1,
          ["m.html"], drop_dac=True, what="map -o into a folder without write permission")
    b.add("map_png_unwritable", "output", ["map", "roads", "-o", "{ro}/m.png", "-r", "{reg}"], 1,
          ["m.png"], drop_dac=True, what="map -o PNG into a folder without write permission")
    b.add("analyze_out_is_file", "output",
          ["analyze", "excavation", "-o", str(d / "plain.txt"), "-r", "{reg}"], (1, 2),
          ["plain.txt"], what="analyze --out a regular file")
    b.add("analyze_out_unwritable", "output",
          ["analyze", "parking", "-o", "{ro}/a", "-r", "{reg}"], (1, 2), [], drop_dac=True,
          what="analyze --out under a folder without write permission")
    # full disk
    b.add("disk_full_export_gpkg", "disk",
          ["export", "pipelines", "-o", "{full}/p.gpkg", "-r", "{reg}"], 1, [],
          tmpfs_size=48 * 1024, what="export to a full disk")
    # (a GeoJSON export to a full disk is in tests/test_export_roundtrip.py: the corpus
    # registry's layers are so small that their GeoJSON fits even a one-page tmpfs)
    b.add("disk_full_map_html", "disk",
          ["map", "all", "--offline", "-o", "{full}/m.html", "-r", "{reg}"], 1, [],
          tmpfs_size=64 * 1024, what="offline map onto a full disk")
    b.add("disk_full_analyze", "disk",
          ["analyze", "excavation", "-o", "{full}/exc", "-r", "{reg}"], 1, [],
          tmpfs_size=16 * 1024, what="analysis outputs onto a full disk")
    roads = _write(d / "roads.geojson", _geojson_text(roads_features()))
    b.add("disk_full_registry_copy", "disk", ["load", roads, "--layer", "roads", "-r", "{reg}"],
          1, [], backends=GPKG, tmpfs_size=16 * 1024, registry_on_tmpfs=1,
          what="GeoPackage load with no room for the working copy")
    b.add("disk_full_registry_write", "disk",
          ["load", DEMO / "pipelines.gpkg", "--layer", "pipelines", "--source-layer",
           "pipe_network", "--mode", "replace", "-r", "{reg}"], 1, [], backends=GPKG,
          tmpfs_size=64 * 1024, registry_on_tmpfs=2,
          what="GeoPackage load that fills the disk while writing (copy fits)")


def build_corpus(out_dir: str | Path) -> list[Case]:
    """Write every bad-input case's files into ``out_dir`` and return the cases.

    Deterministic: the same repository gives the same files and the same list.
    """
    root = Path(out_dir)
    marker = root / ".yangpu_bad_corpus"
    if root.exists() and any(root.iterdir()):
        if not marker.exists():
            raise FileExistsError(f"{root} is not empty and holds no corpus; name a new folder")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    marker.write_text("written by scripts/make_bad_corpus.py\n")
    b = _Builder(root)
    for part in (_structure, _encoding, _columns, _values, _geometry, _crs, _archives, _where,
                 _options, _paths, _registries, _outputs):
        part(b)
    return b.cases


def control_cases(out_dir: str | Path) -> list[tuple[str, list[str]]]:
    """Valid files the corpus mutates, with the load that must succeed for each (rc 0).

    They show that each bad case differs from a good file only by its defect.
    """
    root = Path(out_dir) / "_controls"
    root.mkdir(parents=True, exist_ok=True)
    roads = _write(root / "roads.geojson", _geojson_text(roads_features()))
    blocks = _write(root / "blocks.geojson", _geojson_text(blocks_features()))
    comp = _write(root / "complaints.csv", _csv_text(COMPLAINT_HEADER, NEW_COMPLAINTS))
    park = _write(root / "parking.csv", _csv_text(PARKING_HEADER, NEW_PARKING))
    xlsx = _xlsx(root / "parking.xlsx", PARKING_HEADER, _parking_rows_typed())
    shp = _new_roads_shp(root / "shp")
    gb = _write(root / "complaints_gb18030.csv", _csv_text(COMPLAINT_HEADER, NEW_COMPLAINTS),
                encoding="gb18030")
    zipped = _zip(root / "roads.zip", [(f"roads{s}", v) for s, v in sorted(_roads_parts().items())])
    return [
        ("roads_geojson", _load(roads, "roads")),
        ("blocks_geojson", _load(blocks, "beautiful_blocks")),
        ("complaints_csv", _load(comp, "complaints", "--crs", "EPSG:4326")),
        ("complaints_gb18030_csv", _load(gb, "complaints", "--crs", "EPSG:4326")),
        ("parking_csv", _load(park, "parking_facilities", "--crs", "EPSG:4326")),
        ("parking_xlsx", _load(xlsx, "parking_facilities", "--crs", "EPSG:4326")),
        ("roads_shp", _load(shp, "roads")),
        ("roads_fixture_shp_replace", _load(FIXTURES / "roads_gbk" / "roads.shp", "roads",
                                            "--mode", "replace")),
        ("roads_zip_replace", _load(zipped, "roads", "--mode", "replace")),
        ("pipes_gpkg_replace", _load(FIXTURES / "pipelines.gpkg", "pipelines", "--source-layer",
                                     "pipe_network", "--mode", "replace")),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the corpus into")
    args = parser.parse_args()
    cases = build_corpus(args.out)
    by_class: dict[str, int] = {}
    for c in cases:
        by_class[c.klass] = by_class.get(c.klass, 0) + 1
        print(f"{c.id:45s} {c.klass:13s} rc {'/'.join(map(str, c.exit_codes)):4s} {c.what}")
    print(f"{len(cases)} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(by_class.items())))


if __name__ == "__main__":
    main()
