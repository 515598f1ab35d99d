"""CSV uploads: decode what spreadsheet software writes, and map its columns to batch rows.

Korean spreadsheet software saves CSV as CP949 (a superset of EUC-KR) unless told
otherwise; Excel's "CSV UTF-8" adds a byte-order mark; "Unicode text" is UTF-16 with
tabs. All of these are read. Header names may be English (``email``, ``name``,
``achievementId``...) or Korean (``이메일``, ``이름``/``성명``, ``과정ID``).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from typing import Any

from issuer.errors import InvalidCsv

# Normalized header -> path in a BatchRow JSON object.
_COLUMNS: dict[str, tuple[str, ...]] = {}
for _path, _names in {
    ("recipient", "email"): ("email", "emailaddress", "이메일", "이메일주소", "메일", "전자우편"),
    ("recipient", "name"): ("name", "recipientname", "이름", "성명", "학습자", "학습자명"),
    ("achievementId",): ("achievementid", "achievement", "과정id", "과정아이디"),
    ("validFrom",): ("validfrom",),
    ("validUntil",): ("validuntil",),
    ("activityStartDate",): ("activitystartdate",),
    ("activityEndDate",): ("activityenddate",),
    ("creditsEarned",): ("creditsearned",),
    ("term",): ("term",),
    ("narrative",): ("narrative",),
    ("jwtAlg",): ("jwtalg",),
}.items():
    for _name in _names:
        _COLUMNS[_name] = _path
_DATE_COLUMNS = frozenset({"validFrom", "validUntil", "activityStartDate", "activityEndDate"})
_NUMBER_COLUMNS = frozenset({"creditsEarned"})


@dataclass(frozen=True)
class CsvRows:
    """Rows of an upload as BatchRow JSON objects, with the file line each one ends on."""

    rows: list[dict[str, Any]]
    lines: list[int]
    ignored_columns: list[str]


def decode_text(data: bytes) -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM, or CP949/EUC-KR.

    Raises:
        InvalidCsv: none of these encodings fits.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "cp949")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidCsv("the file is neither UTF-8 nor CP949/EUC-KR text; save it as 'CSV UTF-8'")


def _header_key(name: str) -> str:
    folded = unicodedata.normalize("NFC", name).strip().lower()
    return "".join(c for c in folded if c not in " _-\t")


def read_csv(data: bytes) -> CsvRows:
    """Parse a CSV upload into batch rows (blank lines are skipped, cells are trimmed).

    Raises:
        InvalidCsv: undecodable, no header, or no email column.
    """
    text = decode_text(data)
    first_line = text.split("\n", 1)[0]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(first_line, ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidCsv("the file is empty") from None
    except csv.Error as err:
        raise InvalidCsv(f"line 1: {err}") from err
    paths: list[tuple[str, ...] | None] = [_COLUMNS.get(_header_key(h)) for h in header]
    if ("recipient", "email") not in paths:
        raise InvalidCsv(
            "the header row needs an email column ('email' or '이메일'); found: "
            + ", ".join(h.strip() for h in header)[:300]
        )
    ignored = [h.strip() for h, p in zip(header, paths, strict=True) if p is None and h.strip()]
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            rows.append(_row(paths, cells))
            lines.append(reader.line_num)
    except csv.Error as err:
        raise InvalidCsv(f"line {reader.line_num}: {err}") from err
    return CsvRows(rows, lines, ignored)


def _row(paths: list[tuple[str, ...] | None], cells: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for path, cell in zip(paths, cells, strict=False):
        value = cell.strip()
        if path is None or not value:
            continue
        target = row
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = _cell_value(path[-1], value)
    row.setdefault("recipient", {})
    return row


def _cell_value(name: str, value: str) -> Any:
    if name in _DATE_COLUMNS and len(value) == 10 and value[4] == "-" and value[7] == "-":
        # A date without a time means midnight UTC.
        return f"{value}T00:00:00Z"
    if name in _NUMBER_COLUMNS:
        try:
            return float(value)
        except ValueError:
            return value
    return value
