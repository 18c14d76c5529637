"""The vectorised ``.dbf`` encoding check reports exactly what the value-by-value check does.

``io.shapefile`` decodes a column's non-ASCII values joined by ``b"\\n"`` (a chunk at a time
when the column fails, value by value only inside failing chunks). These tests compare it,
on random bytes, with the reference: every value decoded on its own.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yangpu_gis.errors import Problem
from yangpu_gis.io import shapefile
from yangpu_gis.io.encoding import detect_bytes_encoding

TEXTS = ["杨浦区", "控江路", "上海燃气有限公司", "五角场", "€", "é", "ü", "ß", "路", "a", "",
         "国网上海市电力公司", "ひらがな", "한국어", "😀", "\u3000", "x\ny"]
CODECS = ["utf-8", "gb18030", "gbk", "gb2312", "big5", "ascii", "latin-1", "cp1252",
          # not joinable: checked value by value
          "shift_jis", "cp1251", "utf-16-le", "iso2022_jp"]
#: bytes that make or break multibyte sequences, and the separator/padding bytes themselves
SPECIAL = [0x0A, 0x00, 0x20, 0x30, 0x39, 0x40, 0x7E, 0x7F, 0x80, 0x81, 0xA1, 0xBF, 0xC0, 0xE4,
           0xED, 0xF0, 0xFE, 0xFF, 0x1B, 0x24]


def reference(columns: dict[bytes, np.ndarray], codec: str) -> list[Problem]:
    """The check as it was before vectorising: each non-ASCII value decoded on its own."""
    problems = []
    for raw_name, block in columns.items():
        name = shapefile._field_name(raw_name)
        rows = np.flatnonzero((block >= 0x80).any(axis=1))
        bad = []
        for r in rows:
            value = bytes(block[r]).rstrip(b" \x00")
            try:
                value.decode(codec)
            except UnicodeDecodeError:
                bad.append(int(r) + 1)
        if bad:
            problems.append(
                Problem(f"text is not valid {codec}", rows=bad, field=name, row_label="feature")
            )
    return problems


def reference_chunks(names: list[bytes], columns: dict[bytes, np.ndarray]) -> list[bytes]:
    return names + [
        bytes(block[r]).rstrip(b" \x00")
        for block in columns.values()
        for r in np.flatnonzero((block >= 0x80).any(axis=1))
    ]


def _encode(text: str, codec: str) -> bytes:
    return text.encode(codec, errors="ignore")


@st.composite
def values(draw, width: int) -> bytes:
    kind = draw(st.sampled_from(["text", "text", "random", "special", "cut", "mixed"]))
    if kind == "text":
        raw = _encode(draw(st.sampled_from(TEXTS)) * draw(st.integers(1, 3)),
                      draw(st.sampled_from(CODECS)))
    elif kind == "random":
        raw = draw(st.binary(max_size=width))
    elif kind == "special":
        raw = bytes(draw(st.lists(st.sampled_from(SPECIAL), max_size=width)))
    elif kind == "cut":  # a valid value cut inside a character, then padding
        full = _encode(draw(st.sampled_from(TEXTS)) * 3, draw(st.sampled_from(CODECS)))
        raw = full[: draw(st.integers(0, len(full)))]
    else:
        parts = draw(st.lists(st.one_of(
            st.sampled_from(TEXTS).map(lambda t: _encode(t, "utf-8")),
            st.sampled_from(TEXTS).map(lambda t: _encode(t, "gb18030")),
            st.sampled_from(SPECIAL).map(lambda b: bytes([b]))), max_size=6))
        raw = b"".join(parts)
    raw = raw[:width]
    pad = draw(st.sampled_from([b" ", b"\x00"]))
    raw = raw + pad * (width - len(raw))
    if draw(st.booleans()) and width:  # blanks or NULs inside the value, not only after it
        i = draw(st.integers(0, width - 1))
        raw = raw[:i] + draw(st.sampled_from([b" ", b"\x00", b"\n"])) + raw[i + 1:]
    return raw


@st.composite
def dbf_columns(draw) -> dict[bytes, np.ndarray]:
    columns = {}
    for name in draw(st.lists(st.sampled_from([b"owner", b"name", "名称".encode("gbk"),
                                               "材质".encode()]), min_size=1, max_size=3,
                              unique=True)):
        width = draw(st.integers(1, 24))
        rows = draw(st.lists(values(width), max_size=40))
        block = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), width)
        columns[name] = block
    return columns


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(shapefile, "_CHUNK_ROWS", 3)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(columns=dbf_columns(), codec=st.sampled_from(CODECS))
def test_vectorised_check_finds_the_same_rows(small_chunks, columns, codec):
    assert shapefile._undecodable(columns, codec) == reference(columns, codec)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(columns=dbf_columns(), codec=st.sampled_from(CODECS))
def test_vectorised_check_default_chunks(columns, codec):
    assert shapefile._undecodable(columns, codec) == reference(columns, codec)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(columns=dbf_columns(),
       names=st.lists(st.sampled_from(["名称".encode("gbk"), "材质".encode(), b"\xff\xfe"]),
                      max_size=2))
def test_detection_decides_the_same(columns, names):
    assert detect_bytes_encoding(shapefile._detection_chunks(names, columns)) == \
        detect_bytes_encoding(reference_chunks(names, columns))


def test_detection_with_a_non_joinable_candidate_goes_value_by_value(monkeypatch):
    monkeypatch.setattr(shapefile.settings, "fallback_encodings", ("utf-8", "shift_jis"))
    block = np.frombuffer("ひらがな".encode("shift_jis") + b"  ", dtype=np.uint8).reshape(1, -1)
    chunks = shapefile._detection_chunks([], {b"name": block})
    assert chunks == reference_chunks([], {b"name": block})


def test_large_column_with_scattered_bad_rows():
    rng = np.random.default_rng(3)
    n, width = 20_000, 60
    good = "上海城投水务（集团）有限公司".encode()
    block = np.full((n, width), 0x20, dtype=np.uint8)
    block[:, : len(good)] = np.frombuffer(good, dtype=np.uint8)
    bad = np.unique(rng.integers(0, n, 37))
    block[bad, 2] = 0xFF
    cut = np.setdiff1d(np.unique(rng.integers(0, n, 20)), bad)
    ascii_rows = np.setdiff1d(rng.integers(0, n, 500), np.union1d(bad, cut))
    block[ascii_rows, :] = 0x41  # ASCII rows are not checked
    block[cut, len(good) - 1 :] = 0x20  # cut inside the last character
    columns = {b"owner": block}
    for codec in ("utf-8", "gb18030"):
        assert shapefile._undecodable(columns, codec) == reference(columns, codec)
    rows = shapefile._undecodable(columns, "utf-8")[0].rows
    assert rows == sorted((np.union1d(bad, cut) + 1).tolist())


@st.composite
def dbf_records(draw):
    """Random records (deletion flag, then character and numeric fields) and their fields."""
    fields, off = [], 1
    for k in range(draw(st.integers(1, 4))):
        width = draw(st.integers(1, 10))
        fields.append((f"f{k}".encode(), draw(st.sampled_from("CCMN")), off, width))
        off += width
    parts = st.one_of(st.sampled_from(TEXTS).map(str.encode),
                      st.sampled_from(SPECIAL).map(lambda b: bytes([b])))
    rows = draw(st.lists(st.lists(parts, max_size=8).map(b"".join), min_size=1, max_size=6))
    data = b"".join((b" " + r).ljust(off, b" ")[:off] for r in rows)
    return np.frombuffer(data, dtype=np.uint8).reshape(len(rows), off), fields


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=dbf_records())
def test_whole_record_utf8_check_never_passes_a_bad_field(case):
    records, fields = case
    if shapefile._text_fields_utf8(records, fields):
        assert reference(shapefile._text_blocks(records, fields), "utf-8") == []


def test_whole_record_utf8_check_sees_a_character_split_between_fields():
    # "杨" (3 bytes) across the boundary of two 2-byte fields: the record is valid UTF-8,
    # neither field is
    records = np.frombuffer(b" " + "杨".encode() + b" ", dtype=np.uint8).reshape(1, -1)
    fields = [(b"a", "C", 1, 2), (b"b", "C", 3, 2)]
    assert not shapefile._text_fields_utf8(records, fields)
    assert [p.rows for p in reference(shapefile._text_blocks(records, fields), "utf-8")] == \
        [[1], [1]]
    whole = [(b"a", "C", 1, 4)]
    assert shapefile._text_fields_utf8(records, whole)
    assert reference(shapefile._text_blocks(records, whole), "utf-8") == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(st.sampled_from(SPECIAL + [0xE6, 0x9D, 0xA8, 0xF4, 0x8F, 0x90,
                                                          0xE0, 0xC2, 0xF5, 0xA0]),
                              min_size=1, max_size=6).map(bytes), min_size=1, max_size=5))
def test_arrow_utf8_validation_agrees_with_python(rows):
    width = max(map(len, rows))
    block = np.frombuffer(b"".join(r.ljust(width, b" ") for r in rows),
                          dtype=np.uint8).reshape(len(rows), width)

    def decodes(value: bytes) -> bool:
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    assert shapefile._utf8_valid(block) == all(decodes(bytes(r)) for r in block)
