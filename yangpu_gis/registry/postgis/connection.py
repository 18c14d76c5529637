"""Connecting to the registry database: URL checks, one-sentence errors, never the password."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import psycopg
import pyproj

from ... import settings
from ...errors import RegistryError

__all__ = ["URL_HINT", "connect", "mask", "one_line", "srid"]


def mask(url: str) -> str:
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


def one_line(exc: BaseException, url: str) -> str:
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
    target = mask(url)
    try:
        query = parse_qs(urlsplit(url).query)
    except ValueError as exc:
        raise RegistryError(f"malformed registry URL: {one_line(exc, url)}", source=target,
                            hint=URL_HINT) from None
    kwargs = {} if "connect_timeout" in query else {"connect_timeout": 10}
    try:
        conn = psycopg.connect(url, autocommit=True, **kwargs)
    except psycopg.OperationalError as exc:
        raise RegistryError(f"cannot connect to PostgreSQL: {one_line(exc, url)}",
                            source=target, hint="is the server running, and are the host, "
                            "port, user, password and database of the URL right?") from None
    except (psycopg.Error, ValueError, TypeError, UnicodeError) as exc:
        raise RegistryError(f"malformed registry URL: {one_line(exc, url)}", source=target,
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


def srid() -> int:
    """The SRID of the working CRS (PostGIS needs an EPSG code)."""
    epsg = pyproj.CRS.from_user_input(settings.working_crs).to_epsg()
    if epsg is None:
        raise RegistryError("the working CRS has no EPSG code; PostGIS needs an SRID")
    return int(epsg)

