"""Verifying many candidates' badges in one request: the ``/verify`` page with several
files, and ``POST /api/v1/verify/batch``.

Each input is verified on its own by :func:`issuer.verification.service.verify_source` (so exactly
as one upload would be) and becomes a :class:`verify.batch.BatchRow`; the table, summary and
CSV come from :mod:`verify.batch`, as ``baeji verify`` with many inputs prints them. A
request holds at most :data:`MAX_BATCH_INPUTS` inputs and, like every request, at most the
app's ``MAX_CONTENT_LENGTH`` bytes. Nothing is stored or logged.

The page's "download CSV" button posts the table it shows back as JSON in a hidden field
(:func:`rows_from_table`), so no result is kept on the server and the files are not
uploaded twice. The field is not signed: the CSV is the employer's own copy of what their
browser showed (they could edit the CSV just as well); the verdict of record is a fresh
verification. The rows are still validated and bounded, and every cell is made
formula-safe when written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal

from flask import Flask
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.datastructures import FileStorage

from issuer.errors import BadRequest
from issuer.schemas import ApiModel, Url
from issuer.verification.service import verify_source
from verify import Verdict
from verify.batch import BatchRow, FailedCheck

MAX_BATCH_INPUTS = 50
_MAX_TEXT = 1024 * 1024
_MAX_CELL = 2000


class TooManyInputs(BadRequest):
    """More inputs than one request may hold."""

    code = "too-many-inputs"


class NoInputs(BadRequest):
    """Nothing to verify."""

    code = "no-inputs"


class BatchVerifyRequest(ApiModel):
    """Several credentials to verify: JSON objects or texts (VC-JWT, ``BJ1:``), and URLs."""

    # The count is checked over both lists together (400 too-many-inputs); the body-size
    # limit bounds the lists before that.
    credentials: list[dict[str, Any] | Annotated[str, Field(max_length=_MAX_TEXT)]] = Field(
        default_factory=list
    )
    urls: list[Url] = Field(default_factory=list)
    lang: Literal["ko", "en"] = "ko"


def named_sources(request: BatchVerifyRequest) -> list[tuple[str, Mapping[str, Any] | str]]:
    """The request's inputs with the names the table shows (``credentials[i]``, or the URL)."""
    sources: list[tuple[str, Mapping[str, Any] | str]] = [
        (f"credentials[{i}]", c) for i, c in enumerate(request.credentials)
    ]
    sources.extend((url, url) for url in request.urls)
    return sources


def uploaded_sources(files: Iterable[FileStorage]) -> list[tuple[str, bytes]]:
    """The uploaded files with a name (an upload with no file chosen is left out)."""
    return [(f.filename or f"file-{i + 1}", f.read()) for i, f in enumerate(files) if f.filename]


def check_count(count: int) -> None:
    """Refuse an empty batch or one over :data:`MAX_BATCH_INPUTS`.

    Raises:
        NoInputs: nothing to verify.
        TooManyInputs: too many inputs.
    """
    if count == 0:
        raise NoInputs("send at least one credential, URL or file")
    if count > MAX_BATCH_INPUTS:
        raise TooManyInputs(
            f"{count} inputs; at most {MAX_BATCH_INPUTS} per request", limit=MAX_BATCH_INPUTS
        )


def verify_many(
    app: Flask, sources: Sequence[tuple[str, Mapping[str, Any] | str | bytes]], *, lang: str
) -> list[BatchRow]:
    """Verify each input on its own; one row each, in order."""
    check_count(len(sources))
    return [
        BatchRow.from_report(name, verify_source(app, source), lang) for name, source in sources
    ]


class _Failed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(max_length=40)]
    status: Annotated[str, Field(max_length=20)]
    message: Annotated[str, Field(max_length=_MAX_CELL)]


_Cell = Annotated[str | None, Field(max_length=_MAX_CELL)]


class _TableRow(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    input: Annotated[str, Field(max_length=_MAX_CELL)]
    verdict: Verdict
    holder: _Cell = None
    issuer: _Cell = None
    issuerId: _Cell = None
    course: _Cell = None
    issued: _Cell = None
    validUntil: _Cell = None
    credentialId: _Cell = None
    failedChecks: tuple[_Failed, ...] = Field(default=(), max_length=20)


def rows_from_table(text: str) -> list[BatchRow]:
    """The rows the results page embedded for its CSV download (see the module docstring).

    Raises:
        BadRequest: not a JSON list of rows, or over the bounds.
    """
    try:
        data = json.loads(text)
    except ValueError as err:
        raise BadRequest("the table to download is not JSON") from err
    if not isinstance(data, list):
        raise BadRequest("the table to download is not a list of rows")
    check_count(len(data))
    try:
        parsed = [_TableRow.model_validate(item) for item in data]
    except ValidationError as err:
        raise BadRequest("the table to download is malformed") from err
    return [
        BatchRow(
            input=r.input,
            verdict=r.verdict,
            holder=r.holder,
            issuer=r.issuer,
            issuer_id=r.issuerId,
            course=r.course,
            issued=r.issued,
            valid_until=r.validUntil,
            credential_id=r.credentialId,
            failed=tuple(FailedCheck(f.id, f.status, f.message) for f in r.failedChecks),
        )
        for r in parsed
    ]


__all__ = [
    "MAX_BATCH_INPUTS",
    "BatchVerifyRequest",
    "NoInputs",
    "TooManyInputs",
    "check_count",
    "named_sources",
    "rows_from_table",
    "uploaded_sources",
    "verify_many",
]
