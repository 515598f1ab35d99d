"""Request and response models of the HTTP API; the OpenAPI document is generated from them.

JSON members are camelCase in the OB 3.0 vocabulary (``achievementType``, ``validFrom``),
Python attributes snake_case. Every text field is NFC-normalized, trimmed, length-limited
and free of control characters, so Korean text typed on any system compares equal and a
bad value is a 422 naming the field, never a database error.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
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
    model_validator,
)
from pydantic.alias_generators import to_camel

from badges import format_datetime

# Bidirectional overrides let a name display as something else ("Trojan Source");
# they have no place in names, titles or reasons.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
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
        raise ValueError("must be a BCP 47 language tag such as 'ko' or 'en-US'")
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


Name = Annotated[
    str, BeforeValidator(_normalize), Field(max_length=200), AfterValidator(_single_line)
]
ShortText = Annotated[
    str, BeforeValidator(_normalize), Field(max_length=100), AfterValidator(_single_line)
]
Tag = Annotated[
    str, BeforeValidator(_normalize), Field(max_length=50), AfterValidator(_single_line)
]
Description = Annotated[
    str, BeforeValidator(_normalize), Field(max_length=5000), AfterValidator(_multiline)
]
Narrative = Annotated[
    str, BeforeValidator(_normalize), Field(max_length=10_000), AfterValidator(_multiline)
]
Reason = Annotated[
    str, BeforeValidator(_normalize), Field(max_length=500), AfterValidator(_multiline)
]
Url = Annotated[
    str, BeforeValidator(_normalize), Field(max_length=2048), AfterValidator(_check_url)
]
Email = Annotated[
    str, BeforeValidator(_normalize), Field(max_length=254), AfterValidator(_check_email)
]
LanguageTag = Annotated[
    str, BeforeValidator(_normalize), Field(max_length=35), AfterValidator(_check_language)
]
AchievementType = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=64, examples=["Course"]),
    AfterValidator(_check_achievement_type),
]
AlignmentTargetType = Annotated[
    str,
    BeforeValidator(_normalize),
    Field(max_length=64, examples=["CFItem", "ceasn:Competency", "ext:NCSUnit"]),
    AfterValidator(_check_alignment_target_type),
]
Reference = Annotated[
    str, BeforeValidator(_normalize), Field(max_length=2048), AfterValidator(_single_line)
]
Timestamp = Annotated[datetime, PlainSerializer(format_datetime, return_type=str)]
JwtAlgorithm = Literal["RS256", "EdDSA"]


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


class ErrorBody(ApiModel):
    """The body of every error response."""

    error: str = Field(examples=["not-found"])
    message: str
    errors: list[FieldError] | None = None
    rows: list[RowError] | None = None


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


class AchievementCreate(ApiModel):
    """A new achievement (course) of the calling issuer."""

    name: Name = Field(examples=["파이썬 데이터 분석 기초"])
    description: Description
    criteria: CriteriaIn
    achievement_type: AchievementType = "Course"
    image: Url | None = None
    tag: list[Tag] = Field(default_factory=list, max_length=20)
    alignment: list[AlignmentIn] = Field(default_factory=list, max_length=20)
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
    image: Url | None = None
    tag: list[Tag] | None = Field(default=None, max_length=20)
    alignment: list[AlignmentIn] | None = Field(default=None, max_length=20)
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

    @model_validator(mode="after")
    def _something(self) -> ResultIn:
        if self.value is None and self.status is None:
            raise ValueError("a result needs a value, a status, or both")
        return self


class _AwardFields(ApiModel):
    recipient: RecipientIn
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    activity_start_date: AwareDatetime | None = None
    activity_end_date: AwareDatetime | None = None
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


class BatchRow(_AwardFields):
    """One row of a batch; ``achievementId`` defaults to the batch's."""

    achievement_id: ShortText | None = None


class BatchOptions(ApiModel):
    """Defaults for every row of a batch."""

    achievement_id: ShortText | None = None
    jwt_alg: JwtAlgorithm | None = None
    allow_anonymous: bool = Field(
        default=False, description="issue rows without a recipient name (see the row field)"
    )


class BatchCreate(BatchOptions):
    """Issue many credentials in one transaction: all rows or none.

    The body may also be a bare JSON list of rows, or ``text/csv`` (see the batch route).
    """

    credentials: list[BatchRow] = Field(min_length=1)


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


class BatchIssued(ApiModel):
    """Every credential of a batch, in row order."""

    count: int
    credentials: list[IssuedCredential]


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


class StatusChange(ApiModel):
    """Why the status changes; recorded in the audit log."""

    reason: Reason | None = None


# -- verification ---------------------------------------------------------------------------


class VerifyRequest(ApiModel):
    """What to verify: a credential (JSON object or compact JWT) or its URL."""

    credential: dict[str, Any] | Annotated[str, Field(max_length=1024 * 1024)] | None = None
    url: Url | None = None
    email: Email | None = Field(default=None, description="check the recipient's email")
    lang: Literal["ko", "en"] = "ko"

    @model_validator(mode="after")
    def _one_source(self) -> VerifyRequest:
        if (self.credential is None) == (self.url is None):
            raise ValueError("give exactly one of credential and url")
        return self
