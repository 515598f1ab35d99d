"""Realistic sample credentials for tests: Korean and English text, results, alignment, evidence."""

from __future__ import annotations

from datetime import datetime

from badges import (
    Achievement,
    Alignment,
    BitstringStatusListEntry,
    Criteria,
    Evidence,
    OpenBadgeCredential,
    Profile,
    Result,
    ResultDescription,
    build_credential,
    email_identity,
    status_entry,
)

ISSUER_DID = "did:web:badges.example.kr:issuers:hanbit"
BASE_URL = "https://badges.example.kr"


def sample_issuer(did: str = ISSUER_DID) -> Profile:
    """A regional ICT training centre."""
    return Profile(
        id=did,
        name="한빛 디지털 혁신 아카데미",
        url="https://hanbit.example.kr",
        email="badges@hanbit.example.kr",
    )


def sample_achievement(name: str = "인공지능 기초 과정 (AI Fundamentals)") -> Achievement:
    """A course with a competency alignment, a result description and Korean text."""
    return Achievement(
        id=f"{BASE_URL}/achievements/3b1f7c2e-5d0a-4c1e-9a63-2f4e8d9b0c11",
        name=name,
        description="파이썬과 scikit-learn으로 지도학습·비지도학습의 기초를 익히는 80시간 과정.",
        criteria=Criteria(narrative="출석률 80% 이상, 최종 프로젝트 평가 70점 이상."),
        achievement_type="Course",
        alignment=[
            Alignment(
                target_name="인공지능 모델링 (NCS 2001010101)",
                target_url="https://www.ncs.go.kr/unity/th03/ncsSearchMain.do",
                target_code="2001010101",
                target_framework="국가직무능력표준 (NCS)",
            )
        ],
        result_description=[
            ResultDescription(
                id=f"{BASE_URL}/achievements/3b1f7c2e/results/score",
                name="최종 평가 점수",
                result_type="Percent",
                value_min="0",
                value_max="100",
            )
        ],
        credits_available=3.0,
        tag=["인공지능", "머신러닝", "Python"],
        in_language="ko",
    )


def _status_entries(index: int, *, suspension: bool) -> list[BitstringStatusListEntry]:
    entries = [status_entry(f"{BASE_URL}/status/1", index, "revocation")]
    if suspension:
        entries.append(status_entry(f"{BASE_URL}/status/2", index, "suspension"))
    return entries


def sample_credential(
    *,
    now: datetime,
    credential_id: str = f"{BASE_URL}/credentials/9f0c2a4e-8b1d-4f3a-b6e5-1c7d2e9a0f44",
    issuer_did: str = ISSUER_DID,
    name: str = "인공지능 기초 과정 (AI Fundamentals)",
    email: str = "kim.jiwoo@example.com",
    valid_until: datetime | None = None,
    status_index: int = 48213,
    suspension: bool = True,
) -> OpenBadgeCredential:
    """An unsigned credential for 김지우 with a result, evidence and status entries.

    ``suspension=False`` gives what Baeji issues by default: one revocation entry, written
    as one ``credentialStatus`` object. The default (two entries) keeps the golden files.
    """
    return build_credential(
        credential_id=credential_id,
        issuer=sample_issuer(issuer_did),
        achievement=sample_achievement(name),
        subject_id="urn:uuid:6a0e2f8c-1b7d-4e5a-9c3f-0d8b2a4e6f10",
        identifier=[email_identity(email, salt="f3a9c1d27b8e4560")],
        now=now,
        valid_until=valid_until,
        results=[
            Result(result_description=f"{BASE_URL}/achievements/3b1f7c2e/results/score", value="92")
        ],
        evidence=[
            Evidence(
                id=f"{BASE_URL}/evidence/capstone-kim",
                name="최종 프로젝트: 서울시 따릉이 수요 예측",
                narrative="공공데이터 기반 회귀 모델 보고서",
            )
        ],
        status=_status_entries(status_index, suspension=suspension),
        term="2026년 1학기",
    )
