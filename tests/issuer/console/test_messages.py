"""Every console text a template or view names exists in English and Korean."""

from __future__ import annotations

import re
from pathlib import Path

from issuer.console import cohort
from issuer.console.models import ROLES
from tests.test_catalogs import texts

MESSAGES = texts("issuer")

ROOT = Path(__file__).resolve().parents[3] / "issuer"
_LITERAL = re.compile(r"""\bt\(\s*["'](console\.[a-z_.]+)["']""")
_PROBLEM = re.compile(r"""(?:problem|message)\s*=\s*["'](console\.[a-z_]+)["']""")


def test_every_named_text_exists_in_both_languages() -> None:
    sources = [*(ROOT / "templates" / "console").glob("*.html"), ROOT / "console" / "views.py"]
    named = set()
    for path in sources:
        text = path.read_text()
        named |= set(_LITERAL.findall(text))
        if path.suffix == ".py":
            named |= set(_PROBLEM.findall(text))
    # Prefixes completed from data (``"console.role." ~ role``) are checked below.
    named = {k for k in named if not k.endswith((".", "_"))}
    # Keys built from data in the templates.
    named |= {f"console.role.{r}" for r in ROLES}
    named |= {f"console.status.{s}" for s in ("active", "suspended", "revoked")}
    named |= {f"console.action.{a}" for a in ("revoke", "suspend", "unsuspend")}
    named |= {f"console.confirm_{a}" for a in ("revoke", "suspend", "unsuspend")}
    named |= {f"console.field.{f}" for f in (*cohort.FIELDS, "ignore")}
    missing = sorted(k for k in named if k not in MESSAGES)
    assert missing == []
    for key in named:
        english, korean = MESSAGES[key]
        assert english.strip()
        assert korean.strip()
        assert english != korean or key in {"console.field.ignore"}
