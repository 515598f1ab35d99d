"""Demo data: two training providers, four courses, five learners and their badges.

``baeji demo`` runs :func:`seed` so that a newcomer sees real, verifiable badges at once:
one learner (김민준) holds badges of both providers, one course builds on another (so
the learner's record links them), and one badge is revoked. The learners and addresses
are invented (``example.kr`` is not a real mail domain). Running it again reuses what
exists, prints fresh API keys and a fresh (full) wallet link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from issuer.achievements import service as catalog
from issuer.certification import service as certifying
from issuer.credentials import service as services
from issuer.credentials import status_changes
from issuer.db import Work
from issuer.issuers import service as accounts
from issuer.learners import service as learners
from issuer.models import Achievement, Credential, Issuer
from issuer.schemas import AchievementCreate, BatchRow, CriteriaIn, IssuerCreate

SLUG = "demo"
SECOND_SLUG = "demo-nuri"


@dataclass(frozen=True)
class _Provider:
    slug: str
    name: str
    description: str
    email: str


_PROVIDERS = (
    _Provider(
        SLUG,
        "한빛 디지털 아카데미 (데모)",
        "AI·데이터·클라우드 실무 과정을 운영하는 Baeji 데모용 교육기관입니다.",
        "badges@example.kr",
    ),
    _Provider(
        SECOND_SLUG,
        "누리 ICT 교육센터 (데모)",
        "지역 ICT 인재를 위한 심화 과정을 운영하는 Baeji 데모용 교육센터입니다.",
        "nuri@example.kr",
    ),
)

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
        credits_available=2,
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
        credits_available=3,
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
        credits_available=4,
        in_language="ko",
    ),
)
# (course index, index of the course it builds on) among _ACHIEVEMENTS.
_BUILDS_ON = ((2, 0),)

_SECOND_ACHIEVEMENT = AchievementCreate(
    name="MLOps 모델 배포 심화",
    description="학습된 모델을 컨테이너로 패키징하고 클라우드에 배포·모니터링하는 "
    "48시간 심화 과정.",
    criteria=CriteriaIn(
        narrative="모델 서빙 파이프라인을 구축하고 부하 테스트 결과 보고서를 제출했습니다."
    ),
    achievement_type="Course",
    tag=["MLOps", "클라우드", "AI"],
    field_of_study="인공지능",
    credits_available=3,
    in_language="ko",
)
# The second provider's course builds on the first provider's cloud course.
_SECOND_BUILDS_ON = 1

# (name, email, {course index: grade}) of the first provider.
_LEARNERS = (
    ("김민준", "minjun.kim@example.kr", {0: "A+", 1: "A", 2: "A"}),
    ("이서연", "seoyeon.lee@example.kr", {0: "A", 2: "B+"}),
    ("박지호", "jiho.park@example.kr", {0: "B+", 1: "A"}),
    ("최유나", "yuna.choi@example.kr", {1: "A+"}),
    ("정하늘", "haneul.jung@example.kr", {0: "B", 2: "B"}),
)
# (name, email, grade) of the second provider.
_SECOND_LEARNERS = (
    ("김민준", "minjun.kim@example.kr", "A+"),
    ("최유나", "yuna.choi@example.kr", "A"),
)
_REVOKED = ("haneul.jung@example.kr", 2, "최종 발표 심사 결과 정정에 따라 취소")
# Days before now each course ended: the badges are dated as a real history would be.
_FINISHED_DAYS_AGO = {0: 160, 1: 95, 2: 30}
_SECOND_FINISHED_DAYS_AGO = 7
_DEMO_LEARNER = "minjun.kim@example.kr"


def seed(work: Work) -> list[str]:
    """Create (or reuse) the demo data and return a summary to print."""
    session, settings, now = work.session, work.settings, work.now
    lines: list[str] = []
    issuers: list[tuple[Issuer, str]] = []
    created_any = False
    for provider in _PROVIDERS:
        issuer = session.exec(select(Issuer).where(Issuer.slug == provider.slug)).first()
        if issuer is None:
            data = IssuerCreate(
                slug=provider.slug,
                name=provider.name,
                url=settings.base_url,
                email=provider.email,
                description=provider.description,
            )
            issuer, token = accounts.create_issuer(work, data)
            if provider.slug == SLUG:
                _issue_first(work.acting_for(issuer))
                # The first provider is a certified "Digital Leaders Club" member.
                certifying.certify(
                    work,
                    issuer,
                    programme="leaders-club",
                    until=now + timedelta(days=365),
                )
            else:
                _issue_second(work.acting_for(issuer))
            created_any = True
        else:
            token = accounts.create_api_key(work.acting_for(issuer), name="demo")
        issuers.append((issuer, token))
    lines.append(
        "created the demo providers, 4 courses and the learners' badges"
        if created_any
        else "the demo providers exist already; here are new API keys for them"
    )
    for issuer, token in issuers:
        lines += [
            f"issuer:   {issuer.name}  {settings.url('issuers', issuer.slug)}",
            f"DID:      {issuer.did}",
            f"API key:  {token}",
        ]
    credentials = session.exec(
        select(Credential)
        .where(col(Credential.issuer_id).in_([issuer.pk for issuer, _ in issuers]))
        .order_by(col(Credential.issuer_id), col(Credential.valid_from), col(Credential.id))
    ).all()
    lines.append("badges:")
    lines += [
        f"  {row.recipient_name or '':<4} {row.status:<9} {settings.url('credentials', row.id)}"
        for row in credentials
    ]
    learner = learners.find_learner(work, _DEMO_LEARNER)
    if learner is not None:
        newest = next(
            (
                row
                for row in sorted(credentials, key=lambda c: c.valid_from, reverse=True)
                if row.learner_id == learner.id and row.status == "active"
            ),
            None,
        )
        with work.write():
            # The operator's own command: a full link, so a newcomer sees both providers.
            wallet_url = learners.new_wallet_url(work, learner.id, issuer_id=None)
        lines += [
            "",
            "open in a browser:",
            f"  김민준's wallet (badges of both providers): {wallet_url}",
        ]
        if newest is not None:
            lines.append(
                f"  a badge's verification page:  {settings.url('credentials', newest.id)}"
            )
        lines.append(f"  verify a file or a link:       {settings.url('verify')}")
    lines.append(f"API docs: {settings.url('api', 'docs')}")
    return lines


def _award(
    name: str, email: str, achievement_id: str, grade: str, credits: float, ago: int, now: datetime
) -> dict[str, Any]:
    ended = (now - timedelta(days=ago)).replace(microsecond=0)
    return {
        "achievementId": achievement_id,
        "recipient": {"email": email, "name": name},
        "validFrom": ended.isoformat(),
        "activityStartDate": (ended - timedelta(days=42)).isoformat(),
        "activityEndDate": ended.isoformat(),
        "creditsEarned": credits,
        "term": f"{ended.year}년 {1 if ended.month <= 6 else 2}기",
        "result": [{"status": "Completed", "value": grade}],
    }


def _issue_first(work: Work) -> None:
    """Create the first provider's courses and issue (and revoke) its learners' badges."""
    now = work.now
    achievements: list[Achievement] = []
    for index, data in enumerate(_ACHIEVEMENTS):
        prerequisites = [achievements[p].id for i, p in _BUILDS_ON if i == index]
        achievements.append(
            catalog.create_achievement(work, data.model_copy(update={"builds_on": prerequisites}))
        )
    rows = [
        BatchRow.model_validate(
            _award(
                name,
                email,
                achievements[index].id,
                grade,
                float(_ACHIEVEMENTS[index].credits_available or 0),
                _FINISHED_DAYS_AGO[index],
                now,
            )
        )
        for name, email, grades in _LEARNERS
        for index, grade in grades.items()
    ]
    outcome = services.issue_batch(work, rows, idempotency_key="demo-seed")
    email, index, reason = _REVOKED
    for row, issued in zip(rows, outcome.issued, strict=True):
        if row.recipient.email == email and row.achievement_id == achievements[index].id:
            status_changes.change_status(
                work,
                issued.credential.id,
                "revoke",
                reason=reason,
            )


def _issue_second(work: Work) -> None:
    """Create the second provider's course (building on one of the first's) and its badges."""
    now = work.now
    first = work.session.exec(select(Issuer).where(Issuer.slug == SLUG)).one()
    prerequisite = next(
        row
        for row in catalog.list_achievements(work.session, first)
        if row.name == _ACHIEVEMENTS[_SECOND_BUILDS_ON].name
    )
    course = catalog.create_achievement(
        work,
        _SECOND_ACHIEVEMENT.model_copy(update={"builds_on": [prerequisite.id]}),
    )
    rows = [
        BatchRow.model_validate(
            _award(
                name,
                email,
                course.id,
                grade,
                float(_SECOND_ACHIEVEMENT.credits_available or 0),
                _SECOND_FINISHED_DAYS_AGO,
                now,
            )
        )
        for name, email, grade in _SECOND_LEARNERS
    ]
    services.issue_batch(work, rows, idempotency_key="demo-seed")
