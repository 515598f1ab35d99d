"""One reader of a credential: what pages, the CLI and the API show of it.

A credential may come from anywhere (an upload, a QR code, another issuer), so everything
is read defensively: a value of the wrong JSON type is left out, never an error, and a
field that the standards allow as one object or an array (``type``, ``credentialSubject``,
``credentialStatus``, ``evidence``…) is always read through :func:`as_list`. Dates are
parsed once, by :func:`parse_datetime`, the one date parser of Baeji.

Open Badges 3.0 ``OpenBadgeCredential``/``AchievementCredential``, CLR 2.0
``ClrCredential``, endorsements and the older VC 1.1 names (``issuanceDate``,
``expirationDate``) are all read; this module never says whether a credential is genuine
(that is :mod:`verify`), only what it claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "CredentialSummary",
    "ResultSummary",
    "as_list",
    "http_link",
    "parse_datetime",
    "validity_state",
]

# A date-time string longer than this is not one (bounds the work spent on an upload).
_MAX_DATETIME_LENGTH = 40
# Longer links are not shown (no browser needs them, and they would only stretch a page).
_MAX_LINK_LENGTH = 2048


def as_list(value: Any) -> list[Any]:
    """A JSON value as a list: absent is empty, a single value a list of one."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def validity_state(valid_from: datetime | None, valid_until: datetime | None, now: datetime) -> str:
    """Where ``now`` falls in a validity period: ``valid``, ``not-yet-valid`` or ``expired``.

    The one rule of Baeji for "current": valid from ``valid_from`` (inclusive) until
    ``valid_until`` (exclusive); a missing end never expires. Credentials read here, the
    issuer's stored rows and the wallet all decide with it.
    """
    if valid_until is not None and valid_until <= now:
        return "expired"
    if valid_from is not None and valid_from > now:
        return "not-yet-valid"
    return "valid"


def http_link(value: Any) -> str | None:
    """``value`` as a link a page may show: an http(s) URL, else ``None``.

    A credential from an upload may carry ``javascript:`` or ``data:`` URLs; pages link
    only to the web.
    """
    text = _text(value)
    if text is None or len(text) > _MAX_LINK_LENGTH:
        return None
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in ("http", "https") else None


def parse_datetime(value: Any, *, assume_utc: bool = False) -> datetime:
    """Parse an XML Schema dateTime (``2026-03-01T09:00:00Z``, ``…+09:00``).

    Args:
        assume_utc: read a date-time without a timezone as UTC (for showing dates of
            older credentials); by default a timezone is required, as OB 3.0's
            dateTimeStamp requires.

    Raises:
        ValueError: not a string, not a date-time, or (unless ``assume_utc``) no timezone.
    """
    if not isinstance(value, str):
        raise ValueError(f"not a date-time: {value!r}")
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        if not assume_utc:
            raise ValueError(f"date-time without a timezone: {value!r}")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _when(value: Any) -> datetime | None:
    if isinstance(value, str) and len(value) > _MAX_DATETIME_LENGTH:
        return None
    try:
        return parse_datetime(value, assume_utc=True)
    except ValueError:
        return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _value(value: Any) -> str | None:
    """A result's value: text, or a number written as text (``92.5``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return _text(value)


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(text for item in as_list(value) if (text := _text(item)) is not None)


def _mappings(value: Any) -> tuple[Mapping[str, Any], ...]:
    return tuple(item for item in as_list(value) if isinstance(item, Mapping))


def _image_id(value: Any) -> str | None:
    return _text(value) or _text(_mapping(value).get("id"))


@dataclass(frozen=True)
class ResultSummary:
    """One result the learner achieved, with the result description it answers, if any.

    ``description`` is that description's name, ``result_type`` its type and ``required``
    its required value or level.
    """

    value: str | None
    status: str | None
    achieved_level: str | None
    description: str | None
    result_type: str | None = None
    required: str | None = None


@dataclass(frozen=True)
class CredentialSummary:
    """What a credential says, read once: see :meth:`of`."""

    id: str | None
    types: tuple[str, ...]
    name: str | None
    issuer_id: str | None
    issuer_name: str | None
    issuer_url: str | None
    issuer_logo: str | None
    holder_id: str | None
    holder_name: str | None
    achievement_id: str | None
    achievement_name: str | None
    achievement_description: str | None
    achievement_type: str | None
    criteria: str | None
    criteria_url: str | None
    alignments: tuple[Mapping[str, Any], ...]
    tags: tuple[str, ...]
    field_of_study: str | None
    human_code: str | None
    credits: float | None
    credits_available: float | None
    term: str | None
    results: tuple[ResultSummary, ...]
    evidence: tuple[Mapping[str, Any], ...]
    valid_from: datetime | None
    valid_until: datetime | None
    awarded: datetime | None
    activity_start: datetime | None
    activity_end: datetime | None
    status: tuple[Mapping[str, Any], ...]
    endorsement_count: int
    description: str | None

    @classmethod
    def of(cls, credential: Mapping[str, Any]) -> CredentialSummary:
        """Read ``credential`` (any JSON object; nothing it holds raises)."""
        credential = _mapping(credential)
        raw_issuer = credential.get("issuer")
        issuer = _mapping(raw_issuer)
        subjects = as_list(credential.get("credentialSubject"))
        subject = _mapping(subjects[0]) if subjects else {}
        achievement = _mapping(subject.get("achievement"))
        criteria = _mapping(achievement.get("criteria"))
        described = {
            text: item
            for item in _mappings(achievement.get("resultDescription"))
            if (text := _text(item.get("id"))) is not None
        }
        results = []
        for item in _mappings(subject.get("result")):
            description = _mapping(described.get(_text(item.get("resultDescription")) or ""))
            results.append(
                ResultSummary(
                    value=_value(item.get("value")),
                    status=_text(item.get("status")),
                    achieved_level=_text(item.get("achievedLevel")),
                    description=_text(description.get("name")),
                    result_type=_text(description.get("resultType")),
                    required=_value(
                        description.get("requiredValue") or description.get("requiredLevel")
                    ),
                )
            )
        return cls(
            id=_text(credential.get("id")),
            types=_texts(credential.get("type")),
            name=_text(credential.get("name")),
            issuer_id=_text(issuer.get("id")) if issuer else _text(raw_issuer),
            issuer_name=_text(issuer.get("name")),
            issuer_url=_text(issuer.get("url")),
            issuer_logo=_image_id(issuer.get("image")),
            holder_id=_text(subject.get("id")),
            holder_name=_text(subject.get("name")),
            achievement_id=_text(achievement.get("id")),
            achievement_name=_text(achievement.get("name")),
            achievement_description=_text(achievement.get("description")),
            achievement_type=_text(achievement.get("achievementType")),
            criteria=_text(criteria.get("narrative")),
            criteria_url=_text(criteria.get("id")),
            alignments=_mappings(achievement.get("alignment")),
            tags=_texts(achievement.get("tag")),
            field_of_study=_text(achievement.get("fieldOfStudy")),
            human_code=_text(achievement.get("humanCode")),
            credits=_number(subject.get("creditsEarned")),
            credits_available=_number(achievement.get("creditsAvailable")),
            term=_text(subject.get("term")),
            results=tuple(results),
            evidence=_mappings(credential.get("evidence")),
            valid_from=_when(credential.get("validFrom") or credential.get("issuanceDate")),
            valid_until=_when(credential.get("validUntil") or credential.get("expirationDate")),
            awarded=_when(credential.get("awardedDate")),
            activity_start=_when(subject.get("activityStartDate")),
            activity_end=_when(subject.get("activityEndDate")),
            status=_mappings(credential.get("credentialStatus")),
            endorsement_count=len(_mappings(credential.get("endorsement")))
            + len(as_list(credential.get("endorsementJwt"))),
            description=_text(credential.get("description")),
        )

    @property
    def title(self) -> str | None:
        """What to call the credential: the achievement's name, else the credential's."""
        return self.achievement_name or self.name

    @property
    def kind(self) -> str:
        """``record`` (a CLR), ``badge`` (OB 3.0 or 2.0) or ``other``."""
        if "ClrCredential" in self.types:
            return "record"
        if set(self.types) & {"OpenBadgeCredential", "AchievementCredential", "Assertion"}:
            return "badge"
        return "other"

    def is_current(self, now: datetime) -> bool:
        """Whether ``now`` is inside the validity period the credential claims.

        Revocation and suspension are not claims of the credential: the verifier's
        status check (or the issuer's own records) decides those.
        """
        return validity_state(self.valid_from, self.valid_until, now) == "valid"
