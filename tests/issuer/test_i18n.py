"""Language negotiation and formatting for the pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import issuer
from issuer.i18n import (
    format_date,
    format_datetime,
    format_number,
    negotiate_language,
    translate,
)
from issuer.issuers.service import STATES
from issuer.operator.job_views import TITLED
from issuer.operator.models import APPLICATION_STATES
from issuer.operator.service import CHANGES
from issuer.outbox.models import STATES as MAIL_STATES
from issuer.verification.certification import SHOWN
from tests.test_catalogs import texts
from verify import CheckStatus, Verdict

MESSAGES = texts("issuer")


@pytest.mark.parametrize(
    ("header", "override", "expected"),
    [
        ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", None, "ko"),
        ("en-US,en;q=0.9,ko;q=0.8", None, "en"),
        ("ja,ko;q=0.5", None, "ko"),
        ("fr-FR, de;q=0.5", None, "en"),
        ("en;q=0.2, ko;q=0.9", None, "ko"),
        ("ko;q=0, en;q=0.1", None, "en"),
        ("ko;q=abc, en", None, "en"),
        (None, None, "en"),
        ("ko-KR", "en", "en"),
        ("en", "ko", "ko"),
        ("en", "xx", "en"),
    ],
    ids=[
        "korean-browser",
        "english-browser",
        "japanese-then-korean",
        "neither",
        "quality-order",
        "zero-quality",
        "bad-quality",
        "no-header",
        "override-en",
        "override-ko",
        "bad-override",
    ],
)
def test_negotiate_language(header: str | None, override: str | None, expected: str) -> None:
    """Korean browsers get Korean, others English, and an explicit choice wins."""
    assert negotiate_language(header, override=override) == expected


def test_dates_are_formatted_per_language() -> None:
    """Korean dates are in KST with 년 월 일; English dates in UTC with month names."""
    moment = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # already 2 March in Seoul
    assert format_date(moment, "ko") == "2026년 3월 2일"
    assert format_date(moment, "en") == "1 March 2026"
    assert format_datetime(moment, "ko") == "2026년 3월 2일 01:30 (KST)"
    assert format_datetime(moment, "en") == "1 March 2026, 16:30 UTC"
    assert format_date(None, "ko") == ""
    assert format_datetime(None, "en") == ""


def test_numbers() -> None:
    """Numbers get thousands separators and at most two decimals."""
    assert format_number(1234567, "ko") == "1,234,567"
    assert format_number(3.0, "en") == "3"
    assert format_number(92.456, "ko") == "92.46"
    assert format_number(None, "en") == ""


def _template_keys() -> set[str]:
    folder = Path(issuer.__file__).parent / "templates"
    found: set[str] = set()
    for template in folder.rglob("*.html"):
        # Whole keys only: t("verdict." ~ ...) builds a family, checked below.
        found.update(re.findall(r"""\bt\(["']([a-z0-9_.]*[a-z0-9_])["']""", template.read_text()))
    package = Path(issuer.__file__).parent
    for module in package.rglob("*.py"):
        if module == package / "i18n.py":
            continue
        found.update(re.findall(r'"(verify\.problem_[a-z]+)"', module.read_text()))
        found.update(re.findall(r'"(sharing\.og_[a-z_]+)"', module.read_text()))
        # The console names its notices from Python (message="console..."), not its routes.
        found.update(
            re.findall(r'(?<!url_for\()"(console\.[a-z0-9_.]*[a-z0-9])"', module.read_text())
        )
    # t("console.confirm_" ~ action) builds a family: checked with the families below.
    found = {key for key in found if not key.endswith(("_", "."))}
    return found


def test_every_page_text_exists_in_both_languages() -> None:
    """Each text a template names, and each family built from data, has Korean and English."""
    keys = _template_keys()
    assert len(keys) > 100
    keys |= {f"verdict.{v.value}.{kind}" for v in Verdict for kind in ("badge", "record", "other")}
    keys |= {f"explain.{v.value}" for v in Verdict}
    keys |= {f"email.result.{s.value}" for s in CheckStatus}
    keys |= {
        f"error.{code}.{part}"
        for code in (400, 403, 404, 405, 410, 413, 429, 500)
        for part in ("title", "text")
    }
    keys |= {"kind.badge", "kind.record", "kind.other"}
    keys |= {f"console.confirm_{action}" for action in ("revoke", "suspend", "unsuspend")}
    keys |= {
        f"{family}.{state}"
        for family in ("details", "certificate.mark", "certificate.mark_note", "sharing.state")
        for state in ("revoked", "suspended")
    }
    # A certification that is not current is named by its state (issuer.verification.certification).
    keys |= {f"certification.{state}" for state in SHOWN - {"certified"}}
    # The self-service link's problems (shown through t(problem)) and its e-mail's texts.
    keys |= {f"wallet_link.{name}" for name in ("bad_email", "stale_form")}
    keys |= {f"wallet_link.mail_{part}" for part in ("subject", "body")}
    # The operator console's families: provider states and their changes, applications,
    # certifications, and the join form's refusal (named from Python).
    keys |= {f"operator.state.{state}" for state in STATES}
    keys |= {
        f"operator.{part}.{change}" for part in ("change", "confirm", "done") for change in CHANGES
    }
    keys |= {"operator.done.certify", "operator.done.decertify", "operator.join_throttled"}
    keys |= {f"operator.application.{state}" for state in (*APPLICATION_STATES, "all")}
    keys |= {f"operator.certification_state.{s}" for s in ("current", "expired", "revoked")}
    # The operator's job and mail pages: titled job kinds and outbox states.
    keys |= {f"operator.job_name.{name}" for name in TITLED}
    keys |= {f"operator.mail_state.{state}" for state in MAIL_STATES}
    missing = sorted(keys - MESSAGES.keys())
    assert missing == []
    for key, (english, korean) in MESSAGES.items():
        assert english.strip(), key
        assert korean.strip(), key
    # Families built from data (an OB result status or achievement type) are not in templates;
    # the console's families (roles, fields, statuses) are checked in tests/issuer/console.
    assert set(MESSAGES) - keys <= {
        k for k in MESSAGES if k.startswith(("result.", "achievement_type.", "console."))
    }


def test_translate_fills_and_falls_back() -> None:
    """Texts are filled per language; unknown data-built keys fall back, others are errors."""
    assert translate("wallet.heading_named", "ko", name="김민준") == "김민준님의 배지"
    assert translate("wallet.heading_named", "en", name="Minjun") == "Minjun's badges"
    assert translate("result.Completed", "ko") == "이수 완료"
    assert translate("result.Graduated", "ko", default="Graduated") == "Graduated"
    with pytest.raises(KeyError, match="no page text"):
        translate("no.such.text", "en")


def test_counts_choose_the_plural_form_and_are_grouped() -> None:
    """A whole-number count picks English singular or plural and is shown grouped."""
    assert translate("share.scope_some", "en", count=1) == "1 chosen badge"
    assert translate("share.scope_some", "en", count=1200) == "1,200 chosen badges"
    assert translate("share.scope_some", "ko", count=1) == "고른 배지 1개"
    assert translate("share.scope_some", "ko", count=3) == "고른 배지 3개"
