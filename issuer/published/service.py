"""The documents this service publishes, as the exact bytes it serves, with their ETags.

The public routes (:mod:`issuer.published.api`) answer with these, and the service's own
verifier (:mod:`issuer.verification.service`) reads them in process, so both see the same bytes
and the same validators. Each read selects only the columns it needs:

- a status list is its stored signed text and ETag (``status_list.document`` / ``etag``);
- a credential's JSON and JWT are stored as issued and never change; its PNG, SVG and QR
  forms are drawn once and kept per worker (bounded), their ETag derived from the
  stored JSON, so a revalidation is answered without drawing anything;
- a DID document or JWKS is built from the issuer's key rows; the ids and states of
  those keys are read on every request and name the cached rendering, so a rotation or
  a compromise is served at once by every worker.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, bindparam
from sqlalchemy import select as core_select
from sqlalchemy.sql import Executable
from sqlmodel import Session, col, select

from badges.bake import bake_png, bake_svg
from badges.image import default_badge_png, default_badge_svg
from badges.qr import qr_png, qr_svg
from badges.summary import CredentialSummary
from issuer.achievements.artwork import artwork_png, artwork_svg
from issuer.caches import BoundedCache
from issuer.config import Settings
from issuer.errors import NotFound
from issuer.issuers import signing
from issuer.issuers.service import PLATFORM_SLUG
from issuer.models import Achievement, Credential, Issuer, SigningKey, StatusList, parse_id
from issuer.prepared import PreparedRead
from keys import KeyState

CREDENTIAL_JSON = "application/vc+ld+json"
# An issued credential's bytes never change (its status lives in the status list).
IMMUTABLE = "public, max-age=31536000, immutable"
# Images and DID documents are derived by code; a change of how they are drawn or built
# changes this, and so every derived ETag.
_RENDERING = b"baeji-published/1"
CREDENTIAL_FORMS = ("json", "jwt", "png", "svg", "qr.png", "qr.svg")


@dataclass(frozen=True)
class Published:
    """One published document: its ETag (unquoted, strong), type, caching and bytes.

    ``render`` makes the bytes; call it only when they are sent (a request whose
    ``If-None-Match`` matches ``etag`` needs none).
    """

    etag: str
    content_type: str
    cache_control: str
    render: Callable[[], bytes]
    filename: str | None = None


@dataclass(frozen=True)
class Caches:
    """What one worker keeps of rendered documents (bounded in entries and time).

    ``credentials`` holds issued credentials' stored text (JSON or JWT) and achievement
    id by (credential id, form): an issued credential's bytes never change and a
    credential is never deleted, so an entry needs no validation.
    """

    key_documents: BoundedCache[tuple[str, bytes]]
    images: BoundedCache[bytes]
    credentials: BoundedCache[tuple[str, str]] = field(
        default_factory=lambda: BoundedCache(512, 3600.0)
    )

    @classmethod
    def make(cls) -> Caches:
        """The default bounds: a few hundred DID documents, 256 images (about 10 MB), 512
        credentials' texts (a few MB)."""
        return cls(BoundedCache(512, 3600.0), BoundedCache(256, 3600.0))


def caches_of(state: dict[str, Any]) -> Caches:
    """The worker's caches, kept in the app's extension state (``app.extensions["issuer"]``)."""
    found = state.get("published")
    if not isinstance(found, Caches):
        found = state["published"] = Caches.make()
    return found


def _tag(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()[:32]


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _rows(session: Session, statement: Executable, params: dict[str, Any]) -> Sequence[Any]:
    """The rows of a prebuilt Core ``statement``.

    A published document is one indexed SELECT: run without the ORM (no unit of work, no
    per-call statement building), on the session's open transaction if it has one (so a
    caller inside a write sees its own changes), else on a pooled connection of its own.
    """
    bind = session.get_bind()
    if session.in_transaction() or not isinstance(bind, Engine):
        return session.connection().execute(statement, params).all()
    with bind.connect() as connection:
        return connection.execute(statement, params).all()


def _first(session: Session | Engine, read: PreparedRead, **params: Any) -> Any:
    found = read.rows(session, **params)
    return found[0] if found else None


# Built once: per request only the parameter changes.
_STATUS_LIST = PreparedRead(
    core_select(col(StatusList.document), col(StatusList.etag)).where(
        col(StatusList.id) == bindparam("list_id")
    )
)
_STATUS_LIST_ETAGS = core_select(col(StatusList.id), col(StatusList.etag)).where(
    col(StatusList.id).in_(bindparam("list_ids", expanding=True))
)
_ISSUER_KEYS = PreparedRead(
    core_select(col(Issuer.id), col(Issuer.did), col(SigningKey.key_id), col(SigningKey.state))
    .select_from(Issuer)
    .outerjoin(SigningKey, col(SigningKey.issuer_id) == col(Issuer.id))
    .where(col(Issuer.slug) == bindparam("slug"))
    .order_by(col(SigningKey.number))
)
_CREDENTIAL_FORMS: dict[str, PreparedRead] = {
    form: PreparedRead(
        core_select(col(column), col(Credential.achievement_id)).where(
            col(Credential.id) == bindparam("credential_id")
        )
    )
    for form, column in (("json", Credential.document), ("jwt", Credential.jwt))
}


# -- status lists ---------------------------------------------------------------------------


def status_list(session: Session | Engine, list_id: str, *, max_age: int) -> Published:
    """The signed status list credential, exactly as last signed (read with ``session``,
    or on the engine).

    Raises:
        NotFound: no such list.
    """
    found = (
        _first(session, _STATUS_LIST, list_id=list_id) if parse_id(list_id, "") == list_id else None
    )
    if found is None:
        raise NotFound(f"no status list {list_id!r}")
    document, etag = found
    return Published(
        etag.strip('"'),
        f"{CREDENTIAL_JSON}; charset=utf-8",
        f"public, max-age={max_age}",
        lambda: document.encode(),
    )


def status_list_etags(session: Session, list_ids: Sequence[str]) -> dict[str, str]:
    """The current ETags (unquoted) of the given lists."""
    rows = _rows(session, _STATUS_LIST_ETAGS, {"list_ids": list(list_ids)})
    return {list_id: etag.strip('"') for list_id, etag in rows}


# -- DID documents and JWKS -----------------------------------------------------------------


def _issuer_keys(
    session: Session | Engine, slug: str | None
) -> tuple[int, str, tuple[tuple[str, str], ...]]:
    """(pk, DID, (key id, state) of each key in order) of the issuer with ``slug``, in one
    query; ``None`` is the platform's identity.

    Raises:
        NotFound: no such issuer (or no platform identity yet).
    """
    wanted = PLATFORM_SLUG if slug is None else slug
    rows = _ISSUER_KEYS.rows(session, slug=wanted)
    if not rows or rows[0][0] is None or slug == PLATFORM_SLUG:
        if slug is None:
            raise NotFound("the platform has no identity yet (run 'baeji init')")
        raise NotFound(f"no issuer {slug!r}")
    states = tuple((key_id, state) for _, _, key_id, state in rows if key_id is not None)
    return rows[0][0], rows[0][1], states


def _all_key_states(session: Session) -> tuple[tuple[str, str], ...]:
    """(key id, state) of every issuer's keys, in order."""
    query = select(SigningKey.key_id, SigningKey.state).order_by(
        col(SigningKey.issuer_id), col(SigningKey.number)
    )
    return tuple((key_id, state) for key_id, state in session.exec(query).all())


def _keyed_document(
    caches: Caches,
    what: str,
    session: Session | Engine,
    issuer_id: int | None,
    states: tuple[tuple[str, str], ...],
    build: Callable[[list[SigningKey]], Any],
) -> tuple[str, bytes]:
    """(ETag, bytes) of a document built from key rows, cached under the keys' states."""
    key = (what, issuer_id, states)

    def make() -> tuple[str, bytes]:
        query = select(SigningKey).order_by(col(SigningKey.issuer_id), col(SigningKey.number))
        if issuer_id is not None:
            query = query.where(SigningKey.issuer_id == issuer_id)
        else:
            query = query.where(SigningKey.state != KeyState.REVOKED.value)
        if isinstance(session, Engine):
            with Session(session) as own:
                body = _json_bytes(build(list(own.exec(query).all())))
        else:
            body = _json_bytes(build(list(session.exec(query).all())))
        return _tag(_RENDERING, body), body

    return caches.key_documents.get_or_make(key, make)


def did_document(
    session: Session | Engine, caches: Caches, slug: str | None, *, max_age: int
) -> Published:
    """The DID document of the issuer ``slug`` (``None``: the platform's), read with
    ``session`` or on the engine.

    Raises:
        NotFound: no such issuer (or no platform identity yet).
    """
    issuer_id, did, states = _issuer_keys(session, slug)
    etag, body = _keyed_document(
        caches,
        "did",
        session,
        issuer_id,
        states,
        lambda rows: signing.did_document_of(did, rows),
    )
    return Published(
        etag, "application/did+json; charset=utf-8", f"public, max-age={max_age}", lambda: body
    )


def jwks(session: Session, caches: Caches, slug: str | None, *, max_age: int) -> Published:
    """The JWK Set of the issuer ``slug``, or the platform's JWKS of every issuer (``None``).

    Raises:
        NotFound: no such issuer.
    """
    if slug is None:
        issuer_id, states = None, _all_key_states(session)
    else:
        issuer_id, _, states = _issuer_keys(session, slug)
    etag, body = _keyed_document(
        caches, "jwks", session, issuer_id, states, lambda rows: {"keys": signing.jwks(rows)}
    )
    return Published(
        etag,
        "application/jwk-set+json; charset=utf-8",
        f"public, max-age={max_age}",
        lambda: body,
    )


# -- credentials ----------------------------------------------------------------------------


def credential(
    session: Session | Engine, settings: Settings, caches: Caches, ref: str, form: str
) -> Published:
    """One stored form of a credential: ``json``, ``jwt``, ``png``, ``svg``, ``qr.png`` or
    ``qr.svg``.

    Takes the session (or engine) and settings, not a :class:`~issuer.db.Work`: the ``.json``
    and ``.jwt`` forms are served in front of Flask (:mod:`issuer.published.direct`), where a
    unit of work would open a session and read the clock for a read that needs neither.

    Raises:
        NotFound: no such credential, or no such form.
    """
    if form not in CREDENTIAL_FORMS:
        raise NotFound(f"no {form!r} form of a credential; use .json, .jwt, .png or .svg")
    credential_id = parse_id(ref, settings.url("credentials") + "/")
    stored_form = "jwt" if form == "jwt" else "json"
    key = (credential_id, stored_form)
    found = caches.credentials.get(key) if credential_id else None
    if found is None and credential_id:
        row = _first(session, _CREDENTIAL_FORMS[stored_form], credential_id=credential_id)
        if row is not None:
            found = (str(row[0]), str(row[1]))
            caches.credentials.put(key, found)
    if found is None or credential_id is None:
        raise NotFound(f"no credential {ref!r}")
    text, achievement_id = found
    data = text.encode()
    base = f"badge-{credential_id}"
    if form == "json":
        return Published(
            _tag(data),
            f"{CREDENTIAL_JSON}; charset=utf-8",
            IMMUTABLE,
            lambda: data,
            f"{base}.json",
        )
    if form == "jwt":
        return Published(
            _tag(data), "text/plain; charset=utf-8", IMMUTABLE, lambda: data, f"{base}.jwt"
        )
    url = settings.url("credentials", credential_id)
    artwork = _artwork(session, achievement_id) if form in ("png", "svg") else None
    # The provider may replace the artwork; the drawn forms change with it.
    art = (artwork[0], artwork[1].encode()) if artwork else ()
    etag = _tag(_RENDERING, form.encode(), data, *art)
    draw: Callable[[], bytes]
    if form == "png":
        content_type, filename = "image/png", f"{base}.png"

        def draw() -> bytes:
            own = artwork_png(*artwork) if artwork else None
            if own is None:
                name, issuer_name = _names(text)
                own = _badge_png(caches, name, issuer_name, achievement_id)
            return bake_png(own, text)
    elif form == "svg":
        content_type, filename = "image/svg+xml", f"{base}.svg"

        def draw() -> bytes:
            name, issuer_name = _names(text)
            if artwork:
                svg = artwork_svg(*artwork, title=name)
            else:
                svg = default_badge_svg(name, issuer_name=issuer_name, seed=achievement_id)
            return bake_svg(svg, text)
    elif form == "qr.png":
        content_type, filename = "image/png", None

        def draw() -> bytes:
            return qr_png(url)
    else:
        content_type, filename = "image/svg+xml", None

        def draw() -> bytes:
            return qr_svg(url)

    return Published(
        etag,
        content_type,
        IMMUTABLE,
        lambda: caches.images.get_or_make(etag, draw),
        filename,
    )


def _badge_png(caches: Caches, name: str, issuer_name: str | None, seed: str) -> bytes:
    # Drawing takes ~100 ms and depends only on these; baking is cheap.
    return caches.images.get_or_make(
        ("badge", name, issuer_name, seed),
        lambda: default_badge_png(name, issuer_name=issuer_name, seed=seed),
    )


def _artwork(session: Session | Engine, achievement_id: str) -> tuple[bytes, str] | None:
    """The provider's stored artwork of the achievement (bytes, media type), if any."""
    query = select(Achievement.image, Achievement.image_type).where(
        Achievement.id == achievement_id
    )
    if isinstance(session, Engine):
        with Session(session) as own:
            found = own.exec(query).first()
    else:
        found = session.exec(query).first()
    if found is None or found[0] is None or found[1] is None:
        return None
    return found[0], found[1]


def _names(text: str) -> tuple[str, str | None]:
    """The course and issuer names a drawn badge shows, read once from the stored JSON."""
    summary = CredentialSummary.of(json.loads(text))
    return summary.achievement_name or "Badge", summary.issuer_name
