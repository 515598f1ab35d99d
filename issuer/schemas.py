"""Request and response models of the HTTP API; the OpenAPI document is generated from them.

JSON members are camelCase in the OB 3.0 vocabulary (``achievementType``, ``validFrom``),
Python attributes snake_case. Every text field is NFC-normalized, trimmed, length-limited
and free of control characters, so Korean text typed on any system compares equal and a
bad value is a 422 naming the field, never a database error.

This module is over 400 lines on purpose: every feature's wire shapes share the same
field types and validators (NFC text, image references, camelCase aliases), and the
OpenAPI document (:mod:`issuer.openapi`) names each model once. Split it per feature
(``<feature>/schemas.py`` over a small shared ``fields`` module) when a feature's shapes
grow on their own.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    model_validator,
)
from pydantic.alias_generators import to_camel

from badges import format_datetime

# Bidirectional overrides let a name display as something else ("Trojan Source");
# they have no place in names, titles or reasons.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# The OB 3.0 JSON Schema's own pattern for inLanguage: a tag it refuses would make every
# badge of the achievement fail validation at signing (schema-violation), so the API refuses
# it when the achievement is saved.
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
_EMAIL_LOCAL = re.compile(r"^[^\s@\"(),:;<>\[\\\]]{1,64}$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[^\s@\"(),:;<>\[\\\]/.]{1,63}(?<!-)$")
_ACHIEVEMENT_TYPES = frozenset(
    [
        "Achievement",
        "ApprenticeshipCertificate",
        "Assessment",
        "Assignment",
        "AssociateDegree",
        "Award",
        "Badge",
        "BachelorDegree",
        "Certificate",
        "CertificateOfCompletion",
        "Certification",
        "CommunityService",
        "Competency",
        "Course",
        "CoCurricular",
        "Degree",
        "Diploma",
        "DoctoralDegree",
        "Fieldwork",
        "GeneralEducationDevelopment",
        "JourneymanCertificate",
        "LearningProgram",
        "License",
        "Membership",
        "ProfessionalDoctorate",
        "QualityAssuranceCredential",
        "MasterCertificate",
        "MasterDegree",
        "MicroCredential",
        "ResearchDoctorate",
        "SecondarySchoolDiploma",
    ]
)
# OB 3.0 AlignmentTargetType (an EnumExt: these values or an ``ext:`` term), exactly as the
# bundled 1EdTech schema lists them ($defs/Alignment/properties/targetType).
_ALIGNMENT_TARGET_TYPES = frozenset(
    {
        "ceasn:Competency",
        "ceterms:Credential",
        "CFItem",
        "CFRubric",
        "CFRubricCriterion",
        "CFRubricCriterionLevel",
        "CTDL",
    }
)
_EXTENSION_TERM = re.compile(r"^ext:[A-Za-z0-9._-]{1,60}$")


def _normalize(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return value


def _check_text(value: str, *, multiline: bool) -> str:
    if not value:
        raise ValueError("must not be empty")
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            raise ValueError("contains an unpaired surrogate")
        if category == "Cc" and not (multiline and char in "\n\r\t"):
            raise ValueError("contains control characters")
        if char in _BIDI_CONTROLS:
            raise ValueError("contains bidirectional override characters")
    return value


def _single_line(value: str) -> str:
    return _check_text(value, multiline=False)


def _multiline(value: str) -> str:
    return _check_text(value, multiline=True)


def _check_url(value: str) -> str:
    _single_line(value)
    if any(c.isspace() for c in value):
        raise ValueError("a URL cannot contain spaces")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL")
    return value


def _check_email(value: str) -> str:
    _single_line(value)
    local, sep, domain = value.rpartition("@")
    labels = domain.split(".")
    if (
        not sep
        or not _EMAIL_LOCAL.match(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or len(labels) < 2
        or not all(_DOMAIN_LABEL.match(label) for label in labels)
    ):
        raise ValueError("is not an email address")
    return value


def _check_language(value: str) -> str:
    if not _LANGUAGE_TAG.match(value):
        raise ValueError(
            "must be a language tag as OB 3.0 writes them: 'ko', 'en-US', 'zh-Hant-TW'"
        )
    return value


def _check_achievement_type(value: str) -> str:
    if value not in _ACHIEVEMENT_TYPES and not _EXTENSION_TERM.match(value):
        raise ValueError("must be an OB 3.0 AchievementType (e.g. 'Course') or 'ext:Name'")
    return value


def _check_alignment_target_type(value: str) -> str:
    if value not in _ALIGNMENT_TARGET_TYPES and not _EXTENSION_TERM.match(value):
        allowed = ", ".join(sorted(_ALIGNMENT_TARGET_TYPES, key=str.lower))
        raise ValueError(
            f"must be an OB 3.0 AlignmentTargetType ({allowed}) or 'ext:Name'; "
            f"{value!r} is not one (an alignment's type is not an achievement type)"
        )
    return value


# The validators refuse an empty (or all-space) text; the schema says so too.
_NON_EMPTY: dict[str, Any] = {"minLength": 1}

Name = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=200, json_schema_extra=_NON_EMPTY),
    AfterValidator(_single_line),
]
ShortText = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=100, json_schema_extra=_NON_EMPTY),
    AfterValidator(_single_line),
]
Tag = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=50, json_schema_extra=_NON_EMPTY),
    AfterValidator(_single_line),
]
Description = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=5000, json_schema_extra=_NON_EMPTY),
    AfterValidator(_multiline),
]
Narrative = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=10_000, json_schema_extra=_NON_EMPTY),
    AfterValidator(_multiline),
]
Reason = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=500, json_schema_extra=_NON_EMPTY),
    AfterValidator(_multiline),
]
Url = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=2048, json_schema_extra=_NON_EMPTY),
    AfterValidator(_check_url),
]


def _check_image_reference(value: str) -> str:
    if value.startswith("data:"):
        if any(c.isspace() for c in value[:200]):
            raise ValueError("a data: URI cannot contain spaces")
        return value
    if len(value) > 2048:
        raise ValueError("an image URL may be at most 2048 characters")
    return _check_url(value)


# An https URL (fetched once when saved) or a data: URI of a PNG, JPEG or SVG image; the
# image itself is checked by issuer.achievements.artwork (512 KiB at most, size and type
# checked).
ImageReference = Annotated[
    str,
    BeforeValidator(_normalize),
    # Bounded by the request size; issuer.achievements.artwork refuses long data: URIs
    # before decoding.
    Field(max_length=5 * 1024 * 1024, examples=["https://example.kr/badges/python.png"]),
    AfterValidator(_check_image_reference),
]
Email = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=254, json_schema_extra=_NON_EMPTY),
    AfterValidator(_check_email),
]
LanguageTag = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=35, json_schema_extra=_NON_EMPTY),
    AfterValidator(_check_language),
]
AchievementType = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=64, examples=["Course"], json_schema_extra=_NON_EMPTY),
    AfterValidator(_check_achievement_type),
]
AlignmentTargetType = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=64, examples=["CFItem", "ceasn:Competency", "ext:NCSUnit"]),
    AfterValidator(_check_alignment_target_type),
]
Reference = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=2048, json_schema_extra=_NON_EMPTY),
    AfterValidator(_single_line),
]
Timestamp = Annotated[datetime, PlainSerializer(format_datetime, return_type=str)]

EARLIEST_DATE = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_DATE = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def _sane_instant(value: datetime) -> datetime:
    """Refuse instants outside 1900-01-01 .. 9999-12-31 (UTC).

    No course was completed before 1900, and beyond 9999 a date has no four-digit year in
    XML Schema ``dateTime`` nor a JWT ``exp`` every verifier reads; both ends are
    almost always a typo (a two-digit year, a missing digit).
    """
    try:
        utc = value.astimezone(UTC)
    except OverflowError as err:
        raise ValueError("dates must lie between 1900-01-01 and 9999-12-31 (UTC)") from err
    if not EARLIEST_DATE <= utc <= LATEST_DATE:
        raise ValueError(
            f"{utc.year:04d}-{utc:%m-%d} is out of range: dates must lie between 1900-01-01"
            " and 9999-12-31 (UTC)"
        )
    return value


IssueDate = Annotated[AwareDatetime, AfterValidator(_sane_instant)]
JwtAlgorithm = Literal["RS256", "EdDSA"]
DuplicatesMode = Literal["reject", "allow", "replace"]
_DUPLICATES_HELP = (
    "what to do when the learner already holds an active (or suspended) badge of the "
    "achievement from this issuer: reject (default; nothing new, already-holds), allow "
    "(issue another, e.g. a retake) or replace (revoke the one held, reason 'replaced by "
    "<new id>', and issue this one, in one transaction)"
)


class ApiModel(BaseModel):
    """Base of every API model: camelCase JSON, unknown members refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
    )

    def to_json(self) -> dict[str, Any]:
        """Return the camelCase JSON form, without null members."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# -- errors ---------------------------------------------------------------------------------


class FieldError(ApiModel):
    """One invalid field."""

    field: str
    message: str


class RowError(ApiModel):
    """One invalid row of a batch: its 1-based number (``line`` in the CSV file)."""

    row: int
    line: int | None = None
    field: str
    message: str
    code: str | None = Field(
        default=None,
        description="a stable code for refusals a program may handle: recipient-name-missing, "
        "achievement-archived",
    )


class ExistingCredential(ApiModel):
    """A badge the learner already holds (``already-holds``)."""

    id: str = Field(description="the credential's URL")
    uuid: str
    status: Literal["active", "suspended"]
    issued_at: str = Field(description="when it was issued (UTC)")


class ErrorBody(ApiModel):
    """The body of every error response."""

    error: str = Field(examples=["not-found"])
    message: str
    errors: list[FieldError] | None = None
    rows: list[RowError] | None = None
    existing: ExistingCredential | None = Field(
        default=None, description="already-holds: the badge the learner already holds"
    )


# -- issuers -------------------------------------------------------------------------------


class IssuerCreate(ApiModel):
    """A training provider to register (operator CLI)."""

    slug: Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")] = Field(
        description="lower-case letters, digits and inner hyphens; part of the DID and URLs"
    )
    name: Name
    url: Url | None = None
    email: Email | None = None
    description: Description | None = None
    suspension: bool = Field(
        default=False,
        description="add a suspension status entry to every badge (credentialStatus becomes "
        "an array, which the OB 3.0 JSON Schema does not accept); off by default",
    )


# -- achievements ---------------------------------------------------------------------------


class CriteriaIn(ApiModel):
    """How the achievement is earned: a narrative, a URL, or both."""

    id: Url | None = None
    narrative: Narrative | None = None

    @model_validator(mode="after")
    def _one_of(self) -> CriteriaIn:
        if self.id is None and self.narrative is None:
            raise ValueError("criteria needs a narrative or an id (URL)")
        return self


class AlignmentIn(ApiModel):
    """A link to a competency framework entry, e.g. an NCS unit."""

    target_name: Name
    target_url: Url
    target_code: ShortText | None = None
    target_description: Description | None = None
    target_framework: Name | None = None
    target_type: AlignmentTargetType | None = None


_RESULT_TYPES = frozenset(
    {
        "GradePointAverage",
        "LetterGrade",
        "Percent",
        "PerformanceLevel",
        "PredictedScore",
        "RawScore",
        "Result",
        "RubricCriterion",
        "RubricCriterionLevel",
        "RubricScore",
        "ScaledScore",
        "Status",
    }
)
_RESULT_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,49}")


def _check_result_type(value: str) -> str:
    if value not in _RESULT_TYPES and not _EXTENSION_TERM.match(value):
        raise ValueError("must be an OB 3.0 ResultType (e.g. 'LetterGrade') or 'ext:Name'")
    return value


def _check_result_key(value: str) -> str:
    if not _RESULT_KEY.fullmatch(value):
        raise ValueError("use letters, digits, '-' and '_' (at most 50), e.g. 'grade'")
    return value


ResultKey = Annotated[str, BeforeValidator(_normalize), AfterValidator(_check_result_key)]


class ResultDescriptionIn(ApiModel):
    """What a result of this achievement means; results name it by ``id`` when issued."""

    id: ResultKey = Field(examples=["grade"])
    name: Name = Field(examples=["최종 평가 등급"])
    result_type: Annotated[str, AfterValidator(_check_result_type)] = Field(
        max_length=64, examples=["LetterGrade"]
    )
    allowed_value: list[ShortText] = Field(default_factory=list, max_length=20)
    required_value: ShortText | None = None


class AchievementCreate(ApiModel):
    """A new achievement (course) of the calling issuer."""

    name: Name = Field(examples=["파이썬 데이터 분석 기초"])
    description: Description
    criteria: CriteriaIn
    achievement_type: AchievementType = "Course"
    image: ImageReference | None = None
    tag: list[Tag] = Field(default_factory=list, max_length=20)
    alignment: list[AlignmentIn] = Field(default_factory=list, max_length=20)
    result_description: list[ResultDescriptionIn] = Field(default_factory=list, max_length=10)
    field_of_study: Name | None = None
    human_code: ShortText | None = None
    credits_available: float | None = Field(default=None, ge=0, le=10_000)
    in_language: LanguageTag | None = None
    version: ShortText | None = None
    builds_on: list[Reference] = Field(
        default_factory=list,
        max_length=20,
        description="achievements (uuid or URL id, of any issuer) this one builds on; "
        "learner records link each prerequisite to this achievement with a CLR 2.0 "
        "'precedes' association",
    )

    def to_document(self) -> dict[str, Any]:
        """Return the JSON stored with the achievement (links are kept in their own table)."""
        document = self.to_json()
        document.pop("buildsOn", None)
        return document


class AchievementUpdate(ApiModel):
    """A partial update; members left out keep their value. Issued badges never change."""

    name: Name | None = None
    description: Description | None = None
    criteria: CriteriaIn | None = None
    achievement_type: AchievementType | None = None
    image: ImageReference | None = None
    tag: list[Tag] | None = Field(default=None, max_length=20)
    alignment: list[AlignmentIn] | None = Field(default=None, max_length=20)
    result_description: list[ResultDescriptionIn] | None = Field(default=None, max_length=10)
    field_of_study: Name | None = None
    human_code: ShortText | None = None
    credits_available: float | None = Field(default=None, ge=0, le=10_000)
    in_language: LanguageTag | None = None
    version: ShortText | None = None
    builds_on: list[Reference] | None = Field(default=None, max_length=20)


class AchievementOut(AchievementCreate):
    """An achievement: ``id`` is its public URL (the ``achievement.id`` in badges)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    uuid: str
    issuer: str
    created_at: Timestamp
    updated_at: Timestamp
    archived_at: Timestamp | None = Field(
        default=None, description="set once archived: no new badges, hidden from listings"
    )


class AchievementList(ApiModel):
    """The calling issuer's achievements, newest first."""

    achievements: list[AchievementOut]


# -- credentials ----------------------------------------------------------------------------


class RecipientIn(ApiModel):
    """The learner; the email is hashed in the badge and never stored in clear."""

    email: Email = Field(examples=["minjun.kim@example.kr"])
    name: ShortText | None = Field(default=None, examples=["김민준"])


class EvidenceIn(ApiModel):
    """Work or a description that supports the award."""

    id: Url | None = None
    name: Name | None = None
    description: Description | None = None
    narrative: Narrative | None = None


ResultStatus = Literal[
    "Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew"
]


class ResultIn(ApiModel):
    """An assessment result: a value (a grade or score as text), a status, or both."""

    value: ShortText | None = Field(default=None, examples=["A+"])
    status: ResultStatus | None = Field(default=None, examples=["Completed"])
    result_description: ResultKey | None = Field(
        default=None,
        description="the id of one of the achievement's resultDescription entries",
        examples=["grade"],
    )

    @model_validator(mode="after")
    def _something(self) -> ResultIn:
        if self.value is None and self.status is None:
            raise ValueError("a result needs a value, a status, or both")
        return self


class _AwardFields(ApiModel):
    recipient: RecipientIn
    valid_from: IssueDate | None = None
    valid_until: IssueDate | None = None
    activity_start_date: IssueDate | None = None
    activity_end_date: IssueDate | None = None
    credits_earned: float | None = Field(default=None, ge=0, le=10_000)
    term: ShortText | None = None
    narrative: Narrative | None = None
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=10)
    result: list[ResultIn] = Field(default_factory=list, max_length=10)
    jwt_alg: JwtAlgorithm | None = Field(
        default=None, description="VC-JWT algorithm: RS256 (default, the OB 3.0 minimum) or EdDSA"
    )
    allow_anonymous: bool | None = Field(
        default=None,
        description="issue without the recipient's name; a badge without a name is refused "
        "unless this is true (for a batch, a row's value overrides the batch's)",
    )

    @model_validator(mode="after")
    def _windows(self) -> _AwardFields:
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("validUntil must be after validFrom")
        start, end = self.activity_start_date, self.activity_end_date
        if start and end and end < start:
            raise ValueError("activityEndDate must not be before activityStartDate")
        return self


class CredentialCreate(_AwardFields):
    """Issue one credential: which achievement, to whom."""

    achievement_id: ShortText = Field(
        description="the achievement's uuid or its URL id", examples=["3f0c..."]
    )
    duplicates: DuplicatesMode = Field(default="reject", description=_DUPLICATES_HELP)


class BatchRow(_AwardFields):
    """One row of a batch; ``achievementId`` defaults to the batch's."""

    achievement_id: ShortText | None = None

    @classmethod
    def of(cls, data: CredentialCreate) -> BatchRow:
        """Return ``data`` as a batch row, without validating it a second time.

        Every field of a row is a field of ``data`` under the same constraints (only
        ``achievementId`` is optional here), so the validated values carry over as they are.
        """
        values = {name: getattr(data, name) for name in cls.model_fields}
        return cls.model_construct(_fields_set=set(data.model_fields_set), **values)


class BatchOptions(ApiModel):
    """Defaults for every row of a batch."""

    achievement_id: ShortText | None = None
    jwt_alg: JwtAlgorithm | None = None
    allow_anonymous: bool = Field(
        default=False, description="issue rows without a recipient name (see the row field)"
    )
    duplicates: DuplicatesMode = Field(
        default="reject",
        description=_DUPLICATES_HELP + "; rejected rows are listed in 'skipped', the others "
        "are issued",
    )


class BatchCreate(BatchOptions):
    """Issue many credentials in one transaction: all rows or none.

    The body may also be a bare JSON list of rows, or ``text/csv`` (see the batch route).
    """

    credentials: list[BatchRow] = Field(min_length=1)


class BatchBody(RootModel[BatchCreate | Annotated[list[BatchRow], Field(min_length=1)]]):
    """The JSON body of a batch: a :class:`BatchCreate` object or a bare list of rows
    (documentation only: the batch route reads rows one by one to report each)."""


class IssuedCredential(ApiModel):
    """A credential as issued: the signed JSON, the VC-JWT and the learner's wallet link."""

    id: str = Field(description="the credential's URL (what its QR code carries)")
    uuid: str
    status: str
    credential: dict[str, Any]
    jwt: str
    wallet_url: str = Field(
        description="the learner's private wallet link, showing this issuer's badges only; "
        "hand it to the learner alone"
    )
    row: int | None = Field(default=None, description="batch: the 1-based row it was issued for")


class SkippedRow(ApiModel):
    """A batch row not issued: its learner already holds the badge (``duplicates: reject``)."""

    row: int = Field(description="1-based row number")
    line: int | None = Field(default=None, description="CSV/XLSX: the line in the file")
    code: Literal["already-holds"] = "already-holds"
    existing: ExistingCredential


class BatchIssued(ApiModel):
    """Every credential of a batch, in row order, and the rows skipped as already held."""

    count: int = Field(description="credentials issued")
    credentials: list[IssuedCredential]
    skipped_count: int = Field(default=0, description="rows skipped (already-holds)")
    skipped: list[SkippedRow] = Field(default_factory=list)
    ignored_columns: list[str] = Field(
        default_factory=list,
        description="CSV/XLSX: header names that match no column; their cells were not used",
    )


class CredentialOut(ApiModel):
    """A credential of the calling issuer, with its current status."""

    id: str
    uuid: str
    status: Literal["active", "suspended", "revoked"]
    achievement_id: str
    learner_id: str
    recipient_name: str | None = None
    issued_at: Timestamp
    valid_from: Timestamp
    valid_until: Timestamp | None = None
    revoked_at: Timestamp | None = None
    revocation_reason: str | None = None
    suspended_at: Timestamp | None = None
    suspension_reason: str | None = None
    credential: dict[str, Any] | None = None
    jwt: str | None = None


class CredentialList(ApiModel):
    """Credentials of one learner from the calling issuer."""

    learner_id: str
    credentials: list[CredentialOut]


CredentialStatus = Literal["active", "suspended", "revoked"]


class CredentialQuery(ApiModel):
    """Filters of the calling issuer's credential listing (every one optional, all must hold)."""

    name: ShortText | None = Field(
        default=None, description="part of the recipient's name, any case", examples=["민준"]
    )
    email: Email | None = Field(
        default=None, description="the learner's e-mail address (matched by its keyed hash)"
    )
    achievement_id: ShortText | None = Field(
        default=None, description="the achievement's uuid or URL id"
    )
    term: ShortText | None = Field(
        default=None, description="the cohort or term (기수/학기) exactly as issued"
    )
    issued_from: AwareDatetime | None = Field(
        default=None, description="issued at or after this instant"
    )
    issued_until: AwareDatetime | None = Field(
        default=None, description="issued before this instant"
    )
    status: CredentialStatus | None = None
    cursor: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="the nextCursor of the previous page"
    )
    limit: int = Field(default=50, ge=1, le=200, description="credentials per page")


class CredentialPage(ApiModel):
    """One page of the calling issuer's credentials, newest first."""

    credentials: list[CredentialOut]
    next_cursor: str | None = Field(
        default=None, description="pass as cursor for the next page; absent on the last page"
    )


class StatusChange(ApiModel):
    """Why the status changes (optional when lifting a suspension); recorded in the audit log."""

    reason: Reason | None = None
    public_reason: bool = Field(
        default=False,
        description="show the reason on the badge's public pages (default: kept private)",
    )


class StatusReason(StatusChange):
    """Why a credential is revoked or suspended (required); recorded in the audit log.

    The documented body of those two routes; :func:`issuer.credentials.service.change_status`
    refuses a missing reason with a message naming the action.
    """

    reason: Reason


# -- verification ---------------------------------------------------------------------------


def _exactly_one_source(schema: dict[str, Any]) -> None:
    """Say in the schema what ``_one_source`` checks: one of the two, not null, not both."""
    not_null = {"not": {"type": "null"}}
    schema["oneOf"] = [
        {
            "required": ["credential"],
            "properties": {"credential": not_null, "url": {"type": "null"}},
        },
        {"required": ["url"], "properties": {"url": not_null, "credential": {"type": "null"}}},
    ]


class VerifyRequest(ApiModel):
    """What to verify: exactly one of a credential (JSON object or compact JWT) or its URL."""

    model_config = ConfigDict(json_schema_extra=_exactly_one_source)

    credential: dict[str, Any] | Annotated[str, Field(max_length=1024 * 1024)] | None = None
    url: Url | None = None
    email: Email | None = Field(default=None, description="check the recipient's email")
    lang: Literal["ko", "en"] = "ko"

    @model_validator(mode="after")
    def _one_source(self) -> VerifyRequest:
        if (self.credential is None) == (self.url is None):
            raise ValueError("give exactly one of credential and url")
        return self


class CredentialDocument(BaseModel):
    """A credential itself, as JSON-LD (anything with an ``@context``), to verify."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    context: Any = Field(alias="@context")


class VerifyBody(RootModel[VerifyRequest | CredentialDocument]):
    """The JSON body of ``POST /api/v1/verify``: a request naming the credential, or the
    credential itself (documentation only: the route tells them apart by ``@context``)."""


# -- the calling issuer's own profile ---------------------------------------------------------


class IssuerUpdate(ApiModel):
    """A change to the calling issuer's profile; members left out keep their value."""

    logo: ImageReference | None = Field(
        default=None,
        description="an https URL (fetched once) or a data: URI of a PNG, JPEG or SVG logo, "
        "at most 512 KiB; null removes the logo",
    )


class IssuerProfileOut(ApiModel):
    """The calling issuer's public profile."""

    id: str
    slug: str
    name: str
    url: str | None = None
    email: str | None = None
    description: str | None = None
    logo: str | None = Field(default=None, description="the stored logo's stable URL")


# -- background jobs ----------------------------------------------------------------------------


class JobProgress(ApiModel):
    """How far a job is: ``done`` of ``total`` units (rows of a batch)."""

    done: int
    total: int | None = None


class JobOut(ApiModel):
    """A background job of the calling issuer: its state, progress and, when done, result."""

    id: int
    url: str = Field(description="this job's address (GET it until state is done or failed)")
    name: str = Field(description="what the job does, e.g. credentials.batch")
    state: Literal["queued", "running", "done", "failed"]
    attempts: int
    progress: JobProgress
    last_error: str | None = Field(
        default=None, description="the last failure's error code and message"
    )
    created_at: Timestamp
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    result: dict[str, Any] | None = Field(
        default=None,
        description="credentials.batch: the same members as the 201 answer of a small batch "
        "(count, credentials, skipped...), without the credentials' signed JSON and wallet "
        "links; partial while the job runs",
    )


class JobAccepted(ApiModel):
    """A batch too large for one request, accepted as a background job (202)."""

    job: JobOut


class JobList(ApiModel):
    """The calling issuer's newest jobs (results left out: GET each job for its result)."""

    jobs: list[JobOut]
