"""The bad-input corpus through the real CLI, on both backends: a clear refusal, never a crash.

``scripts/make_bad_corpus.py`` generates the cases (broken files of every format, hostile
names and values, bad options and paths, damaged registries, full disks) from the repo's own
valid files. Each case runs ``python -m yangpu_gis.cli …`` in a fresh subprocess against a
registry pre-populated with a small valid dataset and must:

* exit with the case's code (2 refused input, 1 other errors), with no ``Traceback``;
* name the file, the row or feature and the field where the case says so, and print no raw
  terminal control sequence;
* leave the registry unchanged: a byte-identical ``.gpkg`` and no stray file beside it (a
  missing registry is not created); in PostGIS, identical checksums of every table's rows,
  ``yangpu_batches`` included;
* leave no output (nothing in ``--out``/``-o`` folders or the working directory) and its
  input files untouched.

Subprocesses run two at a time (``$YANGPU_GIS_CORPUS_JOBS``); every GeoPackage case gets its
own copy of one template registry, and PostGIS workers each own a schema that is checked by
checksum after every case and rebuilt only when a case changed it.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scripts.make_bad_corpus import BASE_LOADS, Case, build_corpus, control_cases

from .cli_run import BUG_MARK
from .conftest import ADMIN_URL, _with_db

JOBS = max(1, int(os.environ.get("YANGPU_GIS_CORPUS_JOBS", "2")))
TIMEOUT_S = 300

_CORPUS_DIR = Path(tempfile.mkdtemp(prefix="yangpu-bad-corpus-"))
atexit.register(shutil.rmtree, _CORPUS_DIR, ignore_errors=True)
CASES: list[Case] = build_corpus(_CORPUS_DIR / "corpus")
CONTROLS = control_cases(_CORPUS_DIR / "controls")
BY_ID = {c.id: c for c in CASES}

# prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH), then exec the CLI: root then
# obeys file permissions like any user (for the unreadable / unwritable cases)
_DROP_DAC = (
    "import ctypes, os, sys\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "for cap in (1, 2):\n"
    "    if libc.prctl(24, cap, 0, 0, 0) != 0:\n"
    "        sys.exit(97)\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'yangpu_gis.cli', *sys.argv[1:]])\n"
)


def _params() -> list:
    out = []
    for case in CASES:
        for backend in case.backends:
            marks = [pytest.mark.postgis] if backend == "postgis" else []
            out.append(pytest.param(case.id, backend, id=f"{case.id}-{backend}", marks=marks))
    return out


# --------------------------------------------------------------------------- running a case
@dataclass
class Outcome:
    returncode: int | None
    stdout: str = ""
    stderr: str = ""
    problems: list[str] = field(default_factory=list)
    skipped: str | None = None


def _digest_tree(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file (and symlink target) under ``root``."""
    out: dict[str, str] = {}
    if not root.exists():
        return out
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_file():
            try:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            except PermissionError:  # pragma: no cover - we run as root or own the files
                out[rel] = "unreadable"
    return out


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
                  or p.is_symlink()) if root.exists() else []


def _inputs(case: Case) -> list[Path]:
    """Corpus files the case names (they must be left as they were)."""
    found = []
    for arg in case.argv:
        p = Path(arg)
        try:
            if p.is_absolute() and _CORPUS_DIR in p.parents and (p.is_file() or p.is_dir()):
                found.append(p)
        except OSError:  # a name too long for the system, a loop …: nothing to compare
            continue
    return found


def _mount_tmpfs(where: Path, size: int) -> str | None:
    where.mkdir(parents=True, exist_ok=True)
    size = -(-size // 4096) * 4096
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                         capture_output=True, text=True)
    return None if res.returncode == 0 else (res.stderr.strip() or "mount failed")


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _norm(text: str) -> str:
    return " ".join(text.split())


_RANGES = re.compile(r"\b(row|line|feature)s? (\d[\d,– ]*)")


def _names(flat: str, name: str) -> bool:
    """Whether the message names ``name``; ``line 3`` is named by ``lines 2–4`` too (the
    messages give rows as compact ranges, see :func:`yangpu_gis.errors.format_rows`)."""
    if name in flat:
        return True
    wanted = re.fullmatch(r"(row|line|feature) (\d+)", name)
    if not wanted:
        return False
    label, number = wanted.group(1), int(wanted.group(2))
    for m in _RANGES.finditer(flat):
        if m.group(1) != label:
            continue
        for part in m.group(2).strip(", ").split(", "):  # "2,356" is one number
            lo, _, hi = part.replace(",", "").partition("–")
            if lo.isdigit() and int(lo) <= number <= int(hi or lo):
                return True
    return False


class Backend:
    """Where a case's registry lives and how to tell that it is unchanged."""

    name = "geopackage"

    def __init__(self, template: Path) -> None:
        self.template = template  # a folder holding registry.gpkg (and its .lock)

    def prepare(self, case: Case, work: Path) -> tuple[str, object]:
        reg_dir = work / "reg"
        reg_dir.mkdir(exist_ok=True)
        reg = reg_dir / "registry.gpkg"
        if case.registry == "template" or case.registry_on_tmpfs:
            for p in self.template.iterdir():
                shutil.copyfile(p, reg_dir / p.name)
        elif case.registry not in ("missing", "none"):
            shutil.copyfile(case.registry, reg)
        return str(reg), _digest_tree(reg_dir)

    def check(self, case: Case, work: Path, target: str, before: object) -> list[str]:
        reg_dir = work / "reg"
        after = _digest_tree(reg_dir)
        if case.registry == "missing":
            return [f"a missing registry was created: {sorted(after)}"] if after else []
        problems = []
        if after != before:
            changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            problems.append(f"registry folder changed: {changed}")
        return problems

    def release(self, target: str) -> None:
        pass


class PostGISBackend(Backend):
    name = "postgis"

    def __init__(self, database_url: str, workers: int) -> None:
        self.database_url = database_url
        self.free: list[str] = []
        self.snapshots: dict[str, dict] = {}
        import threading

        self.lock = threading.Lock()
        for _ in range(workers):
            schema = f"corpus_{uuid.uuid4().hex[:10]}"
            self._build(schema)
            self.free.append(schema)

    def url(self, schema: str) -> str:
        db = urlsplit(self.database_url).path.lstrip("/")
        return _with_db(ADMIN_URL, db, schema)

    def _build(self, schema: str) -> None:
        import psycopg

        from yangpu_gis import open_registry

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{schema}"')
        with open_registry(self.url(schema)) as reg:
            for path, layer, options in BASE_LOADS:
                reg.load(path, layer, **options)
        self.snapshots[schema] = pg_snapshot(self.database_url, schema)

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            for schema in self.snapshots:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def prepare(self, case: Case, work: Path) -> tuple[str, object]:
        with self.lock:
            schema = self.free.pop()
        return self.url(schema), schema

    def check(self, case: Case, work: Path, target: str, before: object) -> list[str]:
        schema = str(before)
        after = pg_snapshot(self.database_url, schema)
        problems = []
        if after != self.snapshots[schema]:
            ref = self.snapshots[schema]
            changed = sorted(k for k in set(ref) | set(after) if ref.get(k) != after.get(k))
            problems.append(f"PostGIS tables changed: {changed}")
            self._build(schema)  # restore for the next case
        return problems

    def release(self, target: str) -> None:
        schema = target.rsplit("search_path%3D", 1)[1].split("%2C", 1)[0]
        with self.lock:
            self.free.append(schema)


def pg_snapshot(database_url: str, schema: str) -> dict[str, tuple[int, str]]:
    """Row count and md5 of the sorted row texts of every table in ``schema``."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(database_url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,)).fetchall()]
        snap = {}
        for t in sorted(tables):
            q = sql.SQL("SELECT count(*), md5(coalesce(string_agg(md5(x::text), '' ORDER BY "
                        "md5(x::text)), '')) FROM {}.{} AS x").format(
                sql.Identifier(schema), sql.Identifier(t))
            snap[t] = tuple(conn.execute(q).fetchone())
    return snap


def run_case(case: Case, backend: Backend, root: Path) -> Outcome:
    """Run one case in a fresh subprocess and check everything but the message."""
    work = root / f"{case.id}-{backend.name}"
    work.mkdir(parents=True)
    out = work / "out"
    out.mkdir()
    ro = work / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    full = work / "full"
    mounted: list[Path] = []
    try:
        if case.registry_on_tmpfs:
            size = case.tmpfs_size + case.registry_on_tmpfs * sum(
                p.stat().st_size for p in backend.template.iterdir())
            why = _mount_tmpfs(work / "reg", size)
            if why:
                return Outcome(None, skipped=f"cannot mount a tmpfs: {why}")
            mounted.append(work / "reg")
        elif case.tmpfs_size:
            why = _mount_tmpfs(full, case.tmpfs_size)
            if why:
                return Outcome(None, skipped=f"cannot mount a tmpfs: {why}")
            mounted.append(full)
        target, before = backend.prepare(case, work)
        try:
            subs = {"{reg}": target, "{out}": str(out), "{full}": str(full), "{ro}": str(ro)}

            def fill(text: str) -> str:
                for k, v in subs.items():
                    text = text.replace(k, v)
                return text

            argv = [fill(a) for a in case.argv]
            env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
            env.pop("YANGPU_GIS_REGISTRY", None)
            env.update({k: fill(v) for k, v in case.env})
            inputs = _inputs(case)
            inputs_before = {str(p): _digest_tree(p) if p.is_dir() else _digest_tree(p.parent)
                             .get(p.name) for p in inputs}
            cwd_before = sorted(os.listdir(work))
            if case.drop_dac:
                cmd = [sys.executable, "-c", _DROP_DAC, *argv]
            else:
                cmd = [sys.executable, "-m", "yangpu_gis.cli", *argv]
            try:
                res = subprocess.run(cmd, cwd=work, env=env, capture_output=True,
                                     timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                return Outcome(None, problems=[f"timed out after {TIMEOUT_S} s"])
            if case.drop_dac and res.returncode == 97:
                return Outcome(None, skipped="cannot drop CAP_DAC_OVERRIDE here")
            outcome = Outcome(res.returncode, res.stdout.decode("utf-8", "replace"),
                              res.stderr.decode("utf-8", "replace"))
            outcome.problems += backend.check(case, work, target, before)
        finally:
            backend.release(target)
        left = _files(out) + ([f"{full.name}/{f}" for f in _files(full)] if case.tmpfs_size
                              and not case.registry_on_tmpfs else [])
        if left:
            outcome.problems.append(f"output left behind after a refusal: {left}")
        new_cwd = sorted(set(os.listdir(work)) - set(cwd_before))
        if new_cwd:
            outcome.problems.append(f"new files in the working directory: {new_cwd}")
        for p in inputs:
            now = _digest_tree(p) if p.is_dir() else _digest_tree(p.parent).get(p.name)
            if now != inputs_before[str(p)]:
                outcome.problems.append(f"the input {p.name} was modified")
        return outcome
    finally:
        for m in mounted:
            _umount(m)
        ro.chmod(0o755)


def _selected(session, backend_names: set[str]) -> list[Case]:
    ids = []
    for item in session.items:
        cs = getattr(item, "callspec", None)
        if cs and item.originalname == "test_bad_input" and cs.params.get("backend") in \
                backend_names:
            ids.append(cs.params["case_id"])
    return [BY_ID[i] for i in dict.fromkeys(ids)]


def _guarded(case: Case, backend: Backend, root: Path) -> Outcome:
    """:func:`run_case`, with a harness error reported as that case's failure only."""
    try:
        return run_case(case, backend, root)
    except Exception as exc:  # noqa: BLE001 - one broken case must not hide the others
        return Outcome(None, problems=[f"the test harness failed: {exc!r}"])


def _run_all(cases: list[Case], backend: Backend, root: Path) -> dict[str, Outcome]:
    pool = ThreadPoolExecutor(max_workers=JOBS)
    try:
        futures = {c.id: pool.submit(_guarded, c, backend, root) for c in cases}
        outcomes = {cid: f.result() for cid, f in futures.items()}
    finally:  # on Ctrl-C, do not start the cases still queued
        pool.shutdown(wait=True, cancel_futures=True)
    report = os.environ.get("YANGPU_GIS_CORPUS_REPORT")
    if report:  # one JSON line per case, for a table of what happens today
        import json

        with open(report, "a", encoding="utf-8") as fh:
            for cid, o in outcomes.items():
                fh.write(json.dumps({"case": cid, "backend": backend.name, **o.__dict__},
                                    ensure_ascii=False) + "\n")
    return outcomes


def _template(root: Path) -> Path:
    """A small valid registry: the fixture roads, pipelines, parking, blocks, complaints …"""
    from yangpu_gis import open_registry

    folder = root / "template"
    folder.mkdir()
    with open_registry(folder / "registry.gpkg") as reg:
        for path, layer, options in BASE_LOADS:
            reg.load(path, layer, **options)
    return folder


@pytest.fixture(scope="session")
def gpkg_template(tmp_path_factory) -> Path:
    return _template(tmp_path_factory.mktemp("corpus-template"))


@pytest.fixture(scope="session")
def gpkg_outcomes(request, tmp_path_factory, gpkg_template) -> dict[str, Outcome]:
    cases = _selected(request.session, {"geopackage", "any"})
    return _run_all(cases, Backend(gpkg_template), tmp_path_factory.mktemp("corpus-gpkg"))


@pytest.fixture(scope="session")
def pg_outcomes(request, tmp_path_factory, pg_database, gpkg_template) -> dict[str, Outcome]:
    cases = _selected(request.session, {"postgis"})
    backend = PostGISBackend(pg_database, JOBS)
    backend.template = gpkg_template  # sizes for tmpfs cases (GeoPackage-only in practice)
    try:
        return _run_all(cases, backend, tmp_path_factory.mktemp("corpus-pg"))
    finally:
        backend.drop()


# --------------------------------------------------------------------------- the tests
def test_corpus_is_large_and_covers_every_class():
    assert len(CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)
    classes = {c.klass for c in CASES}
    assert {"structure", "encoding", "columns", "values", "geometry", "crs", "archive",
            "options", "paths", "registry", "output", "disk", "hostile-text"} <= classes
    for c in CASES:
        assert c.exit_codes and 0 not in c.exit_codes and set(c.exit_codes) <= {1, 2}, c.id


def test_corpus_is_deterministic(tmp_path):
    again = build_corpus(tmp_path / "again")

    def relative(cases, root):
        return [str(c.as_dict()).replace(str(root), "<root>") for c in cases]

    assert relative(again, tmp_path / "again") == relative(CASES, _CORPUS_DIR / "corpus")
    def contents(root: Path) -> dict[str, str]:
        # traversal zips and symlinks hold absolute paths into the corpus: compare them relative
        out = {}
        for p in sorted(root.rglob("*")):
            if p.is_symlink():
                out[str(p.relative_to(root))] = os.readlink(p).replace(str(root), "<root>")
            elif p.suffix == ".zip" and str(root).encode() in p.read_bytes():
                with zipfile.ZipFile(p) as zf:
                    members = [(i.filename.replace(str(root).lstrip("/"), "<root>"), i.CRC)
                               for i in zf.infolist()]
                out[str(p.relative_to(root))] = str(members)
            elif p.is_file():
                data = p.read_bytes().replace(str(root).encode(), b"<root>")
                out[str(p.relative_to(root))] = hashlib.sha256(data).hexdigest()
        return out

    ours, theirs = contents(_CORPUS_DIR / "corpus"), contents(tmp_path / "again")
    assert ours.keys() == theirs.keys()
    differ = [k for k in ours if ours[k] != theirs[k]]
    assert differ == []


@pytest.mark.parametrize("name, argv", CONTROLS,
                         ids=lambda v: v if isinstance(v, str) else "")
def test_controls_load(name, argv, gpkg_template, tmp_path):
    """The valid files the corpus mutates do load: each case's defect is what is refused."""
    shutil.copytree(gpkg_template, tmp_path / "reg")
    reg = str(tmp_path / "reg" / "registry.gpkg")
    res = subprocess.run([sys.executable, "-m", "yangpu_gis.cli",
                          *[a.replace("{reg}", reg) for a in argv]],
                         cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert res.returncode == 0, res.stderr




@pytest.mark.parametrize("case_id, backend", _params())
def test_bad_input(case_id, backend, request):
    case = BY_ID[case_id]
    outcomes = request.getfixturevalue("pg_outcomes" if backend == "postgis" else "gpkg_outcomes")
    o = outcomes[case_id]
    if o.skipped:
        pytest.skip(o.skipped)
    text = o.stdout + o.stderr
    failures = list(o.problems)
    if "Traceback" in text:
        failures.append("a Python traceback was printed")
    if BUG_MARK in text:
        failures.append("the CLI's catch-all for bugs answered, not a refusal")
    if o.returncode not in case.exit_codes:
        failures.append(f"exit code {o.returncode}, expected {'/'.join(map(str, case.exit_codes))}")
    flat = _norm(text)
    missing = [n for n in case.names if not _names(flat, _norm(n))]
    if missing:
        failures.append(f"the message does not name {missing}")
    shown = [f for f in case.forbid if f in text]
    if shown:
        failures.append(f"the output contains {shown!r}")
    if "\x1b" in text:
        failures.append("raw terminal escape sequences in the output")
    assert not failures, (f"{case.id} ({case.klass}: {case.what}) on {backend}:\n  - "
                          + "\n  - ".join(failures) + f"\n--- stdout:\n{o.stdout[-2000:]}"
                          f"\n--- stderr:\n{o.stderr[-3000:]}")

