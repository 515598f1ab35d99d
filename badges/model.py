"""Frozen types for the Open Badges 3.0 and CLR 2.0 classes Baeji issues.

Python attributes are snake_case with camelCase JSON aliases (``valid_from`` ↔
``validFrom``). :meth:`JsonModel.to_json` gives the plain-JSON binding of OB 3.0
("Serialization"): null values and empty arrays omitted, every ``type`` an array except
``IdentityObject`` and ``Image`` whose ``type`` is a single string.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

from badges.context import CLR_CONTEXTS, OB_CONTEXTS


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return value.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """Format a timezone-aware datetime as an XML Schema dateTimeStamp in UTC, to the second.

    The year always has four digits (XML Schema ``dateTime``: "0999", never "999"); the C
    library's ``%Y`` does not pad, so the year is formatted here.
    """
    utc = _require_utc(value)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"


DateTimeZ = Annotated[datetime, AfterValidator(_require_utc), PlainSerializer(format_datetime)]


class JsonModel(BaseModel):
    """Base: frozen, camelCase aliases, unknown JSON members kept on parse."""

    model_config = ConfigDict(
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        ser_json_inf_nan="strings",
    )

    def to_json(self) -> dict[str, Any]:
        """Return the plain-JSON form: camelCase, no nulls, no empty arrays."""
        pruned: dict[str, Any] = _prune(
            self.model_dump(by_alias=True, exclude_none=True, mode="json")
        )
        return pruned

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Any:
        """Parse the plain-JSON form."""
        return cls.model_validate(data)


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _contexts(urls: tuple[str, ...]) -> Any:
    return Field(alias="@context", default_factory=lambda: list(urls))


def _types(*names: str) -> Any:
    return Field(default_factory=lambda: list(names))


class Image(JsonModel):
    """OB 3.0 Image: ``id`` is a URL or a ``data:`` URI."""

    id: str
    type: Literal["Image"] = "Image"
    caption: str | None = None


class Criteria(JsonModel):
    """How the achievement is earned."""

    id: str | None = None
    narrative: str | None = None


class Alignment(JsonModel):
    """A link to a competency framework entry (e.g. the Korean NCS)."""

    type: list[str] = _types("Alignment")
    target_name: str
    target_url: str
    target_code: str | None = None
    target_description: str | None = None
    target_framework: str | None = None
    target_type: str | None = None


class ResultDescription(JsonModel):
    """What a Result of this achievement means (grade, score, status...)."""

    id: str
    type: list[str] = _types("ResultDescription")
    name: str
    result_type: str
    allowed_value: list[str] = Field(default_factory=list)
    required_value: str | None = None
    value_min: str | None = None
    value_max: str | None = None
    alignment: list[Alignment] = Field(default_factory=list)


class Profile(JsonModel):
    """An issuer, creator or endorser."""

    id: str
    type: list[str] = _types("Profile")
    name: str | None = None
    url: str | None = None
    email: str | None = None
    phone: str | None = None
    description: str | None = None
    image: Image | None = None


class Achievement(JsonModel):
    """The course or accomplishment a badge certifies."""

    id: str
    type: list[str] = _types("Achievement")
    name: str
    description: str
    criteria: Criteria
    achievement_type: str | None = None
    alignment: list[Alignment] = Field(default_factory=list)
    credits_available: float | None = None
    field_of_study: str | None = None
    human_code: str | None = None
    image: Image | None = None
    in_language: str | None = None
    result_description: list[ResultDescription] = Field(default_factory=list)
    tag: list[str] = Field(default_factory=list)
    version: str | None = None
    creator: Profile | None = None


class IdentityObject(JsonModel):
    """A (hashed) recipient identifier."""

    type: Literal["IdentityObject"] = "IdentityObject"
    hashed: bool
    identity_hash: str
    identity_type: str
    salt: str | None = None


class Result(JsonModel):
    """An assessment result of the learner."""

    type: list[str] = _types("Result")
    result_description: str | None = None
    value: str | None = None
    status: str | None = None
    achieved_level: str | None = None
    alignment: list[Alignment] = Field(default_factory=list)


class Evidence(JsonModel):
    """Work or a description that supports the award."""

    type: list[str] = _types("Evidence")
    id: str | None = None
    narrative: str | None = None
    name: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None


class AchievementSubject(JsonModel):
    """The learner, as the subject of an OpenBadgeCredential."""

    id: str | None = None
    type: list[str] = _types("AchievementSubject")
    achievement: Achievement
    identifier: list[IdentityObject] = Field(default_factory=list)
    result: list[Result] = Field(default_factory=list)
    activity_start_date: DateTimeZ | None = None
    activity_end_date: DateTimeZ | None = None
    credits_earned: float | None = None
    narrative: str | None = None
    term: str | None = None


class CredentialSchema(JsonModel):
    """A JSON Schema the credential validates against."""

    id: str
    type: str = "1EdTechJsonSchemaValidator2019"


class BitstringStatusListEntry(JsonModel):
    """A pointer into a Bitstring Status List (index as a base-10 string)."""

    id: str
    type: Literal["BitstringStatusListEntry"] = "BitstringStatusListEntry"
    status_purpose: str
    status_list_index: str
    status_list_credential: str


class Proof(JsonModel):
    """A Data Integrity proof."""

    type: str = "DataIntegrityProof"
    cryptosuite: str | None = None
    created: str | None = None
    verification_method: str | None = None
    proof_purpose: str | None = None
    proof_value: str | None = None


class _Credential(JsonModel):
    context: list[str | dict[str, Any]] = Field(alias="@context")
    id: str
    type: list[str]
    name: str | None = None
    description: str | None = None
    issuer: Profile
    valid_from: DateTimeZ
    valid_until: DateTimeZ | None = None
    credential_schema: list[CredentialSchema] = Field(default_factory=list)
    credential_status: list[BitstringStatusListEntry] | BitstringStatusListEntry | None = None
    proof: list[Proof] = Field(default_factory=list)


class EndorsementSubject(JsonModel):
    """What an endorsement speaks about."""

    id: str
    type: list[str] = _types("EndorsementSubject")
    endorsement_comment: str | None = None


class EndorsementCredential(_Credential):
    """A third party's endorsement of an achievement, profile or credential."""

    context: list[str | dict[str, Any]] = _contexts(OB_CONTEXTS)
    type: list[str] = _types("VerifiableCredential", "EndorsementCredential")
    name: str
    credential_subject: EndorsementSubject
    awarded_date: DateTimeZ | None = None


class OpenBadgeCredential(_Credential):
    """An Open Badges 3.0 credential (``AchievementCredential``)."""

    context: list[str | dict[str, Any]] = _contexts(OB_CONTEXTS)
    type: list[str] = _types("VerifiableCredential", "OpenBadgeCredential")
    image: Image | None = None
    awarded_date: DateTimeZ | None = None
    credential_subject: AchievementSubject
    evidence: list[Evidence] = Field(default_factory=list)
    endorsement: list[EndorsementCredential] = Field(default_factory=list)


class Association(JsonModel):
    """A relation between two achievements (CLR 2.0)."""

    type: Literal["Association"] = "Association"
    association_type: str
    source_id: str
    target_id: str


class ClrSubject(JsonModel):
    """The learner as the subject of a CLR: their credentials as issued."""

    id: str | None = None
    type: list[str] = _types("ClrSubject")
    identifier: list[IdentityObject] = Field(default_factory=list)
    achievement: list[Achievement] = Field(default_factory=list)
    verifiable_credential: list[dict[str, Any]]
    association: list[Association] = Field(default_factory=list)


class ClrCredential(_Credential):
    """A CLR 2.0 Comprehensive Learner Record."""

    context: list[str | dict[str, Any]] = _contexts(CLR_CONTEXTS)
    type: list[str] = _types("VerifiableCredential", "ClrCredential")
    name: str
    partial: bool | None = None
    awarded_date: DateTimeZ | None = None
    credential_subject: ClrSubject


class StatusList(JsonModel):
    """The subject of a BitstringStatusListCredential."""

    id: str
    type: Literal["BitstringStatusList"] = "BitstringStatusList"
    status_purpose: str
    encoded_list: str
    ttl: int | None = None


class BitstringStatusListCredential(_Credential):
    """A signed Bitstring Status List."""

    type: list[str] = _types("VerifiableCredential", "BitstringStatusListCredential")
    # The list carries only the VC 2.0 context, where "Profile" is undefined: the issuer is
    # its id alone.
    issuer: str  # type: ignore[assignment]
    credential_subject: StatusList
