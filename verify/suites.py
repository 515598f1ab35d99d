"""What the verifier says about signature suites it does not implement.

OB 3.0 lets issuers sign VC-JWTs with any JWS algorithm; we verify RS256, ES256 and EdDSA
(the ones 1EdTech's certification and Baeji's own issuers use). A token signed with another
*asymmetric* algorithm (PS256, ES384, …) may well be genuine: we say we could not verify it
and name the algorithm. ``none``, symmetric (``HS*``) and unknown algorithms stay failures,
since no issuer can sign a credential with them.
"""

from __future__ import annotations

import json
from typing import Any

from badges.errors import JwtError, UnsupportedAlgorithm
from keys import InvalidKeyEncoding, b64url_decode
from verify.messages import render
from verify.report import CheckResult, CheckStatus

# RFC 7518 §3.1 and RFC 8812: asymmetric JWS algorithms we know but do not verify.
KNOWN_UNSUPPORTED_JWS = frozenset(
    {"RS384", "RS512", "PS256", "PS384", "PS512", "ES384", "ES512", "ES256K", "Ed25519", "Ed448"}
)


def _header_alg(token: str) -> Any:
    try:
        header = json.loads(b64url_decode(token.strip().split(".", 1)[0]))
    except (InvalidKeyEncoding, ValueError, RecursionError):
        return None
    return header.get("alg") if isinstance(header, dict) else None


def jwt_decode_failure(token: str, err: JwtError) -> CheckResult:
    """The ``jwt`` result for a token that could not be decoded.

    ``error`` (unverifiable) naming the algorithm when it is a real asymmetric algorithm we
    do not implement; ``failed`` otherwise.
    """
    alg = _header_alg(token) if isinstance(err, UnsupportedAlgorithm) else None
    if isinstance(alg, str) and alg in KNOWN_UNSUPPORTED_JWS:
        details = {"alg": alg}
        return CheckResult(
            "jwt",
            CheckStatus.ERROR,
            "unsupported-jwt-algorithm",
            render("unsupported-jwt-algorithm", details),
            details,
        )
    details = {"reason": str(err)}
    return CheckResult("jwt", CheckStatus.FAILED, err.code, render(err.code, details), details)
