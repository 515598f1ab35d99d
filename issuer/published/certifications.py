"""Certifications as published: the platform's signed EndorsementCredentials, as stored.

A certification's JSON and JWT never change (its revocation lives in the platform's status
list), so they are served as immutable, like issued credentials
(:mod:`issuer.published.service`), and read by the service's own verifier the same way.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import col

from issuer.certification.models import Certification
from issuer.db import Work
from issuer.errors import NotFound
from issuer.models import Issuer, parse_id
from issuer.prepared import PreparedRead
from issuer.published.service import CREDENTIAL_JSON, IMMUTABLE, Published, _first, _tag

_FORMS: dict[str, PreparedRead] = {
    form: PreparedRead(
        core_select(col(column), col(Issuer.slug))
        .select_from(Certification)
        .join(Issuer, col(Issuer.id) == col(Certification.issuer_id))
        .where(col(Certification.id) == bindparam("certification_id"))
    )
    for form, column in (("json", Certification.document), ("jwt", Certification.jwt))
}
FORMS = ("json", "jwt")


def certification(work: Work, ref: str, form: str) -> Published:
    """A certification's signed EndorsementCredential: ``json`` or ``jwt``, as stored.

    Raises:
        NotFound: no such certification, or no such form.
    """
    if form not in FORMS:
        raise NotFound(f"no {form!r} form of a certification; use .json or .jwt")
    certification_id = parse_id(ref, work.settings.url("certifications") + "/")
    row = (
        _first(work.session, _FORMS[form], certification_id=certification_id)
        if certification_id
        else None
    )
    if row is None:
        raise NotFound(f"no certification {ref!r}")
    data = str(row[0]).encode()
    base = f"certification-{certification_id}"
    if form == "jwt":
        return Published(
            _tag(data), "text/plain; charset=utf-8", IMMUTABLE, lambda: data, f"{base}.jwt"
        )
    return Published(
        _tag(data), f"{CREDENTIAL_JSON}; charset=utf-8", IMMUTABLE, lambda: data, f"{base}.json"
    )


def certification_provider(work: Work, ref: str) -> str:
    """The slug of the provider a certification is about (where people are sent).

    Raises:
        NotFound: no such certification.
    """
    certification_id = parse_id(ref, work.settings.url("certifications") + "/")
    row = (
        _first(work.session, _FORMS["json"], certification_id=certification_id)
        if certification_id
        else None
    )
    if row is None:
        raise NotFound(f"no certification {ref!r}")
    return str(row[1])
