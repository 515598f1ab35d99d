"""The certificate's offline QR (``BJ1:``, :mod:`badges.compact`), signed when printed.

The QR is made on demand from the stored credential and signed with the issuer's active
Ed25519 key, the key its DID document publishes for Data Integrity proofs. On demand
rather than at issuance: nothing new is stored (no migration), and after a key rotation or
a compromise the next print carries a signature by a key the issuer still publishes, while
a QR signed by a withdrawn key stops verifying. The claims are the stored credential's;
the holder's name is the one the certificate prints.

The QR holds the holder's name, so it is only drawn on the learner's private certificate
page (inline, as a data: URI), never served at a public address.
"""

from __future__ import annotations

import base64
import json

from badges.compact import CompactClaims, compact_qr_svg, sign_compact
from issuer.db import Work
from issuer.issuers import signing
from issuer.models import Credential


def offline_qr_text(work: Work, row: Credential) -> str:
    """The ``BJ1:`` text for ``row``, signed with its issuer's active Ed25519 key.

    Raises:
        KeyNotFound: the issuer has no active key.
        InvalidCompactCredential: the stored credential lacks a claim the QR needs.
    """
    credential = json.loads(row.document)
    claims = CompactClaims.from_credential(credential, holder_name=row.recipient_name)
    signers = signing.active_signers(work, row.issuer_id)
    return sign_compact(claims, signers.proof)


def offline_qr_data_uri(text: str) -> str:
    """The QR of ``text`` as an SVG ``data:`` URI (the pages allow data: images)."""
    svg = compact_qr_svg(text)
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


__all__ = ["offline_qr_data_uri", "offline_qr_text"]
