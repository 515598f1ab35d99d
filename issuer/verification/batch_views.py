"""The ``/verify`` page with several files: one table row per file, and its CSV download.

:func:`batch_page` is what ``/verify`` answers when more than one file is uploaded;
``POST /verify/table.csv`` turns the table the page shows back into a CSV (see
:mod:`issuer.verification.batch` for why the rows travel in a hidden field). Nothing is stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import FileStorage

from issuer.pages import page_language, render_page
from issuer.verification.batch import rows_from_table, uploaded_sources, verify_many
from verify import Verdict
from verify.batch import rows_to_csv, summarize

bp = Blueprint("verify_table", __name__)

_TONES = {Verdict.VALID: "good", Verdict.UNVERIFIABLE: "warn"}


def batch_page(files: Sequence[FileStorage]) -> Response:
    """Verify every uploaded file and show the table (the ``/verify`` page's answer)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    lang = page_language()
    rows = verify_many(app, list(uploaded_sources(files)), lang=lang)
    table = json.dumps([r.to_dict(lang) for r in rows], ensure_ascii=False)
    response = render_page(
        "service/verify_batch.html",
        rows=rows,
        tones={v.value: _TONES.get(v, "bad") for v in Verdict},
        summary=summarize(rows),
        verdicts=list(Verdict),
        table=table,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/verify/table.csv")
def table_csv() -> Response:
    """The table the results page showed, as a CSV file (UTF-8 with BOM, formula-safe)."""
    rows = rows_from_table(request.form.get("table", ""))
    response = Response(
        rows_to_csv(rows, page_language()).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
    )
    response.headers["Content-Disposition"] = 'attachment; filename="baeji-verification.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
