"""Demo data: a training provider, three courses, five learners and their badges.

``baeji demo`` runs :func:`seed` so that a newcomer sees real, verifiable badges at once.
The learners and addresses are invented (``example.kr`` is not a real mail domain). Running
it again reuses what exists and prints a fresh API key.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from issuer import accounts, catalog, services
from issuer.config import Settings
from issuer.models import Credential, Issuer
from issuer.schemas import AchievementCreate, BatchRow, CriteriaIn, IssuerCreate

SLUG = "demo"

_ACHIEVEMENTS = (
    AchievementCreate(
        name="파이썬 데이터 분석 기초",
        description="Python과 pandas로 공공데이터를 정제·분석·시각화하는 40시간 입문 과정.",
        criteria=CriteriaIn(
            narrative="40시간 중 80% 이상 출석하고, 공공데이터 분석 프로젝트를 제출하여 "
            "70점 이상을 받았습니다."
        ),
        achievement_type="Course",
        tag=["데이터", "Python", "pandas"],
        field_of_study="데이터 분석",
        credits_available=40,
        in_language="ko",
    ),
    AchievementCreate(
        name="클라우드 인프라 구축 실무",
        description="가상 네트워크, 컨테이너, 관리형 데이터베이스로 웹 서비스를 배포하고 "
        "운영하는 60시간 실무 과정.",
        criteria=CriteriaIn(
            narrative="실습 과제 6개를 모두 통과하고, 3계층 웹 서비스를 직접 배포·시연했습니다."
        ),
        achievement_type="Course",
        tag=["클라우드", "컨테이너", "DevOps"],
        field_of_study="클라우드 컴퓨팅",
        credits_available=60,
        in_language="ko",
    ),
    AchievementCreate(
        name="생성형 AI 서비스 개발",
        description="대규모 언어 모델 API와 검색 증강 생성(RAG)으로 업무용 AI 서비스를 만드는 "
        "부트캠프.",
        criteria=CriteriaIn(
            narrative="팀 프로젝트로 RAG 기반 챗봇을 완성하고 최종 발표 심사를 통과했습니다."
        ),
        achievement_type="Course",
        tag=["AI", "LLM", "RAG"],
        field_of_study="인공지능",
        credits_available=80,
        in_language="ko",
    ),
)

# (name, email, indexes of the achievements they completed)
_LEARNERS = (
    ("김민준", "minjun.kim@example.kr", (0, 1, 2)),
    ("이서연", "seoyeon.lee@example.kr", (0, 2)),
    ("박지호", "jiho.park@example.kr", (0, 1)),
    ("최유나", "yuna.choi@example.kr", (1,)),
    ("정하늘", "haneul.jung@example.kr", (0, 2)),
)
_REVOKED = ("haneul.jung@example.kr", 2, "최종 발표 심사 결과 정정에 따라 취소")


def seed(session: Session, settings: Settings, *, actor: str) -> list[str]:
    """Create (or reuse) the demo data and return a summary to print."""
    now = settings.clock()
    lines: list[str] = []
    issuer = session.exec(select(Issuer).where(Issuer.slug == SLUG)).first()
    if issuer is None:
        data = IssuerCreate(
            slug=SLUG,
            name="한빛 디지털 아카데미 (데모)",
            url=settings.base_url,
            email="badges@example.kr",
            description="Baeji 데모용 교육기관입니다.",
        )
        issuer, token = accounts.create_issuer(session, settings, data, now=now, actor=actor)
        _issue(session, settings, issuer, actor=actor)
        lines.append("created the demo issuer, 3 courses and 5 learners' badges")
    else:
        token = accounts.create_api_key(session, issuer, name="demo", now=now, actor=actor)
        lines.append("the demo issuer exists already; here is a new API key for it")
    credentials = session.exec(
        select(Credential)
        .where(Credential.issuer_id == issuer.pk)
        .order_by(col(Credential.issued_at))
    ).all()
    lines += [
        f"issuer:   {issuer.name}  {settings.url('issuers', SLUG)}",
        f"DID:      {issuer.did}",
        f"API key:  {token}",
        "badges:",
    ]
    lines += [
        f"  {row.recipient_name or '':<4} {row.status:<9} {settings.url('credentials', row.id)}"
        for row in credentials
    ]
    lines.append(f"API docs: {settings.url('api', 'docs')}")
    return lines


def _issue(session: Session, settings: Settings, issuer: Issuer, *, actor: str) -> None:
    achievements = [
        catalog.create_achievement(
            session, settings, issuer, data, now=settings.clock(), actor=actor
        )
        for data in _ACHIEVEMENTS
    ]
    rows = [
        BatchRow.model_validate(
            {
                "achievementId": achievements[index].id,
                "recipient": {"email": email, "name": name},
            }
        )
        for name, email, completed in _LEARNERS
        for index in completed
    ]
    outcome = services.issue_batch(
        session,
        settings,
        issuer,
        rows,
        now=settings.clock(),
        actor=actor,
        idempotency_key="demo-seed",
    )
    email, index, reason = _REVOKED
    for row, issued in zip(rows, outcome.issued, strict=True):
        if row.recipient.email == email and row.achievement_id == achievements[index].id:
            services.change_status(
                session,
                settings,
                issuer,
                issued.credential.id,
                "revoke",
                reason=reason,
                now=settings.clock(),
                actor=actor,
            )
