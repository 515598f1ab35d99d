"""Report texts in English and Korean, keyed by stable codes.

Codes never change; the texts may. Templates use ``str.format`` fields filled from a
check's details; a missing field shows as ``?`` rather than failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

LANGUAGES = ("en", "ko")

_VERDICTS: dict[str, tuple[str, str]] = {
    "valid": ("Valid", "유효함"),
    "revoked": ("Revoked", "취소됨"),
    "suspended": ("Suspended", "일시 정지됨"),
    "expired": ("Expired", "만료됨"),
    "not-yet-valid": ("Not yet valid", "아직 유효하지 않음"),
    "invalid": ("Invalid", "유효하지 않음"),
    "unverifiable": ("Could not verify", "확인할 수 없음"),
    "recipient-mismatch": ("Not issued to this e-mail", "이 이메일로 발급되지 않음"),
    "unreadable": ("No badge found", "배지를 읽을 수 없음"),
}

# Verdicts that need a sentence of their own wherever they are shown (the CLI, pages):
# neither may ever read like "may be forged".
_HEADLINES: dict[str, tuple[str, str]] = {
    "recipient-mismatch": (
        "This badge is genuine, but it was not issued to the e-mail address you gave.",
        "이 배지는 진본이지만, 입력하신 이메일 주소로 발급된 배지가 아닙니다.",
    ),
    "unreadable": (
        "We could not read a badge here — try a sharper photo or the original file.",
        "여기에서 배지를 읽지 못했습니다 — 더 선명한 사진이나 원본 파일로 다시 시도해 주세요.",
    ),
}

_STATUSES: dict[str, tuple[str, str]] = {
    "passed": ("passed", "통과"),
    "failed": ("failed", "실패"),
    "skipped": ("skipped", "건너뜀"),
    "error": ("error", "오류"),
    "not-applicable": ("not applicable", "해당 없음"),
}

_TITLES: dict[str, tuple[str, str]] = {
    "input": ("Input", "입력"),
    "structure": ("Structure", "구조"),
    "json-ld": ("JSON-LD terms", "JSON-LD 용어"),
    "issuer": ("Issuer", "발급자"),
    "key": ("Signing key", "서명 키"),
    "proof": ("Data Integrity proof", "Data Integrity 서명"),
    "jwt": ("VC-JWT", "VC-JWT 서명"),
    "status": ("Status lists", "상태 목록"),
    "revocation": ("Revocation", "취소 여부"),
    "suspension": ("Suspension", "정지 여부"),
    "validity-window": ("Validity period", "유효 기간"),
    "recipient": ("Recipient", "수령인"),
    "endorsements": ("Endorsements", "보증"),
    "embedded-credentials": ("Embedded credentials", "포함된 자격증명"),
}

# code -> (English, Korean)
_MESSAGES: dict[str, tuple[str, str]] = {
    # input
    "input-json": ("Read a JSON credential.", "JSON 자격증명을 읽었습니다."),
    "input-jwt": ("Read a VC-JWT.", "VC-JWT를 읽었습니다."),
    "input-png": (
        "Extracted the credential baked into the PNG image.",
        "PNG 이미지에 담긴 자격증명을 꺼냈습니다.",
    ),
    "input-svg": (
        "Extracted the credential baked into the SVG image.",
        "SVG 이미지에 담긴 자격증명을 꺼냈습니다.",
    ),
    "input-qr": (
        "Read the QR code and fetched the credential from {url}.",
        "QR 코드를 읽고 {url}에서 자격증명을 가져왔습니다.",
    ),
    "input-url": (
        "Fetched the credential from {url}.",
        "{url}에서 자격증명을 가져왔습니다.",
    ),
    "input-too-large": (
        "The input is larger than {limit} bytes.",
        "입력이 {limit}바이트보다 큽니다.",
    ),
    "json-too-deep": (
        "The JSON is nested more than {limit} levels deep.",
        "JSON이 {limit}단계보다 깊게 중첩되어 있습니다.",
    ),
    "invalid-json": (
        "The input is not valid JSON: {reason}",
        "입력이 올바른 JSON이 아닙니다: {reason}",
    ),
    "not-a-credential": (
        "The input is not a credential: {reason}",
        "입력이 자격증명이 아닙니다: {reason}",
    ),
    "empty-input": ("The input is empty.", "입력이 비어 있습니다."),
    "not-an-object": (
        "The JSON is not an object, so not a credential.",
        "JSON이 객체가 아니어서 자격증명이 아닙니다.",
    ),
    "not-json-or-jwt": (
        "The input is neither JSON, a VC-JWT, an image nor a URL.",
        "입력이 JSON, VC-JWT, 이미지, URL 중 어느 것도 아닙니다.",
    ),
    "embedded-not-a-credential": (
        "This member of the record is neither a credential object nor a VC-JWT.",
        "기록의 이 항목은 자격증명 객체도 VC-JWT도 아닙니다.",
    ),
    "json-ld-not-needed-jcs": (
        "Not needed: the eddsa-jcs-2022 proof signs the JSON itself, every member included.",
        "필요 없음: eddsa-jcs-2022 서명은 모든 항목을 포함한 JSON 자체에 서명합니다.",
    ),
    "input-unreadable": (
        "Not checked: the input could not be read.",
        "확인하지 않음: 입력을 읽을 수 없습니다.",
    ),
    "malformed-jwt": (
        "The VC-JWT is malformed: {reason}",
        "VC-JWT 형식이 잘못되었습니다: {reason}",
    ),
    "no-credential-in-image": (
        "The image holds neither a baked credential nor a QR code.",
        "이미지에 담긴 자격증명도 QR 코드도 없습니다.",
    ),
    "invalid-image": ("The image is damaged: {reason}", "이미지가 손상되었습니다: {reason}"),
    "unsafe-xml": (
        "The SVG declares a DTD or entities and was refused unread.",
        "SVG에 DTD 또는 엔터티 선언이 있어 읽지 않고 거부했습니다.",
    ),
    "image-too-large": ("The image is too large: {reason}", "이미지가 너무 큽니다: {reason}"),
    "baking-error": (
        "The credential could not be extracted: {reason}",
        "자격증명을 꺼낼 수 없습니다: {reason}",
    ),
    "qr-without-credential": (
        "The QR code does not hold a credential URL: {reason}",
        "QR 코드에 자격증명 URL이 없습니다: {reason}",
    ),
    "credential-not-found": (
        "There is no credential at {url}.",
        "{url}에 자격증명이 없습니다.",
    ),
    "credential-unreachable": (
        "Could not fetch the credential from {url}: {reason}",
        "{url}에서 자격증명을 가져올 수 없습니다: {reason}",
    ),
    # structure
    "structure-ok": (
        "The credential has the required fields and matches the {schema} JSON Schema.",
        "필수 항목이 모두 있고 {schema} JSON 스키마에 맞습니다.",
    ),
    "structure-ok-legacy": (
        "The required fields are present (a VCDM 1.1 credential: no JSON Schema is bundled "
        "for that version).",
        "필수 항목이 모두 있습니다 "
        "(VCDM 1.1 자격증명: 이 버전의 JSON 스키마는 내장되어 있지 않습니다).",
    ),
    "structure-ok-clr": (
        "The required fields are present (no CLR 2.0 JSON Schema is published).",
        "필수 항목이 모두 있습니다 (CLR 2.0 JSON 스키마는 공개되어 있지 않습니다).",
    ),
    "structure-invalid": (
        "{count} structural problem(s); the first: {first}",
        "구조 문제 {count}건. 첫 번째: {first}",
    ),
    "unsupported-credential-type": (
        "Type {types} is not an Open Badge, endorsement or CLR credential.",
        "유형 {types}은(는) 오픈 배지, 보증 또는 CLR 자격증명이 아닙니다.",
    ),
    # json-ld
    "json-ld-ok": (
        "Every @context is bundled and every term is defined, so the proof covers every field.",
        "모든 @context가 내장되어 있고 모든 용어가 정의되어, 서명이 모든 항목을 보호합니다.",
    ),
    "json-ld-no-proof": (
        "Not checked: the credential carries no proof.",
        "확인하지 않음: 자격증명에 서명이 없습니다.",
    ),
    "json-ld-not-needed": (
        "Not needed: a VC-JWT signs the exact bytes of this credential.",
        "필요하지 않음: VC-JWT가 이 자격증명의 바이트 전체에 서명합니다.",
    ),
    "unknown-context": (
        "Unknown JSON-LD context {context}; contexts are never fetched.",
        "알 수 없는 JSON-LD 컨텍스트 {context}. 컨텍스트는 내려받지 않습니다.",
    ),
    "undefined-term": (
        "Terms defined by no context, so no signature covers them: {terms}",
        "어떤 컨텍스트에도 정의되지 않아 서명이 보호하지 않는 용어: {terms}",
    ),
    "invalid-json-ld": (
        "JSON-LD processing failed: {reason}",
        "JSON-LD 처리에 실패했습니다: {reason}",
    ),
    # issuer
    "issuer-resolved": (
        "Issuer {issuer} resolved ({method}).",
        "발급자 {issuer}을(를) 확인했습니다 ({method}).",
    ),
    "no-proof-to-check": (
        "Not checked: there is no proof to check.",
        "확인하지 않음: 확인할 서명이 없습니다.",
    ),
    "no-issuer": ("The credential names no issuer.", "자격증명에 발급자가 없습니다."),
    "unknown-issuer": (
        "The issuer's document {url} does not exist.",
        "발급자 문서 {url}이(가) 존재하지 않습니다.",
    ),
    "issuer-unreachable": (
        "Could not fetch the issuer's document {url}: {reason}",
        "발급자 문서 {url}을(를) 가져올 수 없습니다: {reason}",
    ),
    "issuer-not-resolvable": (
        "The issuer id {issuer} is neither a DID nor an HTTPS URL; its keys can only come "
        "from a trust file.",
        "발급자 ID {issuer}은(는) DID도 HTTPS URL도 아니어서, "
        "키는 신뢰 파일로만 확인할 수 있습니다.",
    ),
    "invalid-issuer-document": (
        "The issuer's document is malformed: {reason}",
        "발급자 문서 형식이 잘못되었습니다: {reason}",
    ),
    "issuer-document-mismatch": (
        "The document at {url} is about {document_id}, not the issuer {issuer}.",
        "{url}의 문서는 발급자 {issuer}가 아니라 {document_id}에 관한 것입니다.",
    ),
    # key
    "key-controlled": (
        "The signing keys are published by the issuer and controlled by it: {keys}",
        "서명 키가 발급자 문서에 공개되어 있고 발급자가 관리합니다: {keys}",
    ),
    "key-not-found": (
        "Key {key} is not published in the issuer's document.",
        "키 {key}이(가) 발급자 문서에 없습니다.",
    ),
    "key-compromised": (
        "The issuer declared key {key} compromised ({revoked}): nothing it signed can be "
        "trusted, this badge included.",
        "발급 기관이 키 {key}이(가) 유출되었다고 신고했습니다({revoked}). 이 키로 서명된 것은 "
        "이 배지를 포함해 신뢰할 수 없습니다.",
    ),
    "key-reference-inexact": (
        "The proof names {key}, which is not a verification method the issuer's document "
        "lists exactly (a did:key reference needs its #fragment).",
        "서명이 가리키는 {key}은(는) 발급자 문서에 그대로 나열된 검증 수단이 아닙니다 "
        "(did:key 참조에는 #프래그먼트가 있어야 합니다).",
    ),
    "key-not-controlled": (
        "Key {key} is not controlled by the issuer {issuer}.",
        "키 {key}은(는) 발급자 {issuer}가 관리하는 키가 아닙니다.",
    ),
    "key-not-assertion-method": (
        "Key {key} is not listed under the issuer's assertionMethod.",
        "키 {key}이(가) 발급자의 assertionMethod에 없습니다.",
    ),
    "key-only-in-credential": (
        "The JWT carries its own key, which the issuer does not publish; a key inside the "
        "credential proves nothing.",
        "JWT에 들어 있는 키를 발급자가 공개하지 않았습니다. "
        "자격증명 안의 키로는 아무것도 증명할 수 없습니다.",
    ),
    "invalid-key": ("Key {key} is malformed: {reason}", "키 {key} 형식이 잘못되었습니다: {reason}"),
    "key-unreachable": (
        "Could not fetch the key document {url}: {reason}",
        "키 문서 {url}을(를) 가져올 수 없습니다: {reason}",
    ),
    "no-key-to-check": (
        "No proof could be checked, so no key either.",
        "확인할 수 있는 서명이 없어 키도 확인하지 않았습니다.",
    ),
    "issuer-not-resolved": (
        "Not checked: the issuer's document could not be resolved.",
        "확인하지 않음: 발급자 문서를 확인할 수 없습니다.",
    ),
    # proof
    "proof-verified": (
        "Data Integrity proof ({suites}) verified.",
        "Data Integrity 서명({suites})을 확인했습니다.",
    ),
    "proof-not-present": (
        "No embedded proof; the VC-JWT secures this credential.",
        "내장 서명이 없습니다. 이 자격증명은 VC-JWT로 보호됩니다.",
    ),
    "missing-proof": ("The credential carries no proof.", "자격증명에 서명이 없습니다."),
    "unsupported-cryptosuite": (
        "Proof type {suite} is not supported by this verifier, so the proof could not be "
        "checked (this does not mean it is forged).",
        "이 검증기는 서명 방식 {suite}을(를) 지원하지 않아 서명을 확인하지 못했습니다 "
        "(위조되었다는 뜻은 아닙니다).",
    ),
    "invalid-proof": (
        "The Data Integrity proof does not verify: {reason}",
        # The reason is the library's English; Korean readers get the plain meaning.
        "Data Integrity 서명이 맞지 않습니다. 서명된 뒤 내용이 바뀌었거나, 발급 기관의 키로 "
        "서명되지 않았습니다.",
    ),
    "proof-not-checked": (
        "Not checked: no trusted key for it ({reason}).",
        "확인하지 않음: 신뢰할 수 있는 키가 없습니다 ({reason}).",
    ),
    # jwt
    "jwt-verified": (
        "VC-JWT signature ({alg}) verified; its claims agree with the credential.",
        "VC-JWT 서명({alg})을 확인했고, 클레임이 자격증명과 일치합니다.",
    ),
    "jwt-not-present": ("The input is not a VC-JWT.", "입력이 VC-JWT가 아닙니다."),
    "unsupported-algorithm": (
        "JWT algorithm refused: {reason}",
        "허용하지 않는 JWT 알고리즘입니다: {reason}",
    ),
    "invalid-jwt-signature": (
        "The VC-JWT signature does not verify.",
        "VC-JWT 서명이 맞지 않습니다.",
    ),
    "jwt-claim-mismatch": (
        "The JWT claims disagree with the credential: {reason}",
        "JWT 클레임이 자격증명과 다릅니다: {reason}",
    ),
    "jwt-not-checked": (
        "Not checked: no trusted key for it ({reason}).",
        "확인하지 않음: 신뢰할 수 있는 키가 없습니다 ({reason}).",
    ),
    # status
    "status-lists-verified": (
        "{count} status list(s) fetched; each is signed by the issuer.",
        "상태 목록 {count}개를 가져왔고, 모두 발급자가 서명했습니다.",
    ),
    "no-status": ("The credential has no status entries.", "자격증명에 상태 항목이 없습니다."),
    "authenticity-not-established": (
        "Not checked: the credential's authenticity is not established.",
        "확인하지 않음: 자격증명의 진위가 확인되지 않았습니다.",
    ),
    "status-list-unreachable": (
        "Could not fetch the status list {url}: {reason}",
        "상태 목록 {url}을(를) 가져올 수 없습니다: {reason}",
    ),
    "status-list-invalid": (
        "The status list {url} could not be verified: {reason}",
        "상태 목록 {url}을(를) 검증할 수 없습니다: {reason}",
    ),
    "status-list-wrong-issuer": (
        "The status list {url} is issued by {list_issuer}, not by the credential's issuer.",
        "상태 목록 {url}의 발급자는 자격증명 발급자가 아닌 {list_issuer}입니다.",
    ),
    "unsupported-status": (
        "Status entry of type {type} is not supported: {reason}",
        "{type} 유형의 상태 항목은 지원하지 않습니다: {reason}",
    ),
    # revocation / suspension
    "not-revoked": ("Not revoked.", "취소되지 않았습니다."),
    "revoked": ("The issuer has revoked this credential.", "발급자가 이 자격증명을 취소했습니다."),
    "no-revocation-entry": (
        "The credential has no revocation entry.",
        "자격증명에 취소 상태 항목이 없습니다.",
    ),
    "not-suspended": ("Not suspended.", "정지되지 않았습니다."),
    "suspended": (
        "The issuer has suspended this credential.",
        "발급자가 이 자격증명을 일시 정지했습니다.",
    ),
    "no-suspension-entry": (
        "The credential has no suspension entry.",
        "자격증명에 정지 상태 항목이 없습니다.",
    ),
    "status-unknown": (
        "Unknown: the status list could not be read ({reason}).",
        "알 수 없음: 상태 목록을 읽을 수 없습니다 ({reason}).",
    ),
    # validity window
    "within-validity-period": (
        "Valid from {valid_from} until {valid_until}.",
        "{valid_from}부터 {valid_until}까지 유효합니다.",
    ),
    "valid-without-end": (
        "Valid since {valid_from}; no end date.",
        "{valid_from}부터 유효하며 만료일이 없습니다.",
    ),
    "expired": ("Expired on {valid_until}.", "{valid_until}에 만료되었습니다."),
    "not-yet-valid": ("Not valid before {valid_from}.", "{valid_from}부터 유효합니다."),
    "invalid-date": ("Malformed date: {reason}", "날짜 형식이 잘못되었습니다: {reason}"),
    # recipient
    "recipient-matched": (
        "The email {email} matches the recipient.",
        "이메일 {email}이(가) 수령인과 일치합니다.",
    ),
    "recipient-mismatch": (
        "The email {email} does not match the recipient.",
        "이메일 {email}이(가) 수령인과 일치하지 않습니다.",
    ),
    "no-recipient-email": (
        "The credential holds no email identifier to compare with.",
        "자격증명에 비교할 이메일 식별자가 없습니다.",
    ),
    "recipient-not-requested": (
        "No email given; the recipient was not checked.",
        "이메일을 입력하지 않아 수령인을 확인하지 않았습니다.",
    ),
    # nested credentials
    "endorsements-valid": (
        "{count} endorsement(s) verified.",
        "보증 {count}건을 확인했습니다.",
    ),
    "endorsements-not-valid": (
        "{bad} of {count} endorsement(s) did not verify; this does not change the "
        "credential's own verdict.",
        "보증 {count}건 중 {bad}건을 확인하지 못했습니다. "
        "자격증명 자체의 판정에는 영향이 없습니다.",
    ),
    "no-endorsements": ("No endorsements.", "보증이 없습니다."),
    "embedded-valid": (
        "All {count} embedded credential(s) verified.",
        "포함된 자격증명 {count}건을 모두 확인했습니다.",
    ),
    "embedded-not-valid": (
        "{count} embedded credential(s): {tally}. Each is listed with its own verdict; "
        "the record's verdict is about its own signature and status.",
        "포함된 자격증명 {count}건: {tally}. 각각의 판정은 아래에 있으며, "
        "기록 자체의 판정은 기록의 서명과 상태에 관한 것입니다.",
    ),
    "embedded-unverifiable": (
        "{count} embedded credential(s): {tally}.",
        "포함된 자격증명 {count}건: {tally}.",
    ),
    "not-a-clr": ("Not a CLR; nothing embedded.", "CLR이 아니어서 포함된 자격증명이 없습니다."),
    "nesting-too-deep": (
        "Nested credentials go deeper than {limit} levels; not verified.",
        "중첩된 자격증명이 {limit}단계보다 깊어 확인하지 않았습니다.",
    ),
    "too-many-nested": (
        "More than {limit} nested credentials; not verified.",
        "중첩된 자격증명이 {limit}건보다 많아 확인하지 않았습니다.",
    ),
}


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "ko" else pair[0]


def render(code: str, params: Mapping[str, Any]) -> dict[str, str]:
    """Return the message for ``code`` in every language, filled from ``params``."""
    pair = _MESSAGES.get(code, (code, code))
    texts = {}
    for lang in LANGUAGES:
        fields = _Fields({k: _text(k, v, lang) for k, v in params.items()})
        texts[lang] = _pick(pair, lang).format_map(fields)
    return texts


# Details that hold a date: shown to people in their own form (KST for Korean), never as
# the raw XML Schema timestamp. The machine form stays in the check's details (--json).
_DATE_FIELDS = frozenset({"valid_from", "valid_until", "revoked"})
# Korea Standard Time has had no daylight saving since 1988: a fixed offset needs no tz
# database on the verifier's machine.
_KST = timezone(timedelta(hours=9), "KST")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _date(value: Any, lang: str) -> str | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    if lang == "ko":
        local = moment.astimezone(_KST)
        return f"{local.year}년 {local.month}월 {local.day}일 {local:%H:%M} (KST)"
    utc = moment.astimezone(UTC)
    return f"{utc.day} {_MONTHS[utc.month - 1]} {utc.year}, {utc:%H:%M} UTC"


def _text(name: str, value: Any, lang: str) -> str:
    if name in _DATE_FIELDS and (shown := _date(value, lang)) is not None:
        return shown
    if name == "tally" and isinstance(value, Mapping):
        # {"valid": 4, "revoked": 1} -> "4 valid, 1 revoked" / "유효함 4건, 취소됨 1건"
        parts = []
        for verdict, count in value.items():
            words = _VERDICTS.get(str(verdict), (str(verdict), str(verdict)))
            parts.append(f"{words[1]} {count}건" if lang == "ko" else f"{count} {words[0].lower()}")
        return ", ".join(parts)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def is_known(code: str) -> bool:
    """Whether ``code`` has a message."""
    return code in _MESSAGES


def verdict_label(verdict: str, lang: str) -> str:
    """The verdict in words."""
    return _pick(_VERDICTS[verdict], lang)


def verdict_headline(verdict: str, lang: str) -> str | None:
    """The verdict as one plain sentence for a person, for verdicts that need one."""
    pair = _HEADLINES.get(verdict)
    return _pick(pair, lang) if pair else None


def status_label(status: str, lang: str) -> str:
    """The check status in words."""
    return _pick(_STATUSES[status], lang)


def check_title(check_id: str, lang: str) -> str:
    """The check's name in words."""
    return _pick(_TITLES.get(check_id, (check_id, check_id)), lang)


# ------------------------------------------------------------------------------------------
# Open Badges 2.0 (verify.ob2) and the input forms it adds. Kept in one block so the OB 3.0
# texts above stay untouched.
# ------------------------------------------------------------------------------------------

_OB2_CAVEAT_EN = (
    " Open Badges 2.0 cannot promise what 3.0 does: a hosted badge carries no cryptographic"
    " signature and is only as current as the issuer's server."
)
_OB2_CAVEAT_KO = (
    " Open Badges 2.0은 3.0만큼 보증하지 못합니다. 호스팅 배지에는 암호 서명이 없으며, 발급자"
    " 서버가 보여 주는 만큼만 최신입니다."
)

_MESSAGES.update(
    {
        "credential-gone": (
            "{url} answered 410 Gone: the issuer removed this credential (Open Badges 2.0 "
            "issuers answer so for a revoked badge).",
            "{url}이(가) 410 Gone으로 응답했습니다. 발급자가 이 자격증명을 삭제했습니다 "
            "(Open Badges 2.0 발급자는 취소된 배지에 이렇게 응답합니다).",
        ),
        "ob2-structure-ok": (
            "An Open Badges 2.0 assertion ({mode}); checked by the Open Badges 2.0 rules."
            + _OB2_CAVEAT_EN,
            "Open Badges 2.0 어설션({mode})이며 Open Badges 2.0 규칙으로 확인했습니다."
            + _OB2_CAVEAT_KO,
        ),
        "ob2-json-ld-not-needed": (
            "Open Badges 2.0 is checked as JSON; no JSON-LD canonicalization is involved.",
            "Open Badges 2.0은 JSON으로 확인하며 JSON-LD 정규화가 필요하지 않습니다.",
        ),
        "ob2-not-a-url": (
            "The {what} is not given by an HTTP(S) URL ({value}).",
            "{what}이(가) HTTP(S) URL로 주어지지 않았습니다 ({value}).",
        ),
        "ob2-document-missing": (
            "The {what} does not exist at {url}.",
            "{url}에 {what}이(가) 없습니다.",
        ),
        "ob2-unreachable": (
            "Could not fetch the {what} at {url}: {reason}",
            "{url}의 {what}을(를) 가져올 수 없습니다: {reason}",
        ),
        "ob2-not-json": (
            "The {what} at {url} is not a JSON object: {reason}",
            "{url}의 {what}이(가) JSON 객체가 아닙니다: {reason}",
        ),
        "ob2-id-mismatch": (
            "The {what} fetched from {url} says its id is {document_id}.",
            "{url}에서 가져온 {what}의 id가 {document_id}입니다.",
        ),
        "ob2-not-a-badge-class": (
            "The document at {url} is not a BadgeClass.",
            "{url}의 문서는 BadgeClass가 아닙니다.",
        ),
        "ob2-not-an-issuer": (
            "The document at {url} is not an issuer profile.",
            "{url}의 문서는 발급자 프로필이 아닙니다.",
        ),
        "ob2-issuer-ok": (
            "Badge “{badge_name}” ({badge}) of issuer {name} ({issuer}), both fetched from "
            "their ids.",
            "발급자 {name}({issuer})의 배지 “{badge_name}”({badge})를 각 id에서 가져왔습니다.",
        ),
        "ob2-gone": (
            "The issuer's server answered 410 Gone for {url}: the badge was revoked.",
            "발급자 서버가 {url}에 410 Gone으로 응답했습니다. 배지가 취소되었습니다.",
        ),
        "ob2-hosted-differs": (
            "The assertion the issuer hosts at {url} has a different {field} than the one given.",
            "발급자가 {url}에 호스팅하는 어설션의 {field}이(가) 제출된 것과 다릅니다.",
        ),
        "ob2-wrong-origin": (
            "The assertion URL {url} is on {host}, which issuer {issuer} does not allow "
            "(allowed: {allowed}).",
            "어설션 URL {url}의 호스트 {host}은(는) 발급자 {issuer}가 허용하지 않습니다 "
            "(허용: {allowed}).",
        ),
        "ob2-outside-prefix": (
            "The assertion URL {url} does not start with any prefix the issuer allows "
            "({prefixes}).",
            "어설션 URL {url}이(가) 발급자가 허용한 접두사({prefixes})로 시작하지 않습니다.",
        ),
        "ob2-origin-ok": (
            "The assertion is hosted on {host}, which issuer {issuer} allows.",
            "어설션이 발급자 {issuer}가 허용한 {host}에 호스팅되어 있습니다.",
        ),
        "ob2-hosted-ok": (
            "Hosted verification: the issuer's server serves this assertion at {url}. There is "
            "no cryptographic signature; the badge is only as current as that server.",
            "호스팅 확인: 발급자 서버가 {url}에서 이 어설션을 제공합니다. 암호 서명은 없으며, "
            "배지는 그 서버가 보여 주는 만큼만 최신입니다.",
        ),
        "ob2-signed-no-proof": (
            "A signed Open Badges 2.0 assertion carries a JWS, not a Data Integrity proof.",
            "서명된 Open Badges 2.0 어설션은 Data Integrity 서명이 아닌 JWS를 사용합니다.",
        ),
        "ob2-signed-without-signature": (
            "The assertion says it is signed, but no signed (JWS) form was given.",
            "어설션이 서명되었다고 하지만 서명된(JWS) 형태가 제출되지 않았습니다.",
        ),
        "ob2-wrong-algorithm": (
            "Signed Open Badges 2.0 assertions use RS256, not {alg}.",
            "서명된 Open Badges 2.0 어설션은 {alg}이(가) 아닌 RS256을 사용합니다.",
        ),
        "ob2-key-not-owned": (
            "The signing key {key} belongs to {owner}, not to issuer {issuer}.",
            "서명 키 {key}의 소유자는 발급자 {issuer}가 아닌 {owner}입니다.",
        ),
        "ob2-key-ok": (
            "The signing key {key} is published by issuer {issuer}.",
            "서명 키 {key}는 발급자 {issuer}가 공개한 키입니다.",
        ),
        "ob2-bad-signature": (
            "The JWS signature does not verify: {reason}",
            "JWS 서명이 검증되지 않습니다: {reason}",
        ),
        "ob2-signature-ok": (
            "The JWS signature verifies with the issuer's key {key} (RS256).",
            "JWS 서명이 발급자 키 {key}(RS256)로 검증되었습니다.",
        ),
        "ob2-revoked": (
            "The issuer has revoked this badge (reason: {reason}).",
            "발급자가 이 배지를 취소했습니다 (사유: {reason}).",
        ),
        "ob2-hosted-not-revoked": (
            "The issuer's server does not mark this badge revoked.",
            "발급자 서버가 이 배지를 취소로 표시하지 않았습니다.",
        ),
        "ob2-no-revocation-list": (
            "The issuer publishes no revocation list.",
            "발급자가 취소 목록을 공개하지 않습니다.",
        ),
        "ob2-not-on-revocation-list": (
            "Not on the issuer's revocation list ({url}).",
            "발급자의 취소 목록({url})에 없습니다.",
        ),
        "ob2-no-status-list": (
            "Open Badges 2.0 has no status list; revocation is asked of the issuer.",
            "Open Badges 2.0에는 상태 목록이 없어 취소 여부를 발급자에게 확인합니다.",
        ),
        "ob2-no-suspension": (
            "Open Badges 2.0 has no suspension.",
            "Open Badges 2.0에는 일시 정지가 없습니다.",
        ),
        "ob2-issued-no-expiry": (
            "Issued on {issued_on}; no expiry date.",
            "{issued_on}에 발급되었으며 만료일이 없습니다.",
        ),
        "ob2-issued-until": (
            "Issued on {issued_on}; valid until {expires}.",
            "{issued_on}에 발급되었으며 {expires}까지 유효합니다.",
        ),
        "ob2-expired": ("Expired on {expires}.", "{expires}에 만료되었습니다."),
        "ob2-not-yet-issued": (
            "Issued in the future ({issued_on}).",
            "발급일이 미래입니다 ({issued_on}).",
        ),
        "ob2-recipient-not-email": (
            "The recipient is identified by {type}, not by an e-mail address.",
            "수령인이 이메일이 아닌 {type}(으)로 식별됩니다.",
        ),
        "unsupported-jwt-algorithm": (
            "The VC-JWT is signed with {alg}, which this verifier does not implement "
            "(it verifies RS256, ES256 and EdDSA); it could not be verified.",
            "VC-JWT가 이 검증기가 지원하지 않는 {alg}(으)로 서명되어 확인할 수 없습니다 "
            "(RS256, ES256, EdDSA를 지원합니다).",
        ),
        "ob2-bad-identity-hash": (
            "The recipient's identity hash is malformed: {reason}",
            "수령인 식별 해시의 형식이 잘못되었습니다: {reason}",
        ),
    }
)


# The certificate's offline QR (BJ1:, verify.compact).
_MESSAGES.update(
    {
        "input-compact": (
            "Read the certificate's offline QR (signed claims, BJ1:) from {form}.",
            "증명서의 오프라인 QR(서명된 요약, BJ1:)을 {form}에서 읽었습니다.",
        ),
        "compact-unreadable": (
            "The certificate QR text cannot be read: {reason}",
            "증명서 QR 내용을 읽을 수 없습니다: {reason}",
        ),
        "compact-claims": (
            "The QR holds the essential claims (holder, course, issuer, dates, status).",
            "QR에 핵심 정보(소지자, 과정, 발급자, 기간, 상태)가 들어 있습니다.",
        ),
        "compact-no-json-ld": (
            "The offline QR holds signed claims, not JSON-LD.",
            "오프라인 QR에는 JSON-LD가 아닌 서명된 요약이 들어 있습니다.",
        ),
        "compact-no-recipient": (
            "The offline QR holds the holder's name, not an e-mail to match.",
            "오프라인 QR에는 대조할 이메일이 아닌 소지자 이름이 들어 있습니다.",
        ),
        "compact-key-not-in-trust-file": (
            "The trust file's copy of the issuer's DID document does not list the key {key}; "
            "it may be newer than the trust file. Refresh the trust file and try again.",
            "신뢰 파일에 저장된 발급자 DID 문서에 키 {key}가 없습니다. 신뢰 파일보다 새 키일 수 "
            "있으니 신뢰 파일을 갱신한 뒤 다시 확인하세요.",
        ),
        "compact-bad-signature": (
            "The QR's signature does not verify: its content was changed or it was not "
            "signed by this issuer ({reason}).",
            "QR의 서명이 맞지 않습니다. 내용이 바뀌었거나 이 발급자가 서명하지 않았습니다 "
            "({reason}).",
        ),
        "compact-signature-verified": (
            "The QR's COSE signature ({alg}) verifies with the issuer's key.",
            "QR의 COSE 서명({alg})이 발급자의 키로 확인되었습니다.",
        ),
    }
)
