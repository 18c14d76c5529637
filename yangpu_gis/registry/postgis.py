"""The server backend: PostgreSQL + PostGIS, typed tables, COPY in one transaction.

Tables follow the catalogue: primary key on the id column, NOT NULL on required columns,
CHECK constraints on enumerations and bounds, ``geometry(<type>, <srid>)`` typmod and a GiST
index. A load runs in one transaction that first takes a per-layer advisory lock (two loads
into one layer queue up, they never interleave), records the batch, and COPYs the rows; any
error rolls everything back, so the table is exactly as before. A layer without geometry
(``water_samples``) gets a table without geometry column and GiST index, and the same keys,
NOT NULL and CHECK constraints. All SQL is composed with
:mod:`psycopg.sql` identifiers and bound parameters.
"""

from __future__ import annotations

import binascii
import io
import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyproj
import shapely
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from .. import settings
from ..catalogue import BATCH_COLUMN, Column, Layer, get_layer, layer_names
from ..errors import RegistryError
from ..io import Prepared
from .base import BATCH_FIELDS, Registry, empty_layers_table
from .geopackage import BATCHES_TABLE, _bbox_in_working
from .storage import GEOMETRY_COLUMN, empty_frame, from_storage

__all__ = ["PostGISRegistry", "layer_ddl"]

_PG_TYPES = {
    "str": "text",
    "int": "bigint",
    "float": "double precision",
    "bool": "boolean",
    "date": "date",
    "datetime": "timestamptz",
}

#: Rows per COPY chunk written to the server (while the server parses one chunk, the next
#: is built).
COPY_CHUNK_ROWS = 25_000


def _mask(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` parameter) as ``***``."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)
    masked = url
    if password:
        netloc = parts.netloc.replace(f":{password}@", ":***@")
        masked = urlunsplit(parts._replace(netloc=netloc))
    return re.sub(r"(?i)((?:^|[?&])password=)[^&]*", r"\1***", masked)


def _secrets(url: str) -> list[str]:
    """The password of ``url`` as it appears there and decoded (to scrub from messages)."""
    found = [m.group(1) for m in re.finditer(r"(?i)(?:^|[?&])password=([^&]*)", url)]
    try:
        if urlsplit(url).password:
            found.append(urlsplit(url).password)
    except ValueError:
        m = re.search(r"//[^:/@]*:([^@/]*)@", url)
        if m:
            found.append(m.group(1))
    return [x for v in found for x in {v, unquote(v)} if x]


def _one_line(exc: BaseException, url: str) -> str:
    """A driver message as one line, without the password."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = re.sub(r"^connection failed: ", "", text)
    for secret in sorted(_secrets(url), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


#: What a registry URL may contain (README "Security"); anything else needs percent-encoding.
URL_HINT = ("postgresql://user[:password]@host[:port]/database[?options=-csearch_path%3Dschema]"
            "; percent-encode a space (%20), a quote (%27), @ (%40), : (%3A), / (%2F) and "
            "% itself (%25) in any part")


def connect(url: str) -> psycopg.Connection:
    """Connect to the registry database, or raise one RegistryError (never the password).

    A URL that libpq cannot parse, an unreachable or refusing server, refused credentials, a
    database that does not exist, and a ``search_path`` (URL ``options``) naming a schema
    that does not exist are all refused here, in one sentence.
    """
    target = _mask(url)
    try:
        query = parse_qs(urlsplit(url).query)
    except ValueError as exc:
        raise RegistryError(f"malformed registry URL: {_one_line(exc, url)}", source=target,
                            hint=URL_HINT) from None
    kwargs = {} if "connect_timeout" in query else {"connect_timeout": 10}
    try:
        conn = psycopg.connect(url, autocommit=True, **kwargs)
    except psycopg.OperationalError as exc:
        raise RegistryError(f"cannot connect to PostgreSQL: {_one_line(exc, url)}",
                            source=target, hint="is the server running, and are the host, "
                            "port, user, password and database of the URL right?") from None
    except (psycopg.Error, ValueError, TypeError, UnicodeError) as exc:
        raise RegistryError(f"malformed registry URL: {_one_line(exc, url)}", source=target,
                            hint=URL_HINT) from None
    try:
        _check_search_path(conn, query, target)
    except BaseException:
        conn.close()
        raise
    return conn


def _check_search_path(conn: psycopg.Connection, query: dict[str, list[str]],
                       target: str) -> None:
    """Refuse a search_path whose schemas do not exist: tables would go to another schema (or
    nowhere) without a word."""
    wanted: list[str] = []
    for option in query.get("options", []):
        for m in re.finditer(r"(?:-c\s*|--)search_path\s*=\s*(\S+)", option):
            wanted += [n.strip().strip('"') for n in m.group(1).split(",")]
    wanted = [n for n in wanted if n and n != "$user"]
    missing = []
    if wanted:
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)",
                            [wanted]).fetchall()
        have = {r[0] for r in rows}
        missing = [n for n in wanted if n not in have]
    if missing or conn.execute("SELECT current_schema()").fetchone()[0] is None:
        names = ", ".join(missing) if missing else "(none of its search_path)"
        raise RegistryError(
            f"the schema {names} named in the registry URL does not exist in this database",
            source=target,
            hint="create it (CREATE SCHEMA …) or correct options=-csearch_path%3D… in the URL")


def _srid() -> int:
    epsg = pyproj.CRS.from_user_input(settings.working_crs).to_epsg()
    if epsg is None:
        raise RegistryError("the working CRS has no EPSG code; PostGIS needs an SRID")
    return int(epsg)


def _column_ddl(col: Column) -> sql.Composable:
    parts: list[sql.Composable] = [sql.Identifier(col.name), sql.SQL(_PG_TYPES[col.type])]
    if col.required:
        parts.append(sql.SQL("NOT NULL"))
    checks: list[sql.Composable] = []
    if col.allowed:
        checks.append(sql.SQL("{} IN ({})").format(
            sql.Identifier(col.name), sql.SQL(", ").join(sql.Literal(v) for v in col.allowed)))
    if col.min is not None:
        checks.append(sql.SQL("{} >= {}").format(sql.Identifier(col.name), sql.Literal(col.min)))
    if col.max is not None:
        checks.append(sql.SQL("{} <= {}").format(sql.Identifier(col.name), sql.Literal(col.max)))
    if checks:
        parts.append(sql.SQL("CHECK ({})").format(sql.SQL(" AND ").join(checks)))
    return sql.SQL(" ").join(parts)


def layer_ddl(spec: Layer, srid: int) -> list[sql.Composed]:
    """CREATE TABLE and index statements for a catalogue layer."""
    return [_create_table(spec, srid, keys=True), *_index_ddl(spec), _comment_ddl(spec)]


def _create_table(spec: Layer, srid: int, *, keys: bool) -> sql.Composed:
    """CREATE TABLE; ``keys=False`` leaves out the primary and foreign key (see :func:`_keys_ddl`)."""
    cols = [_column_ddl(c) for c in spec.columns]
    cols.append(sql.SQL("{} integer NOT NULL").format(sql.Identifier(BATCH_COLUMN))
                + (sql.SQL(" REFERENCES {} (batch_id)").format(sql.Identifier(BATCHES_TABLE))
                   if keys else sql.SQL("")))
    if spec.has_geometry:
        cols.append(sql.SQL("{} geometry({}, {}) NOT NULL").format(
            sql.Identifier(GEOMETRY_COLUMN), sql.SQL(spec.storage_geometry), sql.Literal(srid)))
    if keys:
        cols.append(sql.SQL("PRIMARY KEY ({})").format(sql.Identifier(spec.id_column)))
    return sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
        sql.Identifier(spec.name), sql.SQL(", ").join(cols))


def _keys_ddl(spec: Layer) -> sql.Composed:
    """The primary and foreign key of :func:`_create_table` added to a table made without them
    (the same constraints, with the same names)."""
    return sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({}), ADD FOREIGN KEY ({}) REFERENCES {} "
                   "(batch_id)").format(
        sql.Identifier(spec.name), sql.Identifier(spec.id_column), sql.Identifier(BATCH_COLUMN),
        sql.Identifier(BATCHES_TABLE))


def _index_ddl(spec: Layer) -> list[sql.Composed]:
    table = sql.Identifier(spec.name)
    gist = [
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist ({})").format(
            sql.Identifier(f"{spec.name}_{GEOMETRY_COLUMN}_gist"), table,
            sql.Identifier(GEOMETRY_COLUMN)),
    ] if spec.has_geometry else []
    return [
        *gist,
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
            sql.Identifier(f"{spec.name}_{BATCH_COLUMN}_idx"), table, sql.Identifier(BATCH_COLUMN)),
    ]


def _comment_ddl(spec: Layer) -> sql.Composed:
    return sql.SQL("COMMENT ON TABLE {} IS {}").format(sql.Identifier(spec.name),
                                                       sql.Literal(spec.label))


_BATCHES_DDL = sql.SQL("""
CREATE TABLE IF NOT EXISTS {} (
    batch_id serial PRIMARY KEY,
    layer text NOT NULL, mode text NOT NULL CHECK (mode IN ('append', 'replace', 'upsert')),
    source text NOT NULL, source_sha256 text,
    rows_read integer, rows_inserted integer, rows_updated integer, rows_deleted integer,
    encoding text, source_crs text, repaired_rows integer, os_user text, tool_version text,
    loaded_at timestamptz NOT NULL DEFAULT now()
)""").format(sql.Identifier(BATCHES_TABLE))


def _copy_text(stored: pd.DataFrame, layer: Layer) -> str:
    """CSV text for COPY: catalogue columns, batch id, hex EWKB geometry (if the layer has one)."""
    out = pd.DataFrame(index=stored.index)
    for col in layer.columns:
        v = stored[col.name]
        if col.type == "date":
            v = v.dt.strftime("%Y-%m-%d")
        elif col.type == "datetime":
            v = v.map(lambda t: t.isoformat() if pd.notna(t) else None)
        elif col.type == "bool":
            v = v.map({True: "t", False: "f"}).astype(object)
        out[col.name] = v
    out[BATCH_COLUMN] = stored[BATCH_COLUMN]
    if layer.has_geometry:
        geoms = shapely.set_srid(np.asarray(stored.geometry.values, dtype=object), _srid())
        out[GEOMETRY_COLUMN] = shapely.to_wkb(geoms, hex=True, include_srid=True)
    buf = io.StringIO()
    out.to_csv(buf, index=False, header=False, na_rep="")
    return buf.getvalue()


def _ewkb_slow(geoms: np.ndarray, srid: int) -> list[bytes]:
    return list(shapely.to_wkb(shapely.set_srid(geoms, srid), include_srid=True))


def _ewkb(geoms: np.ndarray, srid: int) -> tuple[np.ndarray, np.ndarray]:
    """EWKB of ``geoms`` with ``srid``, as one byte array and ``n + 1`` offsets.

    What ``to_wkb(set_srid(geoms, srid), include_srid=True)`` gives, without cloning every
    geometry to set its SRID: GEOS's EWKB is the plain WKB with the SRID flag (0x20000000)
    in the outer type and the SRID after it. Little-endian WKB only; otherwise (and for SRID
    0, which GEOS does not write) the geometries are given their SRID.

    Raises
    ------
    TypeError
        For missing geometries.
    """
    wkb = shapely.to_wkb(geoms)
    n = len(wkb)
    lengths = np.fromiter(map(len, wkb), dtype=np.int64, count=n)
    plain = np.frombuffer(b"".join(wkb), dtype=np.uint8)
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    if not srid or not (plain[starts[:-1]] == 1).all():
        wkb = _ewkb_slow(geoms, srid)
        lengths = np.fromiter(map(len, wkb), dtype=np.int64, count=n)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return np.frombuffer(b"".join(wkb), dtype=np.uint8), offsets
    offsets = starts + 4 * np.arange(n + 1, dtype=np.int64)
    out = np.empty(int(offsets[-1]), dtype=np.uint8)
    at = (offsets[:-1, None] + np.arange(5, 9)).ravel()  # the SRID, after order and type
    gap = np.zeros(len(out), dtype=bool)
    gap[at] = True
    out[~gap] = plain
    out[at] = np.tile(np.frombuffer(int(srid).to_bytes(4, "little"), dtype=np.uint8), n)
    out[offsets[:-1] + 4] |= 0x20  # high byte of the little-endian type: the SRID flag
    return out, offsets


def _hex_ewkb(geoms: np.ndarray, srid: int) -> pa.Array:
    """Hex EWKB of ``geoms`` with ``srid`` as an Arrow string array (no Python string per row)."""
    data, offsets = _ewkb(geoms, srid)
    return pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets * 2),
                                            pa.py_buffer(binascii.hexlify(data)))


def _copy_csv(stored: pd.DataFrame, layer: Layer) -> bytes:
    """The rows :func:`_copy_text` gives, as UTF-8 CSV built by Arrow (several times faster).

    Text is always quoted and missing values are empty and unquoted, so COPY reads NULL for
    missing values exactly as from :func:`_copy_text`; numbers, dates and booleans are written
    in forms PostgreSQL parses to the same values.

    Raises
    ------
    TypeError, ValueError, pyarrow.ArrowException
        For values Arrow cannot take (the caller then falls back to :func:`_copy_text`).
    """
    arrays: dict[str, pa.Array] = {}
    for col in layer.columns:
        v = stored[col.name]
        if col.type == "str":
            arrays[col.name] = pa.array(v.to_numpy(dtype=object), type=pa.string(),
                                        from_pandas=True)
        elif col.type == "datetime":
            text = v.map(lambda t: t.isoformat() if pd.notna(t) else None)
            arrays[col.name] = pa.array(text.to_numpy(dtype=object), type=pa.string(),
                                        from_pandas=True)
        else:
            arrays[col.name] = pa.array(v.array, from_pandas=True)
    arrays[BATCH_COLUMN] = pa.array(stored[BATCH_COLUMN].to_numpy(dtype=np.int64))
    if layer.has_geometry:
        arrays[GEOMETRY_COLUMN] = _hex_ewkb(np.asarray(stored.geometry.values, dtype=object),
                                            _srid())
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(pa.table(arrays), sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue().to_pybytes()


class PostGISRegistry(Registry):
    """Registry in a PostgreSQL database with PostGIS.

    Parameters
    ----------
    url : str
        ``postgresql://user[:password]@host[:port]/dbname``. The PostGIS extension is
        created if missing (needs the privilege to do so).

    Raises
    ------
    RegistryError
        If the server cannot be reached or PostGIS is not installed on it.
    """

    kind = "postgis"

    def __init__(self, url: str) -> None:
        self.url = url
        self.target = _mask(url)
        self.conn = connect(url)
        try:
            self.conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as exc:
            self.conn.close()
            raise RegistryError(
                f"PostGIS is not available in this database: {_one_line(exc, url)}",
                source=self.target,
                hint="install it on the server (Debian: apt-get install postgresql-15-postgis-3) "
                "and let a superuser run CREATE EXTENSION postgis",
            ) from exc
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('yangpu_gis:schema'))")
            self.conn.execute(_BATCHES_DDL)

    def close(self) -> None:
        self.conn.close()

    # ----------------------------------------------------------------- reading
    def _tables(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        return {r[0] for r in rows}

    def layers(self) -> pd.DataFrame:
        tables = self._tables()
        counts = {}
        for name in (n for n in layer_names() if n in tables):
            counts[name] = self.conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))).fetchone()[0]
        return empty_layers_table(counts)

    def read(self, layer, *, bbox=None, bbox_crs=None, columns=None, crs=None) -> gpd.GeoDataFrame:
        spec, cols = self._read_plan(layer, columns, bbox)
        if layer not in self._tables():
            return empty_frame(spec, cols, crs)
        selected = sql.SQL(", ").join(sql.Identifier(c) for c in cols)
        if spec.has_geometry:
            query = sql.SQL("SELECT {}, ST_AsBinary({}) FROM {}").format(
                selected, sql.Identifier(GEOMETRY_COLUMN), sql.Identifier(layer))
        else:
            query = sql.SQL("SELECT {} FROM {}").format(selected, sql.Identifier(layer))
        params: list[Any] = []
        if bbox is not None:
            query += sql.SQL(" WHERE {} && ST_MakeEnvelope(%s, %s, %s, %s, %s)").format(
                sql.Identifier(GEOMETRY_COLUMN))
            params = [*_bbox_in_working(bbox, bbox_crs or crs), _srid()]
        query += sql.SQL(" ORDER BY {}").format(sql.Identifier(spec.id_column))
        with self.conn.cursor(binary=True) as cur:
            cur.execute(query, params)
            rows = cur.fetchall()
        if not spec.has_geometry:
            return from_storage(pd.DataFrame(rows, columns=cols), None, spec, cols, crs)
        df = pd.DataFrame([r[:-1] for r in rows], columns=cols)
        geoms = shapely.from_wkb([bytes(r[-1]) for r in rows]) if rows else []
        return from_storage(df, geoms, spec, cols, crs)

    def batches(self) -> pd.DataFrame:
        query = sql.SQL("SELECT {} FROM {} ORDER BY batch_id").format(
            sql.SQL(", ").join(sql.Identifier(f) for f in BATCH_FIELDS), sql.Identifier(BATCHES_TABLE))
        rows = self.conn.execute(query).fetchall()
        df = pd.DataFrame(rows, columns=list(BATCH_FIELDS))
        df["loaded_at"] = pd.to_datetime(df["loaded_at"], utc=True).dt.tz_convert("Asia/Shanghai")
        return df

    def existing_ids(self, layer: str, ids: list[str]) -> set[str]:
        return self._existing_ids(self.conn, layer, ids)

    @staticmethod
    def _existing_ids(conn: psycopg.Connection, layer: str, ids: list[str]) -> set[str]:
        spec = get_layer(layer)
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [layer]).fetchone()[0]
        if not exists:
            return set()
        rows = conn.execute(
            sql.SQL("SELECT {0} FROM {1} WHERE {0} = ANY(%s)").format(
                sql.Identifier(spec.id_column), sql.Identifier(layer)), [list(ids)]).fetchall()
        return {r[0] for r in rows}

    # ----------------------------------------------------------------- writing
    def _write(self, prepared: Prepared, mode: str, batch: dict[str, Any]) -> dict[str, int]:
        from .storage import to_storage

        spec = prepared.layer
        table = sql.Identifier(spec.name)
        conn = self.conn
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                             [f"yangpu_gis:layer:{spec.name}"])
                # pg_class read with this statement's snapshot, so a table another load
                # committed while this one waited for the lock is seen (to_regclass could
                # answer from a stale catalogue cache)
                new_table = not conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class "
                    "WHERE relname = %s AND relnamespace = current_schema()::regnamespace)",
                    [spec.name]).fetchone()[0]
                # A table created by this load gets its keys and indexes after the rows are in:
                # one bulk build (and one foreign-key check) instead of one per row. Same
                # transaction, so still all or nothing; upsert needs the key for ON CONFLICT.
                after: list[sql.Composed] = []
                if new_table and mode != "upsert":
                    create = [_create_table(spec, _srid(), keys=False), _comment_ddl(spec)]
                    after = [_keys_ddl(spec), *_index_ddl(spec)]
                else:
                    create = layer_ddl(spec, _srid())
                for stmt in create:
                    conn.execute(stmt)
                if mode == "append":  # re-checked under the lock
                    clash = self._existing_ids(conn, spec.name,
                                               prepared.frame[spec.id_column].tolist())
                    self._refuse_existing_ids(prepared, spec, clash)
                names = [f for f in BATCH_FIELDS if f in batch]
                batch_id = conn.execute(
                    sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING batch_id").format(
                        sql.Identifier(BATCHES_TABLE),
                        sql.SQL(", ").join(sql.Identifier(n) for n in names),
                        sql.SQL(", ").join(sql.Placeholder() for _ in names)),
                    [batch[n] for n in names]).fetchone()[0]
                stored = to_storage(prepared.frame, spec, batch_id)
                counts = {"inserted": len(stored), "updated": 0, "unchanged": 0, "deleted": 0}
                columns = [*spec.column_names, BATCH_COLUMN,
                           *([GEOMETRY_COLUMN] if spec.has_geometry else [])]
                if mode == "replace":
                    counts["deleted"] = conn.execute(sql.SQL("DELETE FROM {}").format(table)).rowcount
                if mode == "upsert":
                    stage = sql.Identifier(f"_stage_{spec.name}")
                    conn.execute(sql.SQL(
                        "CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP"
                    ).format(stage, table))
                    self._copy(conn, stage, columns, stored, spec)
                    updates = sql.SQL(", ").join(
                        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c))
                        for c in columns if c != spec.id_column)
                    # a stored row equal in every attribute and its geometry (PostGIS "=":
                    # same coordinates in the same order) is left as it is, with its batch
                    compared = [c for c in columns if c not in (spec.id_column, BATCH_COLUMN)]
                    changed = sql.SQL("({}) IS DISTINCT FROM ({})").format(
                        sql.SQL(", ").join(sql.SQL("{}.{}").format(table, sql.Identifier(c))
                                           for c in compared),
                        sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c))
                                           for c in compared))
                    flags = conn.execute(sql.SQL(
                        "INSERT INTO {t} ({cols}) SELECT {cols} FROM {s} "
                        "ON CONFLICT ({id}) DO UPDATE SET {upd} WHERE {changed} "
                        "RETURNING (xmax = 0)"
                    ).format(t=table, s=stage, id=sql.Identifier(spec.id_column), upd=updates,
                             changed=changed,
                             cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns))
                    ).fetchall()
                    counts["inserted"] = sum(1 for f in flags if f[0])
                    counts["updated"] = len(flags) - counts["inserted"]
                    counts["unchanged"] = len(stored) - len(flags)
                else:
                    self._copy(conn, table, columns, stored, spec)
                for stmt in after:
                    conn.execute(stmt)
                conn.execute(
                    sql.SQL("UPDATE {} SET rows_inserted = %s, rows_updated = %s, "
                            "rows_deleted = %s WHERE batch_id = %s").format(
                        sql.Identifier(BATCHES_TABLE)),
                    [counts["inserted"], counts["updated"], counts["deleted"], batch_id])
        except psycopg.Error as exc:
            raise RegistryError(
                f"the load into {spec.name} failed and was rolled back: {exc}".strip(),
                source=prepared.raw.path, hint="nothing was changed; fix the cause and load again",
            ) from exc
        return {**counts, "batch_id": batch_id}

    def _copy(self, conn, table: sql.Identifier, columns: list[str], stored: pd.DataFrame,
              spec: Layer) -> None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
            table, sql.SQL(", ").join(sql.Identifier(c) for c in columns))
        utf8 = conn.info.encoding == "utf-8"
        cur = conn.cursor()
        # the queued writer sends from a thread, so the server parses one chunk while the
        # next is built here
        with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
            for start in range(0, len(stored), COPY_CHUNK_ROWS):
                chunk = stored.iloc[start:start + COPY_CHUNK_ROWS]
                data: bytes | str | None = None
                if utf8:
                    try:
                        data = _copy_csv(chunk, spec)
                    except (TypeError, ValueError, pa.ArrowException):
                        data = None
                copy.write(data if data is not None else _copy_text(chunk, spec))
                self._after_chunk(start + len(chunk))

    def _after_chunk(self, rows_written: int) -> None:
        """Hook called after each COPY chunk (tests inject failures here)."""

