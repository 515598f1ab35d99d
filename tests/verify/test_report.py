"""The report: verdict rules, JSON form, bilingual messages, raise_for_failure."""

from __future__ import annotations

import ast
import json
from datetime import timedelta
from pathlib import Path

import pytest

import verify
from tests.verify.conftest import NOW, Issuer, World
from verify import (
    CHECK_IDS,
    CheckResult,
    CheckStatus,
    CredentialNotValid,
    CredentialUnverifiable,
    DictFetcher,
    Verdict,
    VerificationReport,
    verify_credential,
)
from verify.messages import LANGUAGES, is_known, render

VERIFY_DIR = Path(verify.__file__).parent


def _check(check_id: str, status: CheckStatus, **details: object) -> CheckResult:
    return CheckResult(check_id, status, "x", {"en": "x", "ko": "x"}, details)


def _all_passed() -> list[CheckResult]:
    return [_check(check_id, CheckStatus.PASSED) for check_id in CHECK_IDS]


def _with(check_id: str, status: CheckStatus, **details: object) -> list[CheckResult]:
    return [_check(c.id, status, **details) if c.id == check_id else c for c in _all_passed()]


@pytest.mark.parametrize(
    ("checks", "verdict"),
    [
        (_all_passed(), Verdict.VALID),
        (_with("proof", CheckStatus.FAILED), Verdict.INVALID),
        (_with("revocation", CheckStatus.FAILED), Verdict.REVOKED),
        (_with("suspension", CheckStatus.FAILED), Verdict.SUSPENDED),
        (_with("validity-window", CheckStatus.FAILED, verdict="expired"), Verdict.EXPIRED),
        (
            _with("validity-window", CheckStatus.FAILED, verdict="not-yet-valid"),
            Verdict.NOT_YET_VALID,
        ),
        (_with("validity-window", CheckStatus.FAILED), Verdict.INVALID),
        (_with("status", CheckStatus.ERROR), Verdict.UNVERIFIABLE),
        (_with("endorsements", CheckStatus.FAILED), Verdict.VALID),
        (_with("endorsements", CheckStatus.ERROR), Verdict.VALID),
        # Issue 11: a CLR's verdict is its own; embedded verdicts are listed, not inherited.
        (
            _with("embedded-credentials", CheckStatus.FAILED, verdict="suspended"),
            Verdict.VALID,
        ),
        (_with("embedded-credentials", CheckStatus.ERROR), Verdict.VALID),
        (
            [
                CheckResult(
                    "embedded-credentials", CheckStatus.FAILED, "too-many-nested", {"en": "x"}
                )
                if c.id == "embedded-credentials"
                else c
                for c in _all_passed()
            ],
            Verdict.INVALID,
        ),
        (
            [
                CheckResult("input", CheckStatus.FAILED, "no-credential-in-image", {"en": "x"}),
                *[_check(c, CheckStatus.SKIPPED) for c in CHECK_IDS[1:]],
            ],
            Verdict.UNREADABLE,
        ),
        (
            [
                CheckResult("input", CheckStatus.FAILED, "invalid-json", {"en": "x"}),
                *[_check(c, CheckStatus.SKIPPED) for c in CHECK_IDS[1:]],
            ],
            Verdict.INVALID,
        ),
        (
            [
                CheckResult("recipient", CheckStatus.FAILED, "recipient-mismatch", {"en": "x"})
                if c.id == "recipient"
                else c
                for c in _with("revocation", CheckStatus.FAILED)
            ],
            Verdict.RECIPIENT_MISMATCH,
        ),
        (
            [
                CheckResult("recipient", CheckStatus.FAILED, "recipient-mismatch", {"en": "x"})
                if c.id == "recipient"
                else c
                for c in _with("proof", CheckStatus.FAILED)
            ],
            Verdict.INVALID,
        ),
        (
            [
                CheckResult("recipient", CheckStatus.FAILED, "recipient-mismatch", {"en": "x"})
                if c.id == "recipient"
                else _check(c.id, CheckStatus.SKIPPED)
                if c.id in ("proof", "jwt", "key")
                else c
                for c in _all_passed()
            ],
            Verdict.UNVERIFIABLE,
        ),
        (_with("key", CheckStatus.SKIPPED), Verdict.UNVERIFIABLE),
        (
            [*_with("proof", CheckStatus.SKIPPED)[:6], _check("jwt", CheckStatus.SKIPPED)],
            Verdict.UNVERIFIABLE,
        ),
        ([], Verdict.UNVERIFIABLE),
    ],
    ids=[
        "all-passed",
        "proof-failed",
        "revoked",
        "suspended",
        "expired",
        "not-yet-valid",
        "bad-date",
        "status-error",
        "endorsement-failed",
        "endorsement-error",
        "embedded-suspended",
        "embedded-error",
        "embedded-refused",
        "unreadable-input",
        "damaged-input",
        "recipient-mismatch-outranks-revoked",
        "recipient-mismatch-needs-a-genuine-badge",
        "recipient-mismatch-without-checked-signature",
        "key-skipped",
        "no-signature-checked",
        "nothing",
    ],
)
def test_verdict_rules(checks: list[CheckResult], verdict: Verdict) -> None:
    """The verdict is the most severe outcome, and valid needs positive evidence."""
    assert VerificationReport.from_checks(checks, credential=None).verdict is verdict


def test_severity_order() -> None:
    """invalid > recipient-mismatch > revoked > ... > unverifiable > unreadable > valid."""
    order = sorted(Verdict, key=lambda v: v.severity)
    assert [v.value for v in order] == [
        "valid",
        "unreadable",
        "unverifiable",
        "not-yet-valid",
        "expired",
        "suspended",
        "revoked",
        "recipient-mismatch",
        "invalid",
    ]


def test_worse_outcome_wins() -> None:
    """Revoked and expired at once reads revoked; a status error does not hide expiry."""
    checks = _with("revocation", CheckStatus.FAILED)
    checks[CHECK_IDS.index("validity-window")] = _check(
        "validity-window", CheckStatus.FAILED, verdict="expired"
    )
    assert VerificationReport.from_checks(checks, credential=None).verdict is Verdict.REVOKED
    checks = _with("status", CheckStatus.ERROR)
    checks[CHECK_IDS.index("validity-window")] = _check(
        "validity-window", CheckStatus.FAILED, verdict="expired"
    )
    assert VerificationReport.from_checks(checks, credential=None).verdict is Verdict.EXPIRED


def test_report_json_round_trips_in_both_languages(world: World, hanbit: Issuer) -> None:
    """to_dict is JSON-able; every check appears, in order, with its message in the language."""
    credential, _ = world.issue(hanbit)
    report = verify_credential(credential, now=NOW, fetcher=DictFetcher(world.documents))
    english = json.loads(json.dumps(report.to_dict("en")))
    korean = json.loads(json.dumps(report.to_dict("ko"), ensure_ascii=False))
    assert [c["id"] for c in english["checks"]] == list(CHECK_IDS)
    assert english["verdict"] == korean["verdict"] == "valid"
    assert english["verdictText"] == "Valid"
    assert korean["verdictText"] == "유효함"
    assert korean["checks"][0]["message"] == "JSON 자격증명을 읽었습니다."
    assert english["credential"]["issuer"]["name"] == "한빛 디지털 혁신 아카데미"
    assert english["credential"]["achievement"].startswith("인공지능")
    assert english["checkedAt"] == "2026-03-02T09:30:00Z"
    assert [d["capturedAt"] for d in english["documents"]] == [None, None, None]


def test_raise_for_failure() -> None:
    """Valid reports do not raise; others raise with the report attached."""
    VerificationReport.from_checks(_all_passed(), credential=None).raise_for_failure()
    revoked = VerificationReport.from_checks(
        _with("revocation", CheckStatus.FAILED), credential=None
    )
    with pytest.raises(CredentialNotValid, match="revoked") as raised:
        revoked.raise_for_failure()
    assert raised.value.report is revoked
    assert raised.value.code == "credential-not-valid"
    unknown = VerificationReport.from_checks(_with("status", CheckStatus.ERROR), credential=None)
    with pytest.raises(CredentialUnverifiable):
        unknown.raise_for_failure()
    assert not unknown.ok


def test_check_lookup() -> None:
    """report.check(id) finds a result; an unknown id raises KeyError."""
    report = VerificationReport.from_checks(_all_passed(), credential=None)
    assert report.check("proof").id == "proof"
    with pytest.raises(KeyError):
        report.check("nope")
    assert report.oldest_document is None


def test_labels_in_both_languages() -> None:
    """Every verdict and status has an English and a Korean label."""
    for verdict in Verdict:
        assert verdict.label("ko")
        assert verdict.label("en") != verdict.label("ko")
    for status in CheckStatus:
        assert status.label("ko") != status.label("en")


def _codes_in_source() -> set[str]:
    """Every literal code passed to the result builders and problem types in verify/."""
    builders = {"result": 2, "skipped": 1, "KeyProblem": 0, "StatusProblem": 0, "InputProblem": 0}
    codes: set[str] = set()
    for path in VERIFY_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            position = builders.get(str(name))
            if position is None or len(node.args) <= position:
                continue
            argument = node.args[position]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                codes.add(argument.value)
    return codes


def test_every_code_has_both_messages() -> None:
    """Each code the verifier can emit has an English and a Korean message."""
    codes = _codes_in_source() | {
        f"input-{form}" for form in ("json", "jwt", "png", "svg", "qr", "url")
    }
    assert len(codes) > 60
    missing = sorted(code for code in codes if not is_known(code))
    assert missing == []
    for code in codes:
        texts = render(code, {})
        assert set(texts) == set(LANGUAGES)
        assert texts["en"] != texts["ko"], code


def test_missing_message_fields_show_a_placeholder() -> None:
    """A template field without a value renders as '?', never raises."""
    assert render("input-url", {})["en"] == "Fetched the credential from ?."
    assert render("no-such-code", {})["en"] == "no-such-code"


def test_documents_age_in_the_report(world: World, hanbit: Issuer) -> None:
    """Offline documents carry their capture time and age in seconds."""
    from verify import TrustStore

    credential, _ = world.issue(hanbit)
    captured = NOW - timedelta(days=2)
    store = TrustStore.from_documents(world.documents, captured_at=captured)
    report = verify_credential(credential, now=NOW, fetcher=store.fetcher())
    assert report.oldest_document is not None
    assert report.oldest_document.captured_at == captured
    ages = {d["ageSeconds"] for d in report.to_dict()["documents"]}
    assert ages == {2 * 24 * 3600}
