"""Korean and English for the service's pages: language choice, texts, dates, numbers.

Korean comes first for Korean browsers; English is the fallback. A ``lang`` query
parameter or cookie (set by the language switch) overrides ``Accept-Language``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "en"
# Dates on pages are shown in Korea Standard Time for Korean and in UTC for English,
# each labelled, so a printed certificate is never ambiguous.
_KST = ZoneInfo("Asia/Seoul")


def negotiate_language(accept_language: str | None, *, override: str | None = None) -> str:
    """Pick ``ko`` or ``en`` from an explicit choice or an ``Accept-Language`` header.

    Quality values are honoured (``en;q=0.9, ko;q=0.8`` gives English); unknown or
    malformed entries are skipped.
    """
    if override in LANGUAGES:
        return str(override)
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        # Strictly greater: earlier entries win ties, as browsers list them by preference.
        if quality > best_q and quality > 0:
            best, best_q = primary, quality
    return best


def format_date(value: datetime | None, lang: str) -> str:
    """Format a date for people: ``2026년 3월 2일`` or ``2 March 2026``."""
    if value is None:
        return ""
    if lang == "ko":
        local = value.astimezone(_KST)
        return f"{local.year}년 {local.month}월 {local.day}일"
    return f"{value.day} {value.strftime('%B')} {value.year}"


def format_datetime(value: datetime | None, lang: str) -> str:
    """Format a timestamp with its time zone (KST for Korean, UTC for English)."""
    if value is None:
        return ""
    if lang == "ko":
        local = value.astimezone(_KST)
        return f"{format_date(value, lang)} {local:%H:%M} (KST)"
    utc = value.astimezone(ZoneInfo("UTC"))
    return f"{format_date(utc, lang)}, {utc:%H:%M} UTC"


def format_number(value: float | int | None, lang: str) -> str:
    """Format a number with thousands separators and at most two decimals.

    Korean and English both group thousands with commas and use a decimal point.
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,}"


# -- page texts -----------------------------------------------------------------------------
# key -> (English, Korean). Verdict words and check texts are not here: they come from the
# verify package (Verdict.label, CheckResult.message), so the pages and `baeji verify` agree.
# Texts are str.format templates; the values filled in are escaped by the templates.

_VERDICT_HEADLINES = {
    "valid": (("Valid badge", "유효한 배지"), ("Valid learning record", "유효한 학습 이력")),
    "revoked": (
        ("Revoked badge", "취소된 배지"),
        ("Record with a revoked badge", "취소된 배지가 있는 학습 이력"),
    ),
    "suspended": (
        ("Suspended badge", "일시 정지된 배지"),
        ("Record with a suspended badge", "정지된 배지가 있는 학습 이력"),
    ),
    "expired": (
        ("Expired badge", "만료된 배지"),
        ("Record with an expired badge", "만료된 배지가 있는 학습 이력"),
    ),
    "not-yet-valid": (
        ("Badge not valid yet", "아직 유효하지 않은 배지"),
        ("Record not valid yet", "아직 유효하지 않은 학습 이력"),
    ),
    "invalid": (
        ("Invalid badge", "유효하지 않은 배지"),
        ("Invalid learning record", "유효하지 않은 학습 이력"),
    ),
    "unverifiable": (
        ("Could not verify this badge", "확인할 수 없는 배지"),
        ("Could not verify this record", "확인할 수 없는 학습 이력"),
    ),
    "recipient-mismatch": (
        ("Genuine badge, not issued to this e-mail", "진본이지만 이 이메일로 발급되지 않은 배지"),
        (
            "Genuine record, not issued to this e-mail",
            "진본이지만 이 이메일로 발급되지 않은 학습 이력",
        ),
    ),
    "unreadable": (
        ("We could not read a badge here", "배지를 읽지 못했습니다"),
        ("We could not read a badge here", "배지를 읽지 못했습니다"),
    ),
}
_OTHER_HEADLINES = {
    "valid": ("Valid credential", "유효한 자격증명"),
    "revoked": ("Revoked credential", "취소된 자격증명"),
    "suspended": ("Suspended credential", "일시 정지된 자격증명"),
    "expired": ("Expired credential", "만료된 자격증명"),
    "not-yet-valid": ("Credential not valid yet", "아직 유효하지 않은 자격증명"),
    "invalid": ("Not a valid credential", "유효하지 않은 자격증명"),
    "unverifiable": ("Could not verify", "확인할 수 없음"),
    "recipient-mismatch": ("Not issued to this e-mail", "이 이메일로 발급되지 않음"),
    "unreadable": ("We could not read a badge here", "배지를 읽지 못했습니다"),
}

MESSAGES: dict[str, tuple[str, str]] = {
    **{
        f"verdict.{verdict}.{kind}": texts
        for verdict, (badge, record) in _VERDICT_HEADLINES.items()
        for kind, texts in (("badge", badge), ("record", record))
    },
    **{f"verdict.{verdict}.other": texts for verdict, texts in _OTHER_HEADLINES.items()},
    "verdict.result": ("Result:", "검증 결과:"),
    "verdict.checked_at": ("checked {when}", "{when} 확인"),
    "explain.valid": (
        "The issuer's digital signature checks out, and the issuer has neither revoked nor "
        "suspended it. It is within its validity period.",
        "발급 기관의 전자서명이 확인되었고, 취소되거나 정지되지 않았으며 유효 기간 안에 있습니다.",
    ),
    "explain.revoked": (
        "The issuer has withdrawn this for good. It no longer counts as evidence.",
        "발급 기관이 이 배지를 취소했습니다. 더 이상 증빙으로 인정되지 않습니다.",
    ),
    "explain.suspended": (
        "The issuer has suspended this for now. It counts again only if the suspension is lifted.",
        "발급 기관이 이 배지를 일시 정지했습니다. 정지가 풀려야 다시 유효합니다.",
    ),
    "explain.expired": (
        "Its validity period has ended.",
        "유효 기간이 지났습니다.",
    ),
    "explain.not-yet-valid": (
        "Its validity period has not started yet.",
        "유효 기간이 아직 시작되지 않았습니다.",
    ),
    "explain.invalid": (
        "It may be forged or altered. See the checks that failed below.",
        "위조되었거나 변경되었을 수 있습니다. 아래에서 실패한 항목을 확인하세요.",
    ),
    "explain.recipient-mismatch": (
        "The issuer's signature checks out, so the badge itself is genuine, but it was not "
        "issued to the e-mail address you gave.",
        "발급 기관의 전자서명이 확인되어 배지 자체는 진본이지만, 입력하신 이메일 주소로 "
        "발급된 배지가 아닙니다.",
    ),
    "explain.unreadable": (
        "We could not read a badge here — try a sharper photo or the original file "
        "(the PNG, SVG or JSON the learner received).",
        "여기에서 배지를 읽지 못했습니다 — 더 선명한 사진이나 원본 파일(학습자가 받은 PNG, "
        "SVG 또는 JSON)로 다시 시도해 주세요.",
    ),
    "explain.key_compromised": (
        "The issuer declared the key that signed this badge compromised, so nothing it "
        "signed can be trusted. Ask the issuer for a newly issued badge.",
        "발급 기관이 이 배지에 서명한 키가 유출되었다고 신고했습니다. 그 키로 서명된 것은 "
        "신뢰할 수 없으니, 발급 기관에 새로 발급된 배지를 요청하세요.",
    ),
    "summary.unverified": ("Unverified content", "검증되지 않은 내용"),
    "summary.unverified_note": (
        "The signature does not check out, so what follows is only what the file claims.",
        "서명이 확인되지 않아, 아래는 파일이 주장하는 내용일 뿐입니다.",
    ),
    "issuer.key_compromised": (
        "The issuer declared the key that signed this compromised",
        "발급 기관이 이 배지에 서명한 키가 유출되었다고 신고했습니다",
    ),
    "explain.unverifiable": (
        "The check could not be completed right now (for example, the issuer's status "
        "list could not be reached). Do not treat it as valid; try again later.",
        "지금은 확인을 마칠 수 없습니다(예: 발급 기관의 상태 목록에 연결할 수 없음). "
        "유효하다고 보지 마시고 잠시 후 다시 확인하세요.",
    ),
    "kind.badge": ("Digital badge · Open Badges 3.0", "디지털 배지 · Open Badges 3.0"),
    "kind.record": ("Learning record · CLR 2.0", "학습 이력 · CLR 2.0"),
    "kind.other": ("Credential", "자격증명"),
    # OB 3.0 AchievementType values, as people say them (the machine value stays in JSON).
    **{
        f"achievement_type.{value}": texts
        for value, texts in {
            "Achievement": ("Achievement", "성취"),
            "ApprenticeshipCertificate": ("Apprenticeship certificate", "도제 수료증"),
            "Assessment": ("Assessment", "평가"),
            "Assignment": ("Assignment", "과제"),
            "AssociateDegree": ("Associate degree", "전문학사"),
            "Award": ("Award", "수상"),
            "Badge": ("Badge", "배지"),
            "BachelorDegree": ("Bachelor's degree", "학사 학위"),
            "Certificate": ("Certificate", "수료증"),
            "CertificateOfCompletion": ("Certificate of completion", "이수증"),
            "Certification": ("Certification", "자격 인증"),
            "CommunityService": ("Community service", "사회봉사"),
            "Competency": ("Competency", "역량"),
            "Course": ("Course", "교육 과정"),
            "CoCurricular": ("Co-curricular activity", "비교과 활동"),
            "Degree": ("Degree", "학위"),
            "Diploma": ("Diploma", "졸업장"),
            "DoctoralDegree": ("Doctoral degree", "박사 학위"),
            "Fieldwork": ("Fieldwork", "현장 실습"),
            "License": ("Licence", "면허"),
            "Membership": ("Membership", "회원 자격"),
            "MasterDegree": ("Master's degree", "석사 학위"),
            "MicroCredential": ("Micro-credential", "마이크로 크리덴셜"),
            "LearningProgram": ("Learning programme", "학습 프로그램"),
        }.items()
    },
    "result.Completed": ("Completed", "이수 완료"),
    "result.Enrolled": ("Enrolled", "수강 중"),
    "result.Failed": ("Not passed", "미이수"),
    "result.InProgress": ("In progress", "진행 중"),
    "result.OnHold": ("On hold", "보류"),
    "result.Provisional": ("Provisional", "잠정"),
    "result.Withdrew": ("Withdrew", "수강 철회"),
    # navigation and frame
    "nav.skip": ("Skip to content", "본문으로 건너뛰기"),
    "nav.label": ("Main", "주 메뉴"),
    "nav.verify": ("Verify a badge", "배지 확인하기"),
    "nav.language": ("Language", "언어"),
    "footer.about": (
        "Baeji verifies Open Badges 3.0 digital badges with the issuer's own published keys "
        "and live revocation lists.",
        "Baeji는 발급 기관이 공개한 키와 실시간 취소 목록으로 Open Badges 3.0 디지털 배지를 "
        "확인합니다.",
    ),
    # home
    "home.tagline": ("Digital badges you can verify", "믿고 확인하는 디지털 배지"),
    "home.heading": ("Digital badges you can verify", "믿고 확인하는 디지털 배지"),
    "home.lead": (
        "Training providers issue signed Open Badges 3.0 credentials; every learner's badges "
        "add up to one verifiable history; employers see at once whether a badge is genuine.",
        "교육기관은 전자서명된 Open Badges 3.0 배지를 발급하고, 학습자의 배지는 하나의 "
        "검증 가능한 이력으로 쌓이며, 채용 담당자는 배지가 진짜인지 바로 확인합니다.",
    ),
    "home.api": ("API documentation", "API 문서"),
    "home.learners": ("Learners", "학습자"),
    "home.learners_text": (
        "A training provider's wallet link shows the badges it issued you. The link e-mailed "
        "to you, or two providers' links added together, shows every badge from every "
        "provider and a signed record of your whole history.",
        "교육기관이 준 지갑 링크에서는 그 기관이 발급한 배지를 볼 수 있습니다. 이메일로 받은 "
        "링크나, 두 기관의 링크를 합친 링크에서는 모든 기관의 배지와 서명된 전체 학습 이력을 "
        "볼 수 있습니다.",
    ),
    "home.employers": ("Employers", "채용 담당자"),
    "home.employers_text": (
        "Scan the QR code on a certificate, or upload the file a candidate sent you.",
        "증명서의 QR 코드를 스캔하거나 지원자가 보낸 파일을 올려 확인하세요.",
    ),
    "home.providers": ("Training providers", "교육기관"),
    "home.providers_text": (
        "Issue badges one by one or a whole cohort from CSV, through the REST API or the "
        "baeji command.",
        "REST API나 baeji 명령으로 배지를 한 명씩, 또는 CSV로 한 기수 전체에 발급합니다.",
    ),
    "home.demo": ("Demo provider:", "데모 교육기관:"),
    # verification page
    "verification.kicker": (
        "Badge verification · checked just now",
        "배지 진위 확인 · 방금 확인한 결과",
    ),
    "summary.issuer": ("Issued by", "발급 기관"),
    "summary.awarded_to": ("Awarded to {name}", "수여자: {name}"),
    "summary.valid_from": ("Issued on", "발급일"),
    "summary.valid_until": ("Valid until", "유효 기한"),
    "summary.no_expiry": ("No expiry date", "기한 없음"),
    "summary.activity": ("Course period", "교육 기간"),
    "summary.term": ("Term", "기수·학기"),
    "summary.result": ("Result", "결과"),
    "summary.credits": ("Credits", "학점"),
    "summary.credits_value": ("{credits} credits", "{credits}학점"),
    "summary.description": ("About the course", "과정 설명"),
    "summary.criteria": ("How it was earned", "이수 기준"),
    "summary.evidence": ("Evidence", "증빙"),
    "summary.untitled": ("(no name)", "(이름 없음)"),
    "summary.unknown_issuer": ("(unknown issuer)", "(알 수 없는 발급자)"),
    "summary.badge_image": ("Badge image: {name}", "배지 이미지: {name}"),
    "issuer.registered": ("Registered on this platform", "이 플랫폼에 등록된 기관"),
    "issuer.platform": ("Signed by this platform", "이 플랫폼이 서명함"),
    "issuer.not_registered": (
        "Not registered on this platform",
        "이 플랫폼에 등록되지 않은 발급자",
    ),
    "issuer.profile_link": ("Provider profile", "기관 정보 보기"),
    "email.heading": ("Is this the candidate's badge?", "지원자 본인의 배지인가요?"),
    "email.explain": (
        "Type the e-mail address the candidate gave you. It is compared with the salted "
        "hash in the badge; the badge never shows the address itself.",
        "지원자가 알려 준 이메일 주소를 입력하세요. 배지에 담긴 암호화된 값(솔트 해시)과 "
        "비교하며, 배지에는 이메일 주소가 그대로 들어 있지 않습니다.",
    ),
    "email.label": ("Candidate's e-mail", "지원자 이메일"),
    "email.submit": ("Check", "확인"),
    "email.privacy": (
        "The address is used for this check only and is not stored.",
        "입력한 주소는 이 확인에만 쓰이고 저장되지 않습니다.",
    ),
    "email.result.passed": (
        "The e-mail matches this badge's recipient",
        "이메일이 이 배지의 수령인과 일치합니다",
    ),
    "email.result.failed": (
        "The e-mail does not match this badge's recipient",
        "이메일이 이 배지의 수령인과 일치하지 않습니다",
    ),
    "email.result.skipped": ("The e-mail could not be compared", "이메일을 비교할 수 없습니다"),
    "email.result.error": ("The e-mail could not be compared", "이메일을 비교할 수 없습니다"),
    "checks.heading": ("Every check", "검증 항목별 결과"),
    "checks.intro": (
        "The same checks the baeji verify command runs, in this order.",
        "baeji verify 명령과 같은 검사를 같은 순서로 실행한 결과입니다.",
    ),
    "downloads.heading": ("Downloads", "내려받기"),
    "downloads.explain": (
        "The badge exactly as issued, in each form; each one can be verified on its own.",
        "발급된 그대로의 배지입니다. 어느 형식이든 따로 검증할 수 있습니다.",
    ),
    "downloads.json": ("JSON", "JSON"),
    "downloads.jwt": ("VC-JWT", "VC-JWT"),
    "downloads.png": ("Badge image (PNG)", "배지 이미지 (PNG)"),
    "downloads.svg": ("Badge image (SVG)", "배지 이미지 (SVG)"),
    "downloads.cli": ("From a terminal:", "터미널에서 확인:"),
    # /verify
    "verify.title": ("Verify a badge", "배지 확인하기"),
    "verify.lead": (
        "Upload the file a candidate sent you, or paste a badge link, JWT or JSON. You "
        "see at once whether it is genuine, who issued it, and whether it was revoked.",
        "지원자가 보낸 파일을 올리거나 배지 링크, JWT, JSON을 붙여 넣으세요. 진짜인지, "
        "누가 발급했는지, 취소되었는지 바로 알 수 있습니다.",
    ),
    "verify.file_label": ("Badge file", "배지 파일"),
    "verify.file_hint": (
        "JSON, JWT, baked PNG or SVG badge, or a photo of the QR code (up to {size}).",
        "JSON, JWT, 배지 PNG·SVG 이미지 또는 QR 코드 사진 ({size}까지).",
    ),
    "verify.or": ("or", "또는"),
    "verify.text_label": ("Link, JWT or JSON", "링크, JWT 또는 JSON"),
    "verify.text_hint": (
        "For example https://…/credentials/… or a text starting with eyJ or {{.",
        "예: https://…/credentials/… 또는 eyJ나 {{로 시작하는 글.",
    ),
    "verify.email_label": ("Candidate's e-mail (optional)", "지원자 이메일 (선택)"),
    "verify.email_hint": (
        "Checks that the badge was awarded to this address.",
        "이 주소의 주인에게 발급된 배지인지 확인합니다.",
    ),
    "verify.submit": ("Verify", "확인하기"),
    "verify.privacy": (
        "Nothing you upload or type here is stored.",
        "여기에 올리거나 입력한 내용은 저장되지 않습니다.",
    ),
    "verify.problem_none": (
        "Choose a file or paste a link, JWT or JSON.",
        "파일을 고르거나 링크, JWT, JSON을 붙여 넣으세요.",
    ),
    "verify.problem_both": (
        "Give either a file or pasted text, not both.",
        "파일과 붙여 넣은 글 중 하나만 주세요.",
    ),
    "verify.result_kicker": (
        "Verification result · nothing was stored",
        "검증 결과 · 아무것도 저장하지 않았습니다",
    ),
    "verify.again": ("Verify another", "다른 배지 확인하기"),
    # records (CLR) and wallet
    "record.explain": (
        "A CLR 2.0 record of your {count} valid badge(s), each embedded exactly as its "
        "provider issued it, signed by this platform. It is re-issued whenever your "
        "history changes.",
        "유효한 배지 {count}개를 발급된 그대로 담고 이 플랫폼이 서명한 CLR 2.0 학습 "
        "이력입니다. 이력이 바뀌면 새로 발급됩니다.",
    ),
    "record.download_json": ("Download record (JSON)", "학습 이력 내려받기 (JSON)"),
    "record.download_jwt": ("Download record (JWT)", "학습 이력 내려받기 (JWT)"),
    "record.hint": (
        "Revoked, suspended and expired badges are left out.",
        "취소·정지·만료된 배지는 포함되지 않습니다.",
    ),
    "record.empty": (
        "None of your badges is valid right now, so there is no record to sign.",
        "지금 유효한 배지가 없어 서명할 학습 이력이 없습니다.",
    ),
    "record.members": ("Badges in this record ({count})", "이 이력에 담긴 배지 ({count}개)"),
    "record.member_details": ("Details and checks", "자세한 내용과 검증 항목"),
    "wallet.title": ("Badge wallet", "배지 지갑"),
    "wallet.kicker": ("Your private badge wallet", "나만의 배지 지갑"),
    "wallet.heading": ("Your badges", "내 배지"),
    "wallet.heading_named": ("{name}'s badges", "{name}님의 배지"),
    "wallet.private": (
        "Keep this link to yourself. Nothing here is public until you create a share page below.",
        "이 링크는 본인만 보관하세요. 아래에서 공유 페이지를 만들기 전에는 아무것도 "
        "공개되지 않습니다.",
    ),
    "wallet.badges": ("Badges ({count})", "배지 ({count}개)"),
    "wallet.no_badges": ("No badges yet.", "아직 배지가 없습니다."),
    "wallet.open": ("Verification page", "검증 페이지"),
    "wallet.qr": ("QR code", "QR 코드"),
    "wallet.download": ("Download:", "내려받기:"),
    "wallet.actions_for": ("Actions for {name}", "{name} 배지 메뉴"),
    "scope.heading": ("Badges from {provider} only", "{provider}의 배지만 보입니다"),
    "scope.explain": (
        "{provider} gave you this link, so it shows only the badges {provider} issued you. "
        "To see every badge from every provider in one place, with a signed record of your "
        "whole history, add another provider's wallet link below, or open the wallet link "
        "e-mailed to you.",
        "{provider}에서 받은 링크이므로 이 기관이 발급한 배지만 보입니다. 모든 기관의 배지와 "
        "서명된 전체 학습 이력을 한곳에서 보려면 아래에서 다른 기관의 지갑 링크를 추가하거나, "
        "이메일로 받은 지갑 링크를 여세요.",
    ),
    "scope.add_link": ("Add another provider's wallet link", "다른 기관의 지갑 링크 추가하기"),
    "merge.heading": ("Add another provider's wallet link", "다른 기관의 지갑 링크 추가"),
    "merge.explain": (
        "Did another training provider give you a wallet link? Add it here to get one new "
        "link to your whole wallet: every provider's badges and the signed record of your "
        "whole history. Your other links keep working.",
        "다른 교육기관에서도 지갑 링크를 받았나요? 여기에 추가하면 모든 기관의 배지와 서명된 "
        "전체 학습 이력을 보여 주는 새 링크를 받습니다. 기존 링크도 계속 쓸 수 있습니다.",
    ),
    "merge.label": ("Wallet link from another provider", "다른 기관의 지갑 링크"),
    "merge.hint": (
        "Paste the whole link: it starts with https:// and contains /wallet/.",
        "https://로 시작하고 /wallet/이 들어 있는 링크 전체를 붙여 넣으세요.",
    ),
    "merge.submit": ("Add link", "링크 추가"),
    "merge.invalid": (
        "That is not another wallet link of yours. Check that you pasted the whole link a "
        "training provider gave you.",
        "본인의 다른 지갑 링크가 아닙니다. 교육기관에서 받은 링크 전체를 정확히 붙여 "
        "넣었는지 확인하세요.",
    ),
    "share.heading": ("Share with employers", "채용 담당자와 공유하기"),
    "share.explain": (
        "A share page shows the chosen badges, verified live, at an address only you hand "
        "out. Take it down at any time.",
        "공유 페이지는 고른 배지를 실시간 검증 결과와 함께 보여 주며, 내가 알려 준 "
        "사람만 주소를 압니다. 언제든 내릴 수 있습니다.",
    ),
    "share.none": ("You have not shared anything.", "공유한 페이지가 없습니다."),
    "share.scope_all": ("Whole history", "전체 이력"),
    "share.scope_some": ("{count} chosen badge(s)", "고른 배지 {count}개"),
    "share.created": ("created {when}", "{when} 만듦"),
    "share.remove": ("Take down", "공유 중단"),
    "share.what": ("What to share", "무엇을 공유할까요?"),
    "share.all": (
        "My whole history (badges I receive later included)",
        "전체 이력 (앞으로 받을 배지 포함)",
    ),
    "share.selected": ("Only the badges ticked below", "아래에서 고른 배지만"),
    "share.pick": ("Badges to share", "공유할 배지"),
    "share.create": ("Create share page", "공유 페이지 만들기"),
    "share.qr_alt": ("QR code of the share page", "공유 페이지 QR 코드"),
    "sharepage.kicker": ("Shared learning record", "공유된 학습 이력"),
    "sharepage.heading": ("Learning record", "학습 이력"),
    "sharepage.heading_named": ("{name}'s learning record", "{name}님의 학습 이력"),
    "sharepage.explain": (
        "The learner chose to share these badges. Each was checked just now against its "
        "issuer's keys and revocation lists.",
        "학습자가 직접 공유한 배지입니다. 각 배지를 방금 발급 기관의 키와 취소 목록으로 "
        "확인했습니다.",
    ),
    "sharepage.empty": (
        "None of the shared badges is valid right now.",
        "공유된 배지 중 지금 유효한 배지가 없습니다.",
    ),
    "sharepage.qr_heading": ("This page", "이 페이지"),
    # certificate
    "certificate.title": ("Certificate", "증명서"),
    "certificate.heading": ("Certificate of Completion", "수료 증명서"),
    "certificate.statement_before": (
        "has successfully completed",
        "위 사람은 다음 과정을 이수하였음을 증명합니다.",
    ),
    "certificate.statement_after": (
        "This certificate is a printed copy of a digitally signed Open Badges 3.0 badge.",
        "이 증명서는 전자서명된 Open Badges 3.0 디지털 배지를 인쇄한 것입니다.",
    ),
    "certificate.verify_heading": ("Verify this certificate", "진위 확인"),
    "certificate.verify_text": (
        "Scan the QR code, or open the address below, to see whether the badge is valid.",
        "QR 코드를 스캔하거나 아래 주소를 열면 배지가 유효한지 바로 확인할 수 있습니다.",
    ),
    "certificate.qr_alt": (
        "QR code linking to this badge's verification page",
        "이 배지의 검증 페이지로 연결되는 QR 코드",
    ),
    "certificate.back": ("Back to the wallet", "지갑으로 돌아가기"),
    # provider profile
    "issuerpage.kicker": ("Training provider", "교육기관"),
    "issuerpage.website": ("Website", "웹사이트"),
    "issuerpage.email": ("Contact", "연락처"),
    "issuerpage.did": ("Identity (DID)", "신원 (DID)"),
    "issuerpage.since": ("Registered", "등록일"),
    "issuerpage.keys": ("Public keys", "공개 키"),
    "issuerpage.achievements": ("Courses ({count})", "과정 ({count}개)"),
    "issuerpage.no_achievements": ("No courses yet.", "등록된 과정이 없습니다."),
    "issuerpage.credits": ("Credits", "학점"),
    "issuerpage.field": ("Field", "분야"),
    "issuerpage.builds_on": ("Builds on", "선수 과정"),
    "issuerpage.tags": ("Tags", "태그"),
    # errors
    "error.home": ("Home", "처음으로"),
    "error.400.title": ("That request did not work", "요청을 처리할 수 없습니다"),
    "error.400.text": (
        "Something in the request was missing or malformed. Go back and try again.",
        "요청에 빠지거나 잘못된 부분이 있습니다. 돌아가서 다시 시도하세요.",
    ),
    "error.403.title": ("Not available with this link", "이 링크로는 볼 수 없습니다"),
    "error.403.text": (
        "A wallet link from a training provider shows only that provider's badges. To see "
        "everything, open the wallet link e-mailed to you, or add another provider's link "
        "in your wallet.",
        "교육기관이 준 지갑 링크에서는 그 기관의 배지만 볼 수 있습니다. 전체를 보려면 "
        "이메일로 받은 지갑 링크를 열거나, 지갑에서 다른 기관의 링크를 추가하세요.",
    ),
    "error.404.title": ("Not found", "찾을 수 없습니다"),
    "error.404.text": (
        "There is no badge, page or wallet at this address. Check that the link or QR "
        "code was copied completely.",
        "이 주소에는 배지, 페이지 또는 지갑이 없습니다. 링크나 QR 코드가 끝까지 정확히 "
        "복사되었는지 확인하세요.",
    ),
    "error.405.title": ("Not possible here", "이 주소에서는 할 수 없는 요청입니다"),
    "error.405.text": (
        "This address does not accept that kind of request.",
        "이 주소는 그런 요청을 받지 않습니다.",
    ),
    "error.410.title": ("No longer shared", "더 이상 공유되지 않습니다"),
    "error.410.text": (
        "The learner has taken this page down. Ask them for a new link.",
        "학습자가 이 페이지의 공유를 중단했습니다. 새 링크를 요청하세요.",
    ),
    "error.413.title": ("File too large", "파일이 너무 큽니다"),
    "error.413.text": (
        "The file is larger than this service accepts. Badge files are usually far "
        "smaller: check that you chose the right one.",
        "이 서비스가 받을 수 있는 크기보다 큽니다. 배지 파일은 보통 훨씬 작으니 올바른 "
        "파일인지 확인하세요.",
    ),
    "error.429.title": ("Too many requests", "요청이 너무 많습니다"),
    "error.429.text": (
        "This address has sent more requests than the service allows for now. Wait a "
        "little, then try again.",
        "이 주소에서 허용된 것보다 많은 요청이 왔습니다. 잠시 기다린 뒤 다시 시도하세요.",
    ),
    "error.500.title": ("Something went wrong", "문제가 발생했습니다"),
    "error.500.text": (
        "The service could not complete the request. Please try again in a moment.",
        "서비스가 요청을 처리하지 못했습니다. 잠시 후 다시 시도하세요.",
    ),
}


# -- the whole badge on every page, and sharing it (issue 11, items 3 and 4) -----------------
# Kept as one block so it merges cleanly with other changes to the catalog above.
MESSAGES.update(
    {
        "details.heading": ("About this badge", "배지 상세 정보"),
        "details.alignment": ("Competencies", "연계 역량"),
        "details.alignment_code": ("Code {code}", "코드 {code}"),
        "details.tags": ("Tags", "태그"),
        "details.field": ("Field of study", "분야"),
        "details.human_code": ("Course code", "과정 코드"),
        "details.credits_available": ("Course credits / hours", "과정 학점·시간"),
        "details.results": ("Results", "평가 결과"),
        "details.required": ("required: {value}", "기준: {value}"),
        "details.revoked": ("Revoked on {when}", "{when}에 취소됨"),
        "details.suspended": ("Suspended on {when}", "{when}에 일시 정지됨"),
        "details.reason": ("Reason: {reason}", "사유: {reason}"),
        "details.reason_private": (
            "The provider has not made the reason public.",
            "발급 기관이 사유를 공개하지 않았습니다.",
        ),
        "sharing.heading": ("Share this badge", "이 배지 공유하기"),
        "sharing.linkedin": ("Add to LinkedIn profile", "LinkedIn 프로필에 추가"),
        "sharing.linkedin_hint": (
            "Opens LinkedIn's form with the name, provider, date and this page's address "
            "filled in.",
            "과정명, 발급 기관, 발급일과 이 페이지 주소가 채워진 LinkedIn 입력 화면이 열립니다.",
        ),
        "sharing.copy_label": ("Address of this badge", "이 배지의 주소"),
        "sharing.copy_hint": (
            "Tap or click the address once to select all of it, then copy it.",
            "주소를 한 번 누르면 전체가 선택됩니다. 그대로 복사하세요.",
        ),
        "sharing.og_description": (
            "{issuer} issued this badge to {name}. Open the page to check it is genuine.",
            "{issuer}에서 {name}님에게 발급한 배지입니다. 페이지를 열면 진위를 확인할 수 있습니다.",
        ),
        "sharing.og_description_anonymous": (
            "A badge issued by {issuer}. Open the page to check it is genuine.",
            "{issuer}에서 발급한 배지입니다. 페이지를 열면 진위를 확인할 수 있습니다.",
        ),
        "sharing.og_record": (
            "A learning record of verified badges. Open the page to check each one.",
            "검증 가능한 배지로 이루어진 학습 이력입니다. 페이지를 열면 하나하나 확인할 수 "
            "있습니다.",
        ),
        "sharing.withdrawn": (
            "This badge is {state}: it cannot be shared or added to a profile.",
            "이 배지는 {state} 상태라 공유하거나 프로필에 추가할 수 없습니다.",
        ),
        "sharing.not_shareable": ("not shareable (revoked or suspended)", "공유 불가 (취소·정지)"),
        "sharing.state.revoked": ("revoked", "취소됨"),
        "sharing.state.suspended": ("suspended", "일시 정지됨"),
        "certificate.print_link": ("Print / save as PDF", "인쇄 / PDF로 저장"),
        "certificate.print_steps": (
            "To print or save a PDF, choose Print in your browser's menu (on a phone: "
            "Share, then Print) and pick A4, or \u201cSave as PDF\u201d as the printer.",
            "인쇄하거나 PDF로 저장하려면 브라우저 메뉴에서 \u2018인쇄\u2019를 고르세요 "
            "(휴대폰: 공유 → 인쇄). 용지는 A4, 프린터 대신 \u2018PDF로 저장\u2019을 고르면 PDF가 "
            "됩니다.",
        ),
        "certificate.number": ("Certificate no.", "증명서 번호"),
        "certificate.period": ("Course period", "교육 기간"),
        "certificate.hours": ("Credits / hours", "학점·시간"),
        "certificate.mark.revoked": ("취소됨 · REVOKED", "취소됨 · REVOKED"),
        "certificate.mark.suspended": ("일시 정지됨 · SUSPENDED", "일시 정지됨 · SUSPENDED"),
        "certificate.mark_note.revoked": (
            "The provider revoked this badge on {when}. This certificate is not valid.",
            "발급 기관이 {when}에 이 배지를 취소했습니다. 이 증명서는 효력이 없습니다.",
        ),
        "certificate.mark_note.suspended": (
            "The provider suspended this badge on {when}. It is not valid while suspended.",
            "발급 기관이 {when}에 이 배지를 일시 정지했습니다. 정지된 동안에는 효력이 없습니다.",
        ),
        "certificate.logo_alt": ("Logo of {issuer}", "{issuer} 로고"),
        "wallet.start_heading": ("Your learning, in one place", "내 학습 이력을 한곳에"),
        "wallet.start_record": (
            "Download my whole learning history as one file",
            "내 학습 이력 전체를 한 파일로 받기",
        ),
        "wallet.start_record_hint": (
            "One signed file (CLR 2.0) with every valid badge, for job applications and "
            "portals that accept digital credentials.",
            "유효한 배지를 모두 담은 서명 파일(CLR 2.0) 하나입니다. 디지털 자격을 받는 입사 "
            "지원이나 포털에 올리세요.",
        ),
        "wallet.start_record_jwt": ("Same file, compact form (JWT)", "같은 파일, 압축 형식 (JWT)"),
        "wallet.formats_heading": ("Which file to use", "어떤 파일을 쓰면 될까요?"),
        "wallet.format.png": (
            "PNG: the badge picture for LinkedIn, your CV or portfolio (the signed badge "
            "is inside it).",
            "PNG: LinkedIn, 이력서, 포트폴리오에 올리는 배지 그림 (서명된 배지가 들어 있음).",
        ),
        "wallet.format.svg": (
            "SVG: the same picture, sharp at any size (web pages, print).",
            "SVG: 같은 그림을 크기와 상관없이 선명하게 (웹페이지, 인쇄용).",
        ),
        "wallet.format.json": (
            "JSON: the signed badge itself, for employers' and other verifiers' tools.",
            "JSON: 서명된 배지 원본. 채용 담당자나 검증 도구에 제출하는 파일.",
        ),
        "wallet.format.jwt": (
            "JWT: the same signed badge in a compact text form.",
            "JWT: 같은 서명 배지를 짧은 텍스트 형식으로.",
        ),
        "wallet.download_as": ("Download {name} as {format}", "{name} 배지를 {format}(으)로 받기"),
        "issuerpage.logo_alt": ("Logo of {issuer}", "{issuer} 로고"),
        "sharepage.withdrawn_heading": ("No longer valid", "더 이상 유효하지 않은 배지"),
        "sharepage.withdrawn_explain": (
            "The learner shared these badges, but their providers have since revoked or "
            "suspended them. They are not part of the verified record above.",
            "학습자가 공유한 배지이지만 발급 기관이 그 뒤 취소하거나 정지했습니다. 위의 검증된 "
            "학습 이력에는 포함되지 않습니다.",
        ),
    }
)


# The certificate's offline QR and the many-files /verify page (issue 14).
MESSAGES.update(
    {
        "offline_qr.alt": (
            "Offline QR code: the certificate's signed summary",
            "오프라인 QR 코드: 증명서의 서명된 요약",
        ),
        "offline_qr.heading": ("Verify without a network", "네트워크 없이 확인"),
        "offline_qr.text": (
            "This code holds the certificate's essentials signed by the issuer. "
            "Scan it with baeji verify or the verification page; with a trust file it "
            "verifies offline.",
            "이 코드에는 발급자가 서명한 증명서의 핵심 정보가 들어 있습니다. baeji verify "
            "또는 확인 페이지로 읽으면 신뢰 파일만으로 오프라인에서도 확인됩니다.",
        ),
        "verify_batch.title": ("Verification results", "확인 결과"),
        "verify_batch.summary": ("{total} files checked:", "파일 {total}개 확인:"),
        "verify_batch.col_file": ("File", "파일"),
        "verify_batch.col_verdict": ("Result", "결과"),
        "verify_batch.col_holder": ("Holder", "소지자"),
        "verify_batch.col_course": ("Course", "과정"),
        "verify_batch.col_issuer": ("Issuer", "발급자"),
        "verify_batch.col_issued": ("Issued", "발급일"),
        "verify_batch.col_failed": ("Failed checks", "실패한 확인 항목"),
        "verify_batch.download": ("Download as CSV", "CSV로 내려받기"),
        "verify_batch.privacy": (
            "Nothing you uploaded was kept. The CSV is made from this table when you ask.",
            "올린 파일은 저장되지 않았습니다. CSV는 요청할 때 이 표로 만듭니다.",
        ),
        "verify_batch.multiple_hint": (
            "You can choose several files at once (up to 50): the result is one table.",
            "여러 파일을 한 번에 고를 수 있습니다(최대 50개). 결과는 하나의 표로 나옵니다.",
        ),
    }
)


def translate(key: str, lang: str, *, default: str | None = None, **params: object) -> str:
    """Return the page text ``key`` in ``lang`` (``ko`` or ``en``), filled with ``params``.

    Args:
        default: returned (unfilled) when ``key`` is unknown, for keys built from data
            such as an OB result status.

    Raises:
        KeyError: ``key`` is unknown and no ``default`` was given (a programming error).
    """
    texts = MESSAGES.get(key)
    if texts is None:
        if default is not None:
            return default
        raise KeyError(f"no page text {key!r}")
    english, korean = texts
    template = korean if lang == "ko" else english
    return template.format(**params)
