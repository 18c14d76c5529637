"""Hostile and broken zips, and ``--where`` filters, end in a clear refusal or a right answer.

Every zip is generated here from the fixture shapefile ``data/fixtures/roads_gbk`` (six GBK
roads): traversal names of every flavour, absolute and drive paths, symbolic links,
duplicated members, bombs by size and by ratio, forged sizes, bad CRCs, truncations and a
full disk. Each must be refused naming the archive and the member, with the registry left as
it was (byte-identical GeoPackage; same rows and batches in PostGIS), through
``Registry.load`` and through the real CLI in a fresh subprocess. ``--where`` gets a list of
hostile and invalid expressions (refused, naming file and expression) and valid ones whose
rows are checked against pandas filtering the same file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest

from yangpu_gis import open_registry, settings
from yangpu_gis.errors import SourceError, YangpuGisError

from .cli_run import crashed
from .conftest import FIXTURES, REPO

ROADS = FIXTURES / "roads_gbk"
PARTS = {p.name: p.read_bytes() for p in sorted(ROADS.iterdir())}
DEMO = REPO / "data" / "demo"
MIB = 1 << 20


# ------------------------------------------------------------------ helpers
def write_zip(path: Path, entries, compression=zipfile.ZIP_STORED) -> Path:
    """Write ``entries`` — (name or ZipInfo, bytes) — into the zip ``path``."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name" for the duplicate-member cases
        with zipfile.ZipFile(path, "w", compression) as zf:
            for name, data in entries:
                if isinstance(name, zipfile.ZipInfo):
                    name.compress_type = compression
                zf.writestr(name, data)
    return path


def state(reg) -> object:
    """What a load could change: the .gpkg's bytes, or PostGIS's rows and batches."""
    if reg.kind == "geopackage":
        return hashlib.sha256(reg.path.read_bytes()).hexdigest()
    roads = reg.read("roads")
    return (reg.layers().to_dict("records"), len(reg.batches()),
            roads.to_wkt().astype(str).to_dict("records"))


@pytest.fixture
def loaded(registry):
    """A registry of each backend already holding the six fixture roads."""
    registry.load(ROADS / "roads.shp", "roads")
    return registry


def refused(reg, source, *texts, exc_type=SourceError, **options):
    """Load ``source`` into roads; assert a refusal naming ``texts`` and nothing changed."""
    before = state(reg)
    with pytest.raises(YangpuGisError) as info:
        reg.load(source, "roads", mode="replace", **options)
    err = info.value
    assert type(err) is exc_type, err.render()
    shown = err.render()
    assert Path(str(source)).name in shown
    for text in texts:
        assert text in shown, shown
    assert state(reg) == before
    return err


def run_cli(*args, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yangpu_gis.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or REPO,
                          env={**os.environ, **(env or {})}, timeout=300)


def decoy(tmp_path: Path) -> Path:
    """A loadable shapefile outside any archive, where climbing names would lead."""
    out = tmp_path / "elsewhere"
    out.mkdir(exist_ok=True)
    for name, data in PARTS.items():
        (out / name).write_bytes(data)
    return out


# ------------------------------------------------------------------ member names
#: Hostile member-name templates; ``{f}`` is the part's file name, ``{abs}`` the decoy folder.
TRAVERSAL = {
    "dotdot": "../../elsewhere/{f}",
    "dotdot-deep": "a/b/../../../../elsewhere/{f}",
    "dot-dotdot": "./../../elsewhere/{f}",
    "dotdot-inner": "roads/../../../elsewhere/{f}",
    "absolute": "{abs}/{f}",
    "absolute-etc": "/etc/{f}",
    "backslash-dotdot": "..\\..\\elsewhere\\{f}",
    "backslash-mixed": "a\\..\\../..\\elsewhere/{f}",
    "backslash-root": "\\elsewhere\\{f}",
    "drive-backslash": "C:\\elsewhere\\{f}",
    "drive-slash": "C:/elsewhere/{f}",
    "drive-relative": "c:elsewhere\\{f}",
    "unc": "\\\\server\\share\\{f}",
    "nul-byte": "roads\x00/../{f}",
}


def traversal_zip(tmp_path: Path, kind: str, only_shp: bool = False) -> tuple[Path, str]:
    where = decoy(tmp_path)
    template = TRAVERSAL[kind]
    entries, hostile = [], None
    for name, data in PARTS.items():
        climbing = not only_shp or name.endswith(".shp")
        member = template.format(f=name, abs=where.as_posix()) if climbing else name
        if climbing and hostile is None:
            hostile = member
        entries.append((member, data))
    path = tmp_path / f"traversal-{kind}.zip"
    if "\x00" in template:  # zipfile cuts names at NUL on writing: patch the stored bytes
        entries = [(m.replace("\x00", "~"), d) for m, d in entries]
        write_zip(path, entries)
        path.write_bytes(path.read_bytes().replace(b"roads~/", b"roads\x00/"))
        hostile = hostile.replace("\x00", "~")
    else:
        write_zip(path, entries)
    return path, hostile


@pytest.mark.parametrize("kind", list(TRAVERSAL))
def test_climbing_or_absolute_member_refused(loaded, tmp_path, monkeypatch, kind):
    # the temporary folder is tmp_path/t/yangpu-zip-*, so ../../elsewhere is the decoy: the
    # old reader joined the member name to it and loaded the decoy, recording the zip's hash
    import tempfile

    (tmp_path / "t").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "t"))
    for only_shp in (False, True):  # every part climbing, or the .shp alone
        path, member = traversal_zip(tmp_path, kind, only_shp)
        err = refused(loaded, path, "unsafe zip member")
        if kind != "nul-byte":
            assert repr(member) in err.message
            assert any(t in err.message for t in ("climbs out", "absolute path")), err.message
        assert "re-create the zip" in err.render()
        assert list((tmp_path / "t").iterdir()) == []  # the private folder is gone


def symlink_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix
    info.external_attr = (0o120777 << 16)
    return info


@pytest.mark.parametrize("part", ["roads.shp", "roads.dbf", "roads.prj"])
def test_symlink_member_refused(loaded, tmp_path, part):
    target = decoy(tmp_path) / part
    entries = [(symlink_info(n) if n == part else n, str(target).encode() if n == part else d)
               for n, d in PARTS.items()]
    path = write_zip(tmp_path / f"symlink-{part}.zip", entries)
    refused(loaded, path, "unsafe zip member", part, "symbolic link")


@pytest.mark.parametrize("second", ["roads.dbf", "ROADS.DBF", "./roads.dbf"])
def test_duplicated_member_refused(loaded, tmp_path, second):
    other = bytearray(PARTS["roads.dbf"])
    other[-20:-10] = b"X" * 10  # a different table under the same name
    entries = [*PARTS.items(), (second, bytes(other))]
    path = write_zip(tmp_path / "duplicate.zip", entries)
    refused(loaded, path, "twice", "ambiguous")


def test_members_in_a_plain_subfolder_still_load(registry, tmp_path):
    path = write_zip(tmp_path / "folder.zip",
                     [(f"delivery/2025/{n}", d) for n, d in PARTS.items()],
                     zipfile.ZIP_DEFLATED)
    result = registry.load(path, "roads")
    assert result.source.endswith("folder.zip!delivery/2025/roads.shp")
    expected = pyogrio.read_dataframe(ROADS / "roads.shp", encoding="gb18030")
    got = registry.read("roads")
    assert sorted(got["road_id"]) == sorted(expected.iloc[:, 0])
    assert registry.batches()["source_sha256"].iloc[-1] == hashlib.sha256(
        path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ bombs
def bomb_zip(tmp_path: Path, mib: int, *, random: bool = False, name="roads.sbn") -> Path:
    data = (np.random.default_rng(0).bytes(mib * MIB) if random else bytes(mib * MIB))
    return write_zip(tmp_path / f"bomb-{mib}-{'rand' if random else 'zero'}.zip",
                     [*PARTS.items(), (name, data)], zipfile.ZIP_DEFLATED)


def test_bomb_by_ratio_refused_with_default_limits(loaded, tmp_path):
    path = bomb_zip(tmp_path, 64)
    assert path.stat().st_size < MIB  # 64 MiB of zeros in < 1 MiB
    refused(loaded, path, "compression ratio", f"{settings.zip_max_ratio:g}:1",
            "YANGPU_GIS_ZIP_MAX_RATIO")


def test_bomb_by_size_refused_and_the_limit_can_be_raised(loaded, tmp_path, monkeypatch):
    path = bomb_zip(tmp_path, 3, random=True)
    monkeypatch.setattr(settings, "zip_max_mb", 2.0)
    refused(loaded, path, "3.0 MiB", "limit of 2 MiB", "YANGPU_GIS_ZIP_MAX_MB")
    monkeypatch.setattr(settings, "zip_max_mb", 8.0)
    result = loaded.load(path, "roads", mode="replace")
    assert result.rows_read == 6 and len(loaded.read("roads")) == 6


def _patch_sizes(path: Path, member: str, *, file_size=None, compress_size=None) -> None:
    """Forge the sizes the central directory declares for ``member``."""
    data = bytearray(path.read_bytes())
    i = data.find(b"PK\x01\x02")  # first central-directory entry
    while i >= 0:
        name_len = struct.unpack("<H", data[i + 28:i + 30])[0]
        if data[i + 46:i + 46 + name_len].decode() == member:
            if compress_size is not None:
                data[i + 20:i + 24] = struct.pack("<I", compress_size)
            if file_size is not None:
                data[i + 24:i + 28] = struct.pack("<I", file_size)
        i = data.find(b"PK\x01\x02", i + 4)
    path.write_bytes(bytes(data))


def test_bomb_declaring_small_size_is_caught_while_extracting(loaded, tmp_path):
    # the central directory says 1,000 bytes; the stream holds 32 MiB: zipfile stops at the
    # declared size, whose checksum then fails, so nothing forged is ever loaded
    path = bomb_zip(tmp_path, 32)
    _patch_sizes(path, "roads.sbn", file_size=1000)
    refused(loaded, path, "damaged zip member", "roads.sbn")


def test_bomb_forging_its_compressed_size_is_still_measured(loaded, tmp_path):
    # a huge declared compressed size would hide the ratio; it is capped by the archive size
    path = bomb_zip(tmp_path, 32)
    _patch_sizes(path, "roads.sbn", compress_size=0xFFFFFFF0)
    refused(loaded, path, "compression ratio")


# ------------------------------------------------------------------ damaged archives
def stored_offset(path: Path, member: str) -> int:
    """Byte offset of ``member``'s stored data in the archive."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    raw = path.read_bytes()
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len


@pytest.mark.parametrize("member", ["roads.dbf", "roads.shp", "roads.shx"])
def test_bad_crc_refused(loaded, tmp_path, member):
    path = write_zip(tmp_path / "crc.zip", list(PARTS.items()))
    start = stored_offset(path, member)
    data = bytearray(path.read_bytes())
    pos = start + len(PARTS[member]) - 3  # inside the last record: still parses, CRC fails
    data[pos] ^= 0x01
    path.write_bytes(bytes(data))
    refused(loaded, path, "damaged zip member", member, "copy it again")


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED],
                         ids=["stored", "deflated"])
def test_truncated_zip_refused(loaded, tmp_path, compression):
    whole = write_zip(tmp_path / "whole.zip", list(PARTS.items()), compression).read_bytes()
    for keep in (0.05, 0.3, 0.6, 0.95, -1, -22, -60):
        n = int(len(whole) * keep) if keep > 0 else len(whole) + keep
        path = tmp_path / f"cut-{n}.zip"
        path.write_bytes(whole[:n])
        refused(loaded, path, "zip")


def test_text_file_named_zip_refused(loaded, tmp_path):
    path = tmp_path / "roads.zip"
    path.write_text("roads.shp,roads.dbf\n")
    refused(loaded, path, "damaged zip archive")


def test_password_protected_member_refused(loaded, tmp_path):
    path = write_zip(tmp_path / "locked.zip", list(PARTS.items()))
    data = bytearray(path.read_bytes())
    i = data.find(b"PK\x01\x02")
    while i >= 0:  # set the "encrypted" flag bit of every entry
        data[i + 8] |= 0x01
        i = data.find(b"PK\x01\x02", i + 4)
    path.write_bytes(bytes(data))
    refused(loaded, path, "password")


# ------------------------------------------------------------------ through the CLI
def cli_cases(tmp_path: Path) -> dict[str, tuple[Path, list[str], dict, list[str]]]:
    """name -> (zip, extra CLI args, env, texts the message must hold)."""
    cases = {}
    for kind in ("dotdot", "absolute", "backslash-dotdot", "drive-backslash"):
        path, member = traversal_zip(tmp_path, kind)
        cases[kind] = (path, [], {}, ["unsafe zip member", repr(member)[1:-1]])
    link = write_zip(tmp_path / "link.zip",
                     [(symlink_info(n) if n == "roads.dbf" else n,
                       b"/etc/passwd" if n == "roads.dbf" else d) for n, d in PARTS.items()])
    cases["symlink"] = (link, [], {}, ["symbolic link", "roads.dbf"])
    cases["bomb-ratio"] = (bomb_zip(tmp_path, 64), [], {}, ["compression ratio", "MAX_RATIO"])
    cases["bomb-size"] = (bomb_zip(tmp_path, 2, random=True), [],
                          {"YANGPU_GIS_ZIP_MAX_MB": "1"}, ["limit of 1 MiB", "MAX_MB"])
    crc = write_zip(tmp_path / "crc.zip", list(PARTS.items()))
    data = bytearray(crc.read_bytes())
    data[stored_offset(crc, "roads.dbf") + 200] ^= 0x20
    crc.write_bytes(bytes(data))
    cases["bad-crc"] = (crc, [], {}, ["damaged zip member", "roads.dbf"])
    cut = write_zip(tmp_path / "cut.zip", list(PARTS.items()))
    cut.write_bytes(cut.read_bytes()[:-30])
    cases["truncated"] = (cut, [], {}, ["damaged zip archive"])
    good = write_zip(tmp_path / "good.zip", list(PARTS.items()))
    cases["where-drop"] = (good, ["--where", "1=1; DROP TABLE roads"], {},
                           ["1=1; DROP TABLE roads", "statement separator"])
    cases["where-unknown"] = (good, ["--where", "nosuch = 1"], {},
                              ["nosuch = 1", "道路名称", "good.zip!roads.shp"])
    return cases


def test_cli_refuses_every_hostile_zip_with_exit_2(tmp_path):
    registry = tmp_path / "reg.gpkg"
    with open_registry(registry) as reg:
        reg.load(ROADS / "roads.shp", "roads")
    before = registry.read_bytes()
    (tmp_path / "t").mkdir()
    for name, (path, args, env, texts) in cli_cases(tmp_path).items():
        out = run_cli("load", path, "--layer", "roads", "--mode", "replace", "-r", registry,
                      *args, env={"TMPDIR": str(tmp_path / "t"), **env})
        text = out.stdout + out.stderr
        assert out.returncode == 2, (name, text)
        assert not crashed(text), (name, text)
        assert path.name in text, (name, text)
        for t in texts:
            assert t in text, (name, t, text)
        assert registry.read_bytes() == before, name
        assert list((tmp_path / "t").iterdir()) == [], name


def test_cli_json_refusal_names_the_member(tmp_path):
    import json

    path, member = traversal_zip(tmp_path, "dotdot")
    out = run_cli("load", path, "--layer", "roads", "-r", tmp_path / "reg.gpkg", "--json")
    assert out.returncode == 2 and not crashed(out.stdout + out.stderr)
    payload = json.loads(out.stdout)
    assert payload["error"] == "SourceError" and member in payload["message"]
    assert not (tmp_path / "reg.gpkg").exists()


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="cannot mount a small tmpfs here")
def test_disk_full_while_extracting_is_refused_and_leaves_nothing(tmp_path):
    # a 256 KiB tmpfs as $TMPDIR, the demo's 580 KB roads in the zip: extraction hits ENOSPC
    registry = tmp_path / "reg.gpkg"
    with open_registry(registry) as reg:
        reg.load(ROADS / "roads.shp", "roads")
    before = registry.read_bytes()
    path = write_zip(tmp_path / "demo_roads.zip",
                     [(p.name, p.read_bytes()) for p in sorted(DEMO.glob("roads.*"))])
    small = tmp_path / "small"
    small.mkdir()
    script = (f'mount -t tmpfs -o size=256k tmpfs "{small}" && '
              f'TMPDIR="{small}" "{sys.executable}" -m yangpu_gis.cli load "{path}" '
              f'--layer roads --mode replace --encoding GBK -r "{registry}"; rc=$?; '
              f'echo "left:$(ls -A "{small}" | wc -l)"; exit $rc')
    out = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True,
                         cwd=REPO, timeout=300)
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert not crashed(text)
    assert "disk is full" in text and "demo_roads.zip" in text and "TMPDIR" in text
    assert "left:0" in out.stdout  # no partial files in the temporary folder
    assert registry.read_bytes() == before


# ------------------------------------------------------------------ --where
#: Hostile filters: anything but one expression. Built from statement words and tricks.
HOSTILE_WHERE = [
    "1=1; DROP TABLE roads",
    "1=1;",
    ";",
    "name = 'x' -- the rest is a comment",
    "name = 'x' /* comment */",
    "name = 'x' # mysql comment",
    "1=1) UNION SELECT * FROM gpkg_contents WHERE (1=1",
    "1=1 UNION SELECT 1",
    "(SELECT count(*) FROM sqlite_master) > 0",
    "ATTACH DATABASE '/tmp/evil.db' AS evil",
    "PRAGMA writable_schema = 1",
    "load_extension('/tmp/evil.so') IS NULL",
    "readfile('/etc/passwd') IS NOT NULL",
    "sqlite_version() <> ''",
    "randomblob(1000000000) IS NOT NULL",
    "name = 'a'); DELETE FROM roads; --",
    "1=1)",
    "((1=1)",
    "`name` = 'x'",
    "[name] = 'x'",
    "name = ?",
    "name = :value",
    "name = $1",
    "name = @x",
    "t.name = 'x'",
    "name = 'unterminated",
    "\"unterminated = 1",
    "",
    "   ",
    "name = 'x'\x00; DROP TABLE roads",
    "x" * 5000,
    *[f"1=1 {word} x" for word in ("DROP", "insert", "Update", "DELETE", "CREATE", "ALTER",
                                   "VACUUM", "DETACH", "REPLACE", "WITH", "EXPLAIN", "INTO")],
    "EXISTS (SELECT 1)",
]


def test_hostile_where_refused(loaded, tmp_path):
    zipped = write_zip(tmp_path / "roads.zip", list(PARTS.items()))
    for expression in HOSTILE_WHERE:
        err = refused(loaded, zipped, "is not a single filter expression", "one OGR SQL filter",
                      where=expression)
        assert repr(expression[:200])[1:-1][:40] in err.message, expression


#: Filters that are one expression but that GDAL refuses (unknown column, bad syntax, a
#: function OGR SQL lacks) on a shapefile in a zip, a GeoJSON and a GeoPackage.
INVALID_WHERE = ["nosuch = 1", "name ==== 2", "name IN ()", "AND", "year >", "LOWER(nosuch) = 'x'",
                 "1 2 3", "= 'x'", "name LIKE", "name IN ('a' 'b')"]
FILES = {
    "zip": (lambda tmp: write_zip(tmp / "roads.zip", list(PARTS.items())), "roads", {},
            "道路名称"),
    "geojson": (lambda tmp: FIXTURES / "beautiful_blocks.geojson", "beautiful_blocks", {},
                "block_id"),
    "gpkg": (lambda tmp: FIXTURES / "pipelines.gpkg", "pipelines", {}, "管线编号"),
}


@pytest.mark.parametrize("kind", list(FILES))
def test_invalid_where_names_file_expression_and_columns(loaded, tmp_path, kind):
    make, layer, options, column = FILES[kind]
    source = make(tmp_path)
    before = state(loaded)
    for expression in INVALID_WHERE:
        with pytest.raises(SourceError) as info:
            loaded.load(source, layer, mode="replace", where=expression, **options)
        text = info.value.render()
        assert source.name in text and repr(expression) in text, text
        assert column in text, text  # the file's columns are listed
    assert state(loaded) == before


#: Valid filters, with the same predicate in pandas on the file read without a filter.
VALID_WHERE = [
    ("blocks", "year >= 2021 AND block_id LIKE 'MLJQ0%'",
     lambda df: (df.year >= 2021) & df.block_id.str.startswith("MLJQ0")),
    ("blocks", "name = 'x; DROP TABLE beautiful_blocks; -- /*' OR status IN ('已建成')",
     lambda df: df.status == "已建成"),
    ("blocks", "name LIKE '%二期%' OR year BETWEEN 2018 AND 2019",
     lambda df: df["name"].str.contains("二期") | df.year.between(2018, 2019)),
    ("pipes", "utility = 'gas' AND diameter_mm >= 300",
     lambda df: (df.utility == "gas") & (df.diameter_mm >= 300)),
    ("pipes", "\"material\" <> 'SELECT * FROM gpkg_contents' AND install_year BETWEEN 2000 AND 2002 "
     "AND LOWER(utility) IN ('water', 'sewage')",
     lambda df: df.install_year.between(2000, 2002) & df.utility.isin(["water", "sewage"])),
    ("roads", "\"道路等级\" = '主干路' AND PCI > 80",
     lambda df: (df["道路等级"] == "主干路") & (df.PCI > 80)),
    ("roads", "NOT (\"道路名称\" LIKE '%路') OR CAST(PCI AS integer) >= 95",
     lambda df: ~df["道路名称"].str.endswith("路") | (df.PCI.astype(int) >= 95)),
]
VALID_SOURCES = {
    "blocks": (DEMO / "beautiful_blocks.geojson", "beautiful_blocks", "block_id", "block_id", {}),
    "pipes": (DEMO / "pipelines.gpkg", "pipelines", "pipe_id", "pipe_id", {}),
    "roads": (DEMO / "roads.shp", "roads", "道路编号", "road_id", {"encoding": "GBK"}),
}


@pytest.mark.parametrize("name, expression, predicate", VALID_WHERE,
                         ids=[f"{v[0]}{i}" for i, v in enumerate(VALID_WHERE)])
def test_valid_where_filters_the_rows_pandas_filters(registry, tmp_path, name, expression,
                                                     predicate):
    path, layer, src_id, id_column, options = VALID_SOURCES[name]
    if name == "roads":  # through a zip, so the archive path is exercised too
        path = write_zip(tmp_path / "demo_roads.zip",
                         [(p.name, p.read_bytes()) for p in sorted(DEMO.glob("roads.*"))],
                         zipfile.ZIP_DEFLATED)
        table = pyogrio.read_dataframe(DEMO / "roads.shp", encoding="gb18030")
    else:
        table = pyogrio.read_dataframe(path)
    expected = sorted(table.loc[predicate(table), src_id])
    assert 0 < len(expected) < len(table)  # the filter really filters
    source_before = hashlib.sha256(path.read_bytes()).hexdigest()
    registry.load(path, layer, where=expression, **options)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == source_before  # opened read-only
    got = registry.read(layer)
    assert sorted(got[id_column]) == expected
    assert int(registry.batches()["rows_read"].iloc[-1]) == len(expected)


def test_hostile_where_never_reaches_a_geopackage(loaded, tmp_path):
    # GDAL puts a GeoPackage's filter into SQLite's SELECT … WHERE <filter>: every hostile
    # expression is refused before, and the source file stays byte-identical
    source = tmp_path / "pipelines.gpkg"
    shutil.copyfile(FIXTURES / "pipelines.gpkg", source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    before = state(loaded)
    for expression in HOSTILE_WHERE:
        with pytest.raises(SourceError) as info:
            loaded.load(source, "pipelines", where=expression)
        assert "pipelines.gpkg" in info.value.render()
        assert "not a single filter expression" in info.value.message, expression
    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest
    assert state(loaded) == before
