"""The fast JSON-LD -> RDFC-1.0 path gives pyld's bytes, on every shape we sign or verify.

pyld 3.3 is the oracle, with one documented difference: it writes some control characters
raw in canonical N-Quads (``\\b``, ``\\f``, U+000B, U+007F, U+0000...) where RDFC-1.0 escapes
them (pyld fails test060 of the W3C suite). The oracle below is pyld with the escaping the
Recommendation specifies, written here independently of ``badges.rdfc``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pyld.nquads
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld

from badges import (
    Achievement,
    Alignment,
    Association,
    Criteria,
    Evidence,
    Image,
    InvalidJsonLd,
    Profile,
    Result,
    ResultDescription,
    UndefinedTerm,
    build_clr,
    build_credential,
    build_endorsement,
    build_status_list_credential,
    canonicalize_rdfc,
    email_identity,
    find_undefined_terms,
    sign_credential,
    status_entry,
)
from badges.canonical import fallback_count, fast_path_count
from badges.context import OB_CONTEXTS, document_loader
from badges.rdf import INITIAL, Unsupported, to_quads
from badges.status import Bitstring
from keys import PrivateKeySigner, build_did_document
from tests.samples import BASE_URL, sample_achievement, sample_credential, sample_issuer

_ECHAR = {"\t": "\\t", "\b": "\\b", "\n": "\\n", "\r": "\\r", "\f": "\\f", '"': '\\"', "\\": "\\\\"}


def _spec_escape(value: str) -> str:
    """RDFC-1.0 canonical N-Quads escaping, for the oracle only."""
    out = []
    for char in value:
        if char in _ECHAR:
            out.append(_ECHAR[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


@contextmanager
def _spec_escaping() -> Iterator[None]:
    with mock.patch.object(pyld.nquads, "escape", _spec_escape):
        yield


def oracle(document: Mapping[str, Any]) -> str:
    """pyld's RDFC-1.0 of ``document``, with the Recommendation's escaping."""
    with _spec_escaping():
        result: str = jsonld.normalize(
            dict(document),
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": document_loader,
            },
        )
    return result


_SENTINEL = "urn:baeji:undefined-term:"


def oracle_undefined(document: Mapping[str, Any]) -> list[str]:
    """The undefined terms pyld's expansion finds under the sentinel vocabulary."""
    contexts = document.get("@context", [])
    probe = {
        **document,
        "@context": [
            *(contexts if isinstance(contexts, list) else [contexts]),
            {"@vocab": _SENTINEL},
        ],
    }
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key.startswith(_SENTINEL):
                    found.add(key.removeprefix(_SENTINEL))
                if key == "@type":
                    types = item if isinstance(item, list) else [item]
                    found.update(
                        t.removeprefix(_SENTINEL)
                        for t in types
                        if isinstance(t, str) and t.startswith(_SENTINEL)
                    )
                walk(item)

    walk(jsonld.expand(probe, {"documentLoader": document_loader}))
    return sorted(found)


def assert_fast_and_identical(document: Mapping[str, Any]) -> None:
    """The fast path takes ``document`` and agrees with the oracle byte for byte."""
    to_quads(document)  # raises Unsupported if the fast path would not take it
    before = fast_path_count()
    assert canonicalize_rdfc(document) == oracle(document)
    assert fast_path_count() == before + 1


# ---------------------------------------------------------------------------------------
# 1EdTech signed samples and published vectors

# The one sample the fast path hands to pyld: a proof's relative IRI needs base resolution.
_FALLBACK_SAMPLES = {"ob-v3p0-validator-simple-multiple-proofs.json"}


def _samples(spec_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted((spec_dir / "examples").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(document, dict) and "@context" in document:
            found.append((path.name, document))
    return found


def test_every_1edtech_sample_matches_pyld(spec_dir: Path) -> None:
    """Every signed 1EdTech sample: same canonical bytes, with and without its proof."""
    samples = _samples(spec_dir)
    assert len(samples) >= 10
    for name, document in samples:
        try:
            expected = oracle(document)
        except jsonld.JsonLdError:
            with pytest.raises(InvalidJsonLd):
                canonicalize_rdfc(document)
            continue
        assert canonicalize_rdfc(document) == expected, name
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        assert canonicalize_rdfc(unsecured) == oracle(unsecured), name
        if name in _FALLBACK_SAMPLES:
            with pytest.raises(Unsupported):
                to_quads(document)
        else:
            to_quads(document)


def test_published_vectors_take_the_fast_path(spec_dir: Path) -> None:
    """The W3C and 1EdTech Data Integrity vectors' documents and proof options."""
    vectors = spec_dir / "test-vectors"
    w3c = json.loads((vectors / "w3c-vc-di-eddsa-vectors.json").read_text())
    assert_fast_and_identical(w3c["unsignedDocument"])
    assert_fast_and_identical(w3c["suites"]["eddsa-rdfc-2022"]["proofOptions"])
    for path in sorted(vectors.glob("1edtech-*-eddsa-rdfc-2022-vector.json")):
        vector = json.loads(path.read_text())
        for value in vector.values():
            if isinstance(value, dict) and "@context" in value:
                assert_fast_and_identical(value)


# ---------------------------------------------------------------------------------------
# Every credential shape Baeji issues


def _full_achievement() -> Achievement:
    alignment = Alignment(
        target_name="응용SW엔지니어링",
        target_url="https://www.ncs.go.kr/unity/th03/ncsSearchMain.do",
        target_code="2001020200",
        target_description="요구사항 확인, 구현",
        target_framework="국가직무능력표준 (NCS)",
        target_type="CFItem",
    )
    return Achievement(
        id=f"{BASE_URL}/achievements/full",
        name="풀스택 과정",
        description="모든 선택 항목을 채운 과정",
        criteria=Criteria(id=f"{BASE_URL}/criteria/full", narrative="모두 통과"),
        achievement_type="Certificate",
        alignment=[alignment],
        credits_available=2.5,
        field_of_study="Computer Science",
        human_code="CS-101",
        image=Image(id=f"{BASE_URL}/images/full.png", caption="배지 이미지"),
        in_language="ko",
        result_description=[
            ResultDescription(
                id=f"{BASE_URL}/achievements/full/results/grade",
                name="등급",
                result_type="LetterGrade",
                allowed_value=["A", "B", "C"],
                required_value="B",
                alignment=[alignment],
            ),
            ResultDescription(
                id=f"{BASE_URL}/achievements/full/results/score",
                name="점수",
                result_type="Percent",
                value_min="0",
                value_max="100",
            ),
        ],
        tag=["풀스택", "web"],
        version="2.0",
        creator=Profile(
            id="did:web:creator.example.kr",
            name="제작 기관",
            url="https://creator.example.kr",
            email="hello@creator.example.kr",
            phone="+82-2-123-4567",
            description="과정을 만든 기관",
            image=Image(id="https://creator.example.kr/logo.png"),
        ),
    )


def _shapes(now: datetime, signer: PrivateKeySigner) -> dict[str, dict[str, Any]]:
    full = build_credential(
        credential_id=f"{BASE_URL}/credentials/full",
        issuer=sample_issuer(),
        achievement=_full_achievement(),
        subject_id="urn:uuid:0f0e0d0c-0b0a-4908-8706-050403020100",
        now=now,
        identifier=[email_identity("a@example.com", salt="00ff"), email_identity("b@example.com")],
        valid_from=now,
        valid_until=now + timedelta(days=365),
        awarded_date=now,
        results=[
            Result(result_description=f"{BASE_URL}/achievements/full/results/grade", value="A"),
            Result(
                result_description=f"{BASE_URL}/achievements/full/results/score",
                value="97",
                status="Completed",
                achieved_level=f"{BASE_URL}/levels/gold",
                alignment=[
                    Alignment(target_name="x", target_url="https://example.org/x", target_code="1")
                ],
            ),
        ],
        evidence=[
            Evidence(
                id=f"{BASE_URL}/evidence/1",
                narrative="보고서",
                name="프로젝트",
                description="설명",
                genre="Report",
                audience="Employers",
            ),
            Evidence(narrative="익명 증거"),
        ],
        status=[
            status_entry(f"{BASE_URL}/status/1", 7, "revocation"),
            status_entry(f"{BASE_URL}/status/2", 7, "suspension"),
        ],
        name="풀스택 배지",
        description="모든 선택 필드",
        image=Image(id=f"{BASE_URL}/credentials/full.png", caption="배지"),
        activity_start_date=now - timedelta(days=90),
        activity_end_date=now,
        credits_earned=2.5,
        term="2026년 1학기",
        narrative="성실히 이수함",
    )
    sample = sample_credential(now=now)
    signed = sign_credential(sample, proof_signer=signer, now=now).credential
    endorsement = build_endorsement(
        credential_id=f"{BASE_URL}/endorsements/1",
        issuer=sample_issuer(),
        subject_id=f"{BASE_URL}/achievements/full",
        name="추천",
        now=now,
        comment="훌륭한 과정입니다",
    )
    signed_endorsement = sign_credential(endorsement, proof_signer=signer, now=now).credential
    with_endorsement = copy.deepcopy(full.to_json())
    with_endorsement["endorsement"] = [signed_endorsement]
    clr = build_clr(
        credential_id=f"{BASE_URL}/clr/1",
        issuer=sample_issuer(),
        subject_id="urn:uuid:6a0e2f8c-1b7d-4e5a-9c3f-0d8b2a4e6f10",
        credentials=[signed, signed],
        name="학습 이력",
        now=now,
        description="두 배지",
        achievements=[sample_achievement()],
        associations=[
            Association(
                association_type="isParentOf",
                source_id=f"{BASE_URL}/achievements/3b1f7c2e-5d0a-4c1e-9a63-2f4e8d9b0c11",
                target_id=f"{BASE_URL}/achievements/full",
            )
        ],
        identifier=[email_identity("kim.jiwoo@example.com", salt="aa")],
        partial=True,
    )
    signed_clr = sign_credential(clr, proof_signer=signer, now=now).credential
    status = build_status_list_credential(
        list_url=f"{BASE_URL}/status/1",
        issuer_id="did:web:badges.example.kr",
        purpose="revocation",
        bits=Bitstring(),
        now=now,
        valid_until=now + timedelta(days=1),
        ttl_ms=300_000,
    )
    signed_status = sign_credential(status, proof_signer=signer, now=now).credential
    did = build_did_document("did:web:badges.example.kr", [signer.public_key])
    return {
        "sample": sample.to_json(),
        "sample-signed": signed,
        "full": full.to_json(),
        "full-with-endorsement": with_endorsement,
        "endorsement": endorsement.to_json(),
        "endorsement-signed": signed_endorsement,
        "clr": clr.to_json(),
        "clr-signed": signed_clr,
        "status-list": status.to_json(),
        "status-list-signed": signed_status,
        "did-document": did,
    }


def test_every_shape_we_issue_matches_pyld(now: datetime, ed25519_signer: PrivateKeySigner) -> None:
    """OB 3.0 (every optional field), endorsements, CLR with embedded credentials, status
    lists and DID documents take the fast path and give pyld's bytes, signed or not."""
    for name, document in _shapes(now, ed25519_signer).items():
        try:
            assert_fast_and_identical(document)
        except AssertionError as err:  # pragma: no cover - names the failing shape
            raise AssertionError(name) from err


def test_proof_configuration_matches_pyld(now: datetime, ed25519_signer: PrivateKeySigner) -> None:
    """The proof configuration hashed before the document (a small, separate input)."""
    signed = sign_credential(sample_credential(now=now), proof_signer=ed25519_signer, now=now)
    (proof,) = signed.credential["proof"]
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    assert_fast_and_identical({**config, "@context": signed.credential["@context"]})


# ---------------------------------------------------------------------------------------
# Generated credentials

_CONTROL = st.sampled_from(["\x00", "\x01", "\b", "\t", "\n", "\x0b", "\f", "\r", "\x1f", "\x7f"])
texts = st.one_of(
    # Text starting "_:" is refused by design (explicit blank node ids; test_bad_input).
    st.text(st.characters(exclude_categories=["Cs"]), max_size=20).filter(
        lambda text: not text.startswith("_:")
    ),
    st.sampled_from(["인공지능 기초", "팀워크 🌃", 'quote " and \\ back', "", " "]),
    st.lists(st.one_of(_CONTROL, st.sampled_from(["가", "a", "\u2028", "\x80"])), max_size=6).map(
        "".join
    ),
)
numbers = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 0.1, 1.0, 2.5, 1e21, 1e-7, 5e-324, 1.7976931348623157e308]),
)
scalars = st.one_of(texts, numbers, st.booleans(), st.none())
dates = st.sampled_from(
    ["2026-03-02T09:30:00Z", "2026-03-02", "not a date", "2026-03-02T09:30:00.123+09:00"]
)
ids = st.one_of(
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    st.sampled_from(
        [f"{BASE_URL}/a", "https://example.org/b#c", "did:web:example.kr", "mailto:kim@example.kr"]
    ),
)


@st.composite
def alignments(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "type": ["Alignment"],
        "targetName": draw(texts),
        "targetUrl": draw(ids),
        **({"targetCode": draw(texts)} if draw(st.booleans()) else {}),
        **({"targetFramework": draw(texts)} if draw(st.booleans()) else {}),
    }


@st.composite
def credentials(draw: st.DrawFn) -> dict[str, Any]:
    """OB 3.0-shaped credentials with arbitrary text, numbers, dates and optional parts."""
    achievement: dict[str, Any] = {
        "id": draw(ids),
        "type": ["Achievement"],
        "name": draw(texts),
        "description": draw(texts),
        "criteria": {"narrative": draw(texts)},
    }
    if draw(st.booleans()):
        achievement["alignment"] = draw(st.lists(alignments(), max_size=3))
    if draw(st.booleans()):
        achievement["creditsAvailable"] = draw(numbers)
    if draw(st.booleans()):
        achievement["tag"] = draw(st.lists(texts, max_size=3))
    if draw(st.booleans()):
        achievement["resultDescription"] = [
            {
                "id": draw(ids),
                "type": ["ResultDescription"],
                "name": draw(texts),
                "resultType": "Percent",
                "allowedValue": draw(st.lists(texts, max_size=3)),
            }
        ]
    subject: dict[str, Any] = {"type": ["AchievementSubject"], "achievement": achievement}
    if draw(st.booleans()):
        subject["id"] = draw(ids)
    if draw(st.booleans()):
        subject["result"] = [
            {
                "type": ["Result"],
                "value": draw(texts),
                **(
                    {"alignment": draw(st.lists(alignments(), max_size=2))}
                    if draw(st.booleans())
                    else {}
                ),
            }
            for _ in range(draw(st.integers(0, 2)))
        ]
    if draw(st.booleans()):
        subject["creditsEarned"] = draw(numbers)
    # Sometimes an embedded context gives the extra values an IRI, or a vocabulary.
    extra_context = draw(
        st.sampled_from(
            [
                [],
                [{"extraValue": "https://example.org/extra"}],
                [{"@vocab": "https://example.org/v#"}],
            ]
        )
    )
    document: dict[str, Any] = {
        "@context": [*OB_CONTEXTS, *extra_context],
        "id": draw(ids),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": draw(texts),
        "issuer": {"id": draw(ids), "type": ["Profile"], "name": draw(texts)},
        "validFrom": draw(dates),
        "credentialSubject": subject,
    }
    if draw(st.booleans()):
        document["evidence"] = [
            {
                "type": ["Evidence"],
                "narrative": draw(texts),
                **({"id": draw(ids)} if draw(st.booleans()) else {}),
            }
            for _ in range(draw(st.integers(0, 2)))
        ]
    if draw(st.booleans()):
        # Terms no context defines: the VC 2.0 issuer-dependent vocabulary picks them up.
        document["extraValue"] = draw(st.one_of(scalars, st.lists(scalars, max_size=3)))
    if draw(st.booleans()):
        # Value objects, and features the fast path hands to pyld.
        document["description"] = draw(
            st.sampled_from(
                [
                    {"@value": "설명", "@language": "ko"},
                    {"@value": "typed", "@type": "https://example.org/dt"},
                    {"@value": None},
                    {"@value": 12.5, "@type": "http://www.w3.org/2001/XMLSchema#double"},
                    {"@value": "1.5", "@type": "http://www.w3.org/2001/XMLSchema#double"},
                    {"@list": ["a", "b"]},
                    ["a", ["nested"]],
                    "relative/ref",
                ]
            )
        )
    return document


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(document=credentials())
def test_generated_credentials_match_pyld(document: dict[str, Any]) -> None:
    """Whatever the text, numbers, dates and optional parts, our bytes are pyld's."""
    try:
        expected = oracle(document)
    except jsonld.JsonLdError:
        with pytest.raises(InvalidJsonLd):
            canonicalize_rdfc(document)
        return
    assert canonicalize_rdfc(document) == expected


@_SETTINGS
@given(document=credentials(), undefined=st.sampled_from(["colour", "레벨", "x y", "dc:title"]))
def test_undefined_terms_match_pyld_expansion(document: dict[str, Any], undefined: str) -> None:
    """find_undefined_terms finds what pyld's expansion finds, on the fast path or not."""
    subject = document["credentialSubject"]
    subject[undefined] = "값"
    try:
        expected = oracle_undefined(document)
    except jsonld.JsonLdError:
        return
    assert find_undefined_terms(document) == expected


def test_strict_mode_refuses_undefined_terms_in_the_same_pass(now: datetime) -> None:
    """strict=True names every undefined property and type, sorted, on the fast path."""
    document = sample_credential(now=now).to_json()
    document["credentialSubject"]["favouriteColour"] = "파랑"
    document["credentialSubject"]["achievement"]["type"] = ["Achievement", "MysteryType"]
    before = fallback_count()
    with pytest.raises(UndefinedTerm) as info:
        canonicalize_rdfc(document, strict=True)
    assert str(info.value) == "terms not defined by any context: MysteryType, favouriteColour"
    assert fallback_count() == before
    assert find_undefined_terms(document) == ["MysteryType", "favouriteColour"]


def test_strict_mode_agrees_on_the_fallback_path(now: datetime) -> None:
    """The same message when a language-tagged value sends the document to pyld."""
    document = sample_credential(now=now).to_json()
    document["credentialSubject"]["favouriteColour"] = "파랑"
    document["description"] = {"@value": "설명", "@language": "ko"}
    before = fallback_count()
    with pytest.raises(UndefinedTerm, match=r"^terms not defined by any context: favouriteColour$"):
        canonicalize_rdfc(document, strict=True)
    assert fallback_count() == before + 1


def test_strict_output_equals_plain_output_when_everything_is_defined(now: datetime) -> None:
    """The sentinel vocabulary changes nothing when no term is undefined."""
    document = sample_credential(now=now).to_json()
    assert canonicalize_rdfc(document, strict=True) == canonicalize_rdfc(document)


# ---------------------------------------------------------------------------------------
# Fallbacks and the context cache


@pytest.mark.parametrize(
    "change",
    [
        {"description": {"@value": "설명", "@language": "ko"}},
        {"description": {"@value": "설명", "@direction": "rtl"}},
        {"@reverse": {"https://example.org/p": {"id": "https://example.org/x"}}},
        {"@included": [{"id": "https://example.org/y", "name": "y"}]},
        {"description": ["a", ["b"]]},
        {"id": "relative/credential"},
        {"@context": [*OB_CONTEXTS, {"@language": "ko"}]},
        {
            "@context": [
                *OB_CONTEXTS,
                {"tags": {"@id": "https://example.org/t", "@container": "@index"}},
            ],
            "tags": {"a": "x"},
        },
        {"extra": {"@set": ["a", "b"]}},
        {"extra": float("inf")},
    ],
    ids=[
        "language",
        "direction",
        "reverse",
        "included",
        "nested-array",
        "relative-id",
        "default-language",
        "index-map",
        "set-object",
        "infinity",
    ],
)
def test_unsupported_features_fall_back_to_pyld(change: dict[str, Any], now: datetime) -> None:
    """Features the fast path does not prove go to pyld, are counted, and stay identical."""
    extra = {"extra": "https://example.org/extra"}
    document = {**sample_credential(now=now).to_json(), "@context": [*OB_CONTEXTS, extra]}
    document.update(change)
    with pytest.raises(Unsupported):
        to_quads(document)
    before = fallback_count()
    try:
        expected = oracle(document)
    except jsonld.JsonLdError:
        with pytest.raises(InvalidJsonLd):
            canonicalize_rdfc(document)
    else:
        assert canonicalize_rdfc(document) == expected
    assert fallback_count() == before + 1


def test_contexts_are_processed_once(now: datetime) -> None:
    """The processed context for a context list is one cached object, reused per call."""
    document = sample_credential(now=now).to_json()
    canonicalize_rdfc(document)
    first = INITIAL.process(document["@context"])
    canonicalize_rdfc(document)
    assert INITIAL.process(document["@context"]) is first
    credential_type = first.terms["VerifiableCredential"]
    assert credential_type is not None
    scoped = first.process_term(credential_type, propagate=False)
    assert first.process_term(credential_type, propagate=False) is scoped
    assert scoped.previous is first


def test_embedded_contexts_do_not_grow_the_cache(now: datetime) -> None:
    """A document's own embedded contexts are processed per call and never cached."""
    base = sample_credential(now=now).to_json()
    canonicalize_rdfc(base)
    cached = len(INITIAL.children)
    for n in range(50):
        document = {
            **base,
            "@context": [*base["@context"], {f"term{n}": f"https://example.org/{n}"}],
        }
        assert canonicalize_rdfc(document) == canonicalize_rdfc(base)
    assert len(INITIAL.children) == cached


@pytest.mark.slow
def test_many_identical_embedded_credentials(
    now: datetime, ed25519_signer: PrivateKeySigner
) -> None:
    """Identical signed credentials in one CLR (identical proofs in named graphs) need
    N-degree hashing: the output is pyld's, and 101 copies stay within the work budget."""
    signed = sign_credential(sample_credential(now=now), proof_signer=ed25519_signer, now=now)

    def clr(copies: int) -> dict[str, Any]:
        return build_clr(
            credential_id=f"{BASE_URL}/clr/many",
            issuer=sample_issuer(),
            subject_id="urn:uuid:6a0e2f8c-1b7d-4e5a-9c3f-0d8b2a4e6f10",
            credentials=[signed.credential] * copies,
            name="여러 배지",
            now=now,
        ).to_json()

    assert_fast_and_identical(clr(3))
    assert canonicalize_rdfc(clr(101)).count("_:c14n605 ") > 0


def _raw_pyld(document: Mapping[str, Any]) -> str:
    result: str = jsonld.normalize(
        dict(document),
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": document_loader,
        },
    )
    return result


@pytest.mark.parametrize("path", ["fast", "fallback"])
def test_control_characters_follow_the_recommendation(path: str, now: datetime) -> None:
    """\\b, \\f, U+000B, U+007F and U+0000 are escaped as RDFC-1.0 requires, on both paths.

    This is the one place our bytes differ from pyld's (which writes them raw), so
    credentials holding such characters get different signatures than pyld would make.
    """
    document = sample_credential(now=now).to_json()
    document["name"] = "a\bb\fc\x0bd\x7fe\x00f\tg"
    if path == "fallback":
        document["description"] = {"@value": "설명", "@language": "ko"}
    before = fallback_count()
    ours = canonicalize_rdfc(document)
    assert fallback_count() == before + (path == "fallback")
    assert '"a\\bb\\fc\\u000Bd\\u007Fe\\u0000f\\tg"' in ours
    assert ours == oracle(document)
    raw = _raw_pyld(document)
    assert ours != raw
    assert '"a\bb\fc\x0bd\x7fe\x00f\\tg"' in raw
