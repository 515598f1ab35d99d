"""What an Open Badges 2.0 assertion says, in the shape of an OB 3.0 report summary.

A verified OB 2.0 report carries the assertion with its badge class and issuer profile
embedded (``assertion.badge`` and ``assertion.badge.issuer`` as fetched). Programs and
pages read one summary shape for every version: this module maps the OB 2.0 names
(``issuedOn``, ``expires``, the badge class name) onto it. It imports nothing from the
rest of :mod:`verify`, so the report module can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def ob2_summary(assertion: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return the report summary of an OB 2.0 assertion (badge and issuer embedded or ids)."""
    if not isinstance(assertion, Mapping):
        return None
    badge_value = assertion.get("badge")
    badge = _mapping(badge_value)
    issuer_value = badge.get("issuer")
    issuer = _mapping(issuer_value)
    recipient = _mapping(assertion.get("recipient"))
    summary: dict[str, Any] = {
        "id": _text(assertion.get("id")),
        "type": assertion.get("type"),
        "name": _text(badge.get("name")),
        "issuer": {
            "id": _text(issuer.get("id")) if issuer else _text(issuer_value),
            "name": _text(issuer.get("name")),
        },
        "subject": None if recipient.get("hashed") else _text(recipient.get("identity")),
        "achievement": _text(badge.get("name")),
        "badgeClass": _text(badge.get("id")) if badge else _text(badge_value),
        "validFrom": _text(assertion.get("issuedOn")),
        "validUntil": _text(assertion.get("expires")),
    }
    return {k: v for k, v in summary.items() if v is not None}
