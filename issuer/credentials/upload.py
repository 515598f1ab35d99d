"""Cohort uploads (CSV or XLSX): decode what spreadsheet software writes, map columns to rows.

Korean spreadsheet software saves CSV as CP949 (a superset of EUC-KR) unless told
otherwise; Excel's "CSV UTF-8" adds a byte-order mark; "Unicode text" is UTF-16 with
tabs. All of these are read, and so are ``.xlsx`` workbooks (the first sheet, through
openpyxl). Header names may be English or Korean; :data:`COLUMNS_HELP` lists them. A column
no header name matches is reported (``ignored_columns``), never dropped silently.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from xml.etree.ElementTree import ParseError

from issuer.errors import InvalidCsv

# Normalized header -> path in a BatchRow JSON object.
_COLUMNS: dict[str, tuple[str, ...]] = {}
for _path, _names in {
    ("recipient", "email"): ("email", "emailaddress", "이메일", "이메일주소", "메일", "전자우편"),
    ("recipient", "name"): ("name", "recipientname", "이름", "성명", "학습자", "학습자명"),
    ("achievementId",): ("achievementid", "achievement", "과정id", "과정아이디"),
    ("validFrom",): ("validfrom", "유효시작일"),
    ("validUntil",): ("validuntil", "유효기간", "만료일", "유효종료일"),
    ("activityStartDate",): ("activitystartdate", "startdate", "교육시작일", "시작일"),
    ("activityEndDate",): ("activityenddate", "enddate", "교육종료일", "종료일", "수료일"),
    ("creditsEarned",): ("creditsearned", "credits", "학점", "이수학점"),
    ("term",): ("term", "cohort", "기수", "학기", "차수"),
    ("narrative",): ("narrative", "서술"),
    ("result", "value"): ("result", "grade", "score", "성적", "결과", "점수", "등급"),
    ("result", "status"): ("resultstatus", "이수상태"),
    ("evidence", "id"): ("evidence", "evidenceurl", "증빙", "증빙url", "증빙자료"),
    ("jwtAlg",): ("jwtalg",),
}.items():
    for _name in _names:
        _COLUMNS[_name] = _path
_DATE_COLUMNS = frozenset({"validFrom", "validUntil", "activityStartDate", "activityEndDate"})
_NUMBER_COLUMNS = frozenset({"creditsEarned"})
# A result and an evidence URL are one-element lists in a row.
_LIST_COLUMNS = frozenset({"result", "evidence"})
_DATE_ONLY = re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})\.?$")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows read from a workbook at most; the callers' own row limits are lower.
_MAX_XLSX_ROWS = 100_000
# What a workbook may unpack to: a cohort sheet is a few MB; a ZIP bomb is refused unread.
_MAX_XLSX_UNPACKED = 64 * 1024 * 1024
_MAX_XLSX_MEMBERS = 1_000

COLUMNS_HELP = (
    "CSV (UTF-8 with or without BOM, UTF-16, or CP949/EUC-KR) or XLSX (first sheet). "
    "Columns, English or Korean header: email/이메일 (required), name/이름/성명, "
    "achievementId/과정ID, result/grade/성적/결과/점수 (the result value), "
    "resultStatus/이수상태 (Completed, Failed, ...), creditsEarned/credits/학점, "
    "term/cohort/기수/학기, activityStartDate/교육시작일, activityEndDate/교육종료일, "
    "validFrom/유효시작일, validUntil/유효기간, evidence/evidenceUrl/증빙 URL, narrative. "
    "Dates as 2026-03-02 (or 2026.03.02) mean midnight UTC. Columns not listed are "
    "reported as ignored."
)


@dataclass(frozen=True)
class CsvRows:
    """Rows of an upload as BatchRow JSON objects, with the file line each one ends on.

    ``ignored_columns``: header names that match no column (reported to the provider).
    """

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


def is_xlsx(data: bytes) -> bool:
    """Return whether ``data`` looks like an XLSX workbook (a ZIP archive)."""
    return data.startswith(b"PK\x03\x04")


def read_table(data: bytes) -> CsvRows:
    """Parse an upload, XLSX (by its ZIP signature) or CSV, into batch rows.

    Raises:
        InvalidCsv: unreadable, no header, or no email column.
    """
    return read_xlsx(data) if is_xlsx(data) else read_csv(data)


def read_xlsx(data: bytes) -> CsvRows:
    """Parse the first sheet of an XLSX workbook into batch rows (as :func:`read_csv`).

    Cells holding dates become dates; formulas count by their cached value (openpyxl's
    ``data_only``), never evaluated here.

    Raises:
        InvalidCsv: not a readable workbook, no header, or no email column.
    """
    from openpyxl import load_workbook  # only workbook uploads pay for importing it

    _check_archive(data)
    # A damaged or hostile workbook fails while loading or only once its rows are read
    # (defusedxml refuses entity declarations with a ValueError); either is the file's fault.
    unreadable = (zipfile.BadZipFile, KeyError, ValueError, OSError, ParseError, TypeError)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except unreadable as err:
        raise InvalidCsv(f"the .xlsx file cannot be read: {err}") from err
    table: list[tuple[int, list[str]]] = []
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise InvalidCsv("the workbook has no sheet")
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > _MAX_XLSX_ROWS:
                raise InvalidCsv(f"the sheet has more than {_MAX_XLSX_ROWS} rows")
            table.append((number, [_xlsx_text(v) for v in values]))
    except unreadable as err:
        raise InvalidCsv(f"the .xlsx file cannot be read: {err}") from err
    finally:
        book.close()
    while table and not any(cell.strip() for cell in table[0][1]):
        table.pop(0)
    if not table:
        raise InvalidCsv("the sheet is empty")
    return _rows_of(table[0][1], table[1:])


def _check_archive(data: bytes) -> None:
    """Refuse a workbook whose parts would unpack to more than a cohort sheet ever needs.

    The sizes come from the ZIP's central directory, which also bounds how much ``zipfile``
    ever inflates, so a ZIP bomb is refused before any part is read.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as err:
        raise InvalidCsv(f"the .xlsx file cannot be read: {err}") from err
    unpacked = sum(m.file_size for m in members)
    if len(members) > _MAX_XLSX_MEMBERS or unpacked > _MAX_XLSX_UNPACKED:
        raise InvalidCsv(
            f"the .xlsx file unpacks to {unpacked // (1024 * 1024)} MiB in {len(members)} "
            f"parts; a cohort workbook takes at most {_MAX_XLSX_UNPACKED // (1024 * 1024)} MiB"
        )


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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
    body: list[tuple[int, list[str]]] = []
    try:
        body.extend((reader.line_num, cells) for cells in reader)
    except csv.Error as err:
        raise InvalidCsv(f"line {reader.line_num}: {err}") from err
    return _rows_of(header, body)


def _rows_of(header: list[str], body: list[tuple[int, list[str]]]) -> CsvRows:
    paths: list[tuple[str, ...] | None] = [_COLUMNS.get(_header_key(h)) for h in header]
    if ("recipient", "email") not in paths:
        raise InvalidCsv(
            "the header row needs an email column ('email' or '이메일'); found: "
            + ", ".join(h.strip() for h in header)[:300]
        )
    ignored = [h.strip() for h, p in zip(header, paths, strict=True) if p is None and h.strip()]
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    for line, cells in body:
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(_row(paths, cells))
        lines.append(line)
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
    for name in _LIST_COLUMNS:
        if name in row:
            row[name] = [row[name]]
    return row


def _cell_value(name: str, value: str) -> Any:
    if name in _DATE_COLUMNS and (found := _DATE_ONLY.match(value)):
        # A date without a time means midnight UTC.
        year, month, day = found.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}T00:00:00Z"
    if name in _DATE_COLUMNS and re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", value):
        # A workbook's date and time cell carries no zone: UTC, like a date.
        return f"{value}Z"
    if name in _NUMBER_COLUMNS:
        try:
            return float(value)
        except ValueError:
            return value
    return value
