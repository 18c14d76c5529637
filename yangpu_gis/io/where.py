"""Check a ``--where`` attribute filter before any SQL engine sees it.

GDAL hands an attribute filter to the format's own engine: OGR SQL for shapefiles and
GeoJSON, SQLite for GeoPackages (inside ``SELECT … WHERE (<filter>)``). Whatever the user
types must therefore be *one filter expression* and nothing else: no ``;``, no comments, no
sub-statements, no closing the parenthesis GDAL wraps it in. The text is split into tokens by
a small tokenizer that knows string literals (``'it''s'``) and quoted identifiers
(``"名称"``), so keywords and punctuation inside quotes are data, and each token is checked
against what a filter may contain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import SourceError

__all__ = ["ALLOWED_FUNCTIONS", "WHERE_RULE", "Token", "check_where", "tokenize"]

#: The rule shown with every refusal.
WHERE_RULE = (
    "--where takes one OGR SQL filter expression: column names (\"quoted\" when they hold "
    "spaces or Chinese), 'string' literals, numbers, the operators = <> != < <= > >= + - * / "
    "% ||, AND OR NOT IN LIKE ILIKE BETWEEN IS NULL, parentheses and the functions "
    "{functions}; e.g. \"highway IN ('primary', 'secondary') AND name IS NOT NULL\""
)

#: Keywords a filter expression may use.
KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE", "BETWEEN",
                      "ESCAPE", "TRUE", "FALSE", "CAST", "AS"})
#: Scalar functions a filter may call (OGR SQL itself knows SUBSTR, CONCAT and CAST; SQLite
#: (GeoPackage) all of them; GDAL refuses the others on shapefiles and GeoJSON).
ALLOWED_FUNCTIONS = frozenset({"LOWER", "UPPER", "LENGTH", "SUBSTR", "CONCAT", "TRIM", "ABS",
                               "ROUND", "COALESCE", "CAST"})
#: Words that start or join SQL statements: never part of a filter, even as a bare column
#: name (quote a column so named: ``"select"``).
STATEMENT_WORDS = frozenset({
    "SELECT", "FROM", "WHERE", "DROP", "ATTACH", "DETACH", "PRAGMA", "INSERT", "UPDATE",
    "DELETE", "CREATE", "ALTER", "UNION", "INTERSECT", "EXCEPT", "INTO", "VALUES", "VACUUM",
    "REINDEX", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "ANALYZE", "EXPLAIN",
    "WITH", "TABLE", "REPLACE", "TRIGGER", "VIEW", "INDEX", "JOIN", "LIMIT", "OFFSET",
    "ORDER", "GROUP", "HAVING", "EXEC", "EXECUTE", "CALL", "GRANT", "REVOKE", "TRUNCATE",
    "COPY", "DO", "RETURNING", "SET",
})
_OPERATORS = ("<>", "!=", "<=", ">=", "||", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")",
              ",")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[^\W\d]\w*")
_MAX_LENGTH = 4000


@dataclass(frozen=True)
class Token:
    """One token of a filter: ``kind`` is string, ident, quoted, number, word or op."""

    kind: str
    text: str
    pos: int


class WhereSyntax(ValueError):
    """A filter that is not one expression; ``args[0]`` says why, ``pos`` where."""

    def __init__(self, why: str, pos: int) -> None:
        super().__init__(why)
        self.pos = pos


def _quoted(text: str, i: int, quote: str) -> int:
    """Index just past the literal opened at ``i`` (a doubled quote escapes it)."""
    j = i + 1
    while True:
        k = text.find(quote, j)
        if k < 0:
            kind = "string" if quote == "'" else "quoted name"
            raise WhereSyntax(f"unterminated {kind} opened at character {i + 1}", i)
        if text.startswith(quote * 2, k):
            j = k + 2
            continue
        return k + 1


def tokenize(text: str) -> list[Token]:
    """Split a filter into tokens, quotes respected.

    Raises
    ------
    WhereSyntax
        On a statement separator, a comment, an unterminated quote or a character that has
        no place in a filter expression.
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "'\"":
            end = _quoted(text, i, c)
            tokens.append(Token("string" if c == "'" else "quoted", text[i:end], i))
            i = end
        elif text.startswith("--", i) or text.startswith("/*", i) or c == "#":
            raise WhereSyntax(f"a comment ({text[i:i + 2]!r}) at character {i + 1}", i)
        elif c == ";":
            raise WhereSyntax(f"a statement separator ';' at character {i + 1}", i)
        elif m := _NUMBER.match(text, i):
            tokens.append(Token("number", m.group(), i))
            i = m.end()
        elif m := _WORD.match(text, i):
            tokens.append(Token("word", m.group(), i))
            i = m.end()
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise WhereSyntax(f"the character {c!r} at position {i + 1} has no place in a "
                                  "filter expression", i)
            tokens.append(Token("op", op, i))
            i += len(op)
    return tokens


def _check_tokens(tokens: list[Token]) -> None:
    depth = 0
    for k, tok in enumerate(tokens):
        nxt = tokens[k + 1] if k + 1 < len(tokens) else None
        if tok.kind == "word":
            upper = tok.text.upper()
            if upper in STATEMENT_WORDS:
                raise WhereSyntax(f"the SQL keyword {tok.text!r} (at character {tok.pos + 1}) "
                                  "starts another statement or clause", tok.pos)
            if nxt is not None and nxt.text == "(" and upper not in KEYWORDS - {"CAST"}:
                if upper not in ALLOWED_FUNCTIONS:
                    raise WhereSyntax(f"the function {tok.text!r} (at character {tok.pos + 1}) "
                                      "is not allowed in a filter", tok.pos)
        elif tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
            if depth < 0:
                raise WhereSyntax(f"a ')' without its '(' at character {tok.pos + 1}", tok.pos)
    if depth:
        raise WhereSyntax(f"{depth} '(' not closed", tokens[-1].pos)


def check_where(where: str | None, *, source: str | None = None) -> str | None:
    """Return ``where`` when it is one filter expression, else refuse it.

    Parameters
    ----------
    where : str or None
        The ``--where`` text. ``None`` (no filter) is returned as is.
    source : str, optional
        The file it would filter (named in the refusal).

    Raises
    ------
    SourceError
        Saying what is wrong, where, and what a filter may contain.

    Examples
    --------
    >>> check_where("highway IN ('primary', 'secondary') AND name IS NOT NULL")
    "highway IN ('primary', 'secondary') AND name IS NOT NULL"
    >>> check_where("name = 'a; DROP TABLE roads'")   # keywords inside quotes are data
    "name = 'a; DROP TABLE roads'"
    """
    if where is None:
        return None
    rule = WHERE_RULE.format(functions=", ".join(sorted(ALLOWED_FUNCTIONS - {"CAST"})) + ", CAST")
    shown = where if len(where) <= 200 else where[:200] + "…"
    try:
        if len(where) > _MAX_LENGTH:
            raise WhereSyntax(f"it is {len(where):,} characters long (at most {_MAX_LENGTH:,})",
                              _MAX_LENGTH)
        if "\x00" in where:
            raise WhereSyntax("it contains a NUL character", where.index("\x00"))
        tokens = tokenize(where)
        if not tokens:
            raise WhereSyntax("it is empty", 0)
        _check_tokens(tokens)
    except WhereSyntax as exc:
        raise SourceError(f"--where {shown!r} is not a single filter expression: {exc.args[0]}",
                          source=source, hint=rule) from None
    return where
