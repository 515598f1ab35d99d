"""A cohort spreadsheet as the console previews it: columns mapped once, every row checked.

Reads ``.csv`` (UTF-8, UTF-8 with BOM, UTF-16 or CP949, as
:func:`issuer.credentials.upload.decode_text`) and ``.xlsx`` (openpyxl, first sheet,
read-only, no formulas evaluated: a cell holding a formula is read as its cached value).
The first non-empty row is the header. Each column maps to one field of a badge
(:data:`FIELDS`); Korean and English headers are recognised (:func:`guess`), and a column
mapped to nothing is listed as ignored, never dropped silently.

:func:`preview` turns the mapped rows into batch rows (the JSON that
:func:`issuer.credentials.service.issue_batch` takes), lists each row's problems (checked
with the same :class:`issuer.schemas.BatchRow` model the API uses) and finds learners who
already hold a badge of the course, as the issuing service counts them (active or
suspended, not expired; by the e-mail HMAC: addresses are never stored).
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from badges import normalize_email
from issuer.credentials import service as services
from issuer.credentials.upload import decode_text
from issuer.db import Work
from issuer.errors import InvalidCsv
from issuer.models import Achievement, Credential, Issuer
from issuer.schemas import BatchRow

MAX_ROWS = 5000
MAX_COLUMNS = 60
# field -> header names that select it (compared lower-case without spaces, _ and -).
FIELDS: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "e-mail", "이메일", "이메일주소", "메일", "전자우편"),
    "name": ("name", "recipientname", "이름", "성명", "학습자", "학습자명", "수료자"),
    "result": ("result", "grade", "score", "성적", "결과", "성적/결과", "평가결과", "점수", "등급"),
    "credits": ("credits", "creditsearned", "학점", "이수학점", "이수시간", "시간"),
    "term": ("term", "cohort", "기수", "학기", "차수", "기수/학기"),
    "start": ("activitystartdate", "startdate", "start", "교육시작일", "시작일", "개강일"),
    "end": ("activityenddate", "enddate", "end", "교육종료일", "종료일", "수료일"),
    "evidence": ("evidence", "evidenceurl", "증빙", "증빙url", "증빙링크", "포트폴리오"),
    "narrative": ("narrative", "비고", "메모", "설명"),
}
IGNORE = ""


def _key(name: str) -> str:
    folded = unicodedata.normalize("NFC", name).strip().lower()
    return "".join(c for c in folded if c not in " _-\t")


_BY_HEADER = {_key(name): target for target, names in FIELDS.items() for name in names}


def guess(header: list[str]) -> list[str]:
    """The field each column maps to by its header (``""``: none), each field once."""
    taken: set[str] = set()
    mapping = []
    for name in header:
        target = _BY_HEADER.get(_key(name), IGNORE)
        if target in taken:
            target = IGNORE
        taken.add(target)
        mapping.append(target)
    return mapping


@dataclass(frozen=True)
class Sheet:
    """The header and the non-empty rows of an upload, every cell as text."""

    header: list[str]
    rows: list[list[str]]
    lines: list[int]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_sheet(data: bytes, filename: str) -> Sheet:
    """Read an upload (``.xlsx`` by name or content, else CSV) into a :class:`Sheet`.

    Raises:
        InvalidCsv: unreadable, empty, or larger than :data:`MAX_ROWS` rows.
    """
    if filename.lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        table = _xlsx_rows(data)
    else:
        text = decode_text(data)
        # Only the delimiter is sniffed: quoting stays Excel's (a sniffed header line
        # without quotes would turn off "" escapes and split quoted cells).
        try:
            delimiter = csv.Sniffer().sniff(text.split("\n", 1)[0], ",;\t").delimiter
        except csv.Error:
            delimiter = ","
        try:
            table = [
                (number, [cell.strip() for cell in cells])
                for number, cells in enumerate(
                    csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter), 1
                )
            ]
        except csv.Error as err:
            raise InvalidCsv(f"the file is not valid CSV: {err}") from err
    table = [(n, cells) for n, cells in table if any(cells)]
    if not table:
        raise InvalidCsv("the file is empty")
    (_, header), body = table[0], table[1:]
    if len(header) > MAX_COLUMNS:
        raise InvalidCsv(f"at most {MAX_COLUMNS} columns")
    if len(body) > MAX_ROWS:
        raise InvalidCsv(f"at most {MAX_ROWS} rows per upload; this file has {len(body)}")
    width = len(header)
    rows = [(cells + [""] * width)[:width] for _, cells in body]
    extra = [n for n, cells in body if any(c for c in cells[width:])]
    if extra:
        raise InvalidCsv(f"line {extra[0]} has more cells than the header row has names")
    return Sheet(header, rows, [n for n, _ in body])


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise InvalidCsv("the file is not a readable .xlsx workbook") from err
    try:
        sheet = book.worksheets[0]
        return [
            (number, [_text(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), 1)
        ]
    finally:
        book.close()


@dataclass
class PreviewRow:
    """One learner of the upload: the batch row, its problems, an existing badge."""

    line: int
    email: str
    name: str
    row: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    holds: Credential | None = None


@dataclass
class Preview:
    """What confirming would do: rows to issue, rows with problems, learners who hold it."""

    rows: list[PreviewRow]
    ignored: list[str]
    missing: list[str]

    @property
    def problems(self) -> list[PreviewRow]:
        """Rows that cannot be issued as they are."""
        return [r for r in self.rows if r.problems]

    @property
    def holders(self) -> list[PreviewRow]:
        """Rows whose learner already holds an active badge of this course."""
        return [r for r in self.rows if r.holds is not None]

    def to_issue(self, *, again: bool) -> list[PreviewRow]:
        """The rows confirming issues (learners who hold it only when ``again``)."""
        return [r for r in self.rows if not r.problems and (again or r.holds is None)]


def _date(value: str) -> str:
    if len(value) == 10 and value[4] in "-./" and value[7] in "-./":
        return f"{value[:4]}-{value[5:7]}-{value[8:]}T00:00:00Z"
    return value


def _batch_row(mapping: list[str], cells: list[str]) -> dict[str, Any]:
    values = {target: cell for target, cell in zip(mapping, cells, strict=True) if target and cell}
    row: dict[str, Any] = {"recipient": {"email": values.get("email", "")}}
    if "name" in values:
        row["recipient"]["name"] = values["name"]
    if "result" in values:
        row["result"] = [{"value": values["result"]}]
    if "credits" in values:
        try:
            row["creditsEarned"] = float(values["credits"])
        except ValueError:
            row["creditsEarned"] = values["credits"]
    if "term" in values:
        row["term"] = values["term"]
    if "start" in values:
        row["activityStartDate"] = _date(values["start"])
    if "end" in values:
        row["activityEndDate"] = _date(values["end"])
    if "evidence" in values:
        row["evidence"] = [{"id": values["evidence"]}]
    if "narrative" in values:
        row["narrative"] = values["narrative"]
    return row


def _problems(row: dict[str, Any]) -> list[str]:
    if not row["recipient"].get("email"):
        return ["email: missing"]
    try:
        BatchRow.model_validate(row)
    except ValidationError as err:
        return [".".join(str(p) for p in e["loc"]) + ": " + str(e["msg"]) for e in err.errors()]
    return []


def preview(work: Work, achievement: Achievement, sheet: Sheet, mapping: list[str]) -> Preview:
    """Check every row of ``sheet`` under ``mapping`` and find who already holds the badge
    (as the issuing service sees it at ``work.now``: :func:`issuer.credentials.service.holders`)."""
    mapped = set(mapping)
    missing = [f for f in ("email", "name") if f not in mapped]
    ignored = [h for h, m in zip(sheet.header, mapping, strict=True) if not m and h]
    rows: list[PreviewRow] = []
    seen: dict[str, int] = {}
    for line, cells in zip(sheet.lines, sheet.rows, strict=True):
        row = _batch_row(mapping, cells)
        email = row["recipient"]["email"]
        item = PreviewRow(line, email, row["recipient"].get("name", ""), row, _problems(row))
        if not item.problems and not item.name:
            item.problems.append("name: missing (the badge names its learner)")
        folded = email.strip().lower()
        if folded and folded in seen:
            item.problems.append(f"email: the same learner as line {seen[folded]}")
        seen.setdefault(folded, line)
        rows.append(item)
    candidates = [r for r in rows if r.email and not r.problems]
    held = _holders(work, achievement, [r.email for r in candidates])
    for item in candidates:
        item.holds = held.get(normalize_email(item.email))
    return Preview(rows, ignored, missing)


def _holders(work: Work, achievement: Achievement, emails: list[str]) -> dict[str, Credential]:
    """The badges of ``achievement`` these learners hold at ``work.now``, by normalized
    e-mail."""
    issuer = work.session.get(Issuer, achievement.issuer_id)
    if issuer is None or not emails:
        return {}
    return services.holders(work.acting_for(issuer), achievement.id, emails)


def holder(work: Work, achievement: Achievement, email: str) -> Credential | None:
    """The badge of ``achievement`` that the learner ``email`` holds at ``work.now``, if any."""
    return _holders(work, achievement, [email]).get(normalize_email(email))


def idempotency_key(data: bytes, achievement: Achievement, mapping: list[str], again: bool) -> str:
    """The key of one confirmed upload: the same file, course and choices issue once."""
    digest = hashlib.sha256()
    for part in (
        data,
        achievement.id.encode(),
        "|".join(mapping).encode(),
        b"again" if again else b"",
    ):
        digest.update(hashlib.sha256(part).digest())
    return "console-cohort-" + digest.hexdigest()


def safe_cell(value: str) -> str:
    """A spreadsheet cell that cannot run as a formula (CSV/formula injection)."""
    if value and value[0] in "=+-@\t\r|":
        return "'" + value
    return value


def sheet_file(header: list[str], rows: list[list[str]], kind: str) -> tuple[bytes, str]:
    """Return ``rows`` under ``header`` as an ``xlsx`` workbook or a UTF-8 ``csv`` (with a
    BOM, so spreadsheet programs read Korean), every cell made formula-safe, and its media
    type."""
    if kind == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(header)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows([[safe_cell(v) for v in row] for row in rows])
    return ("\ufeff" + text.getvalue()).encode(), "text/csv; charset=utf-8"
