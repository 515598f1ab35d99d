"""Verify Open Badges 3.0 credentials: what an employer installs.

:func:`verify_credential` takes a credential in any form (JSON, VC-JWT, baked PNG/SVG, QR
image, URL) and returns a :class:`VerificationReport` with one result per check and a
verdict. :func:`verify_certification` checks that an issuer holds a current certification
(an ``EndorsementCredential`` of a certifying body you trust); ``verify_credential(...,
certifiers=...)`` reports the same as its ``issuer-certification`` check.

The network is reached only through a :class:`Fetcher`: :class:`HttpFetcher` by default, a
:class:`TrustStore`'s fetcher offline, a :class:`DictFetcher` in tests.

Imports no web framework, database or issuer code.
"""

from __future__ import annotations

from verify.algorithm import verify_certification, verify_credential
from verify.certification import CertificationResult, CertificationState
from verify.errors import (
    ConnectionFailed,
    CredentialNotValid,
    CredentialUnverifiable,
    DocumentGone,
    DocumentNotFound,
    FetchError,
    FetchTimeout,
    HttpStatusError,
    InvalidTrustStore,
    NotInTrustStore,
    ResponseTooLarge,
    TooManyRedirects,
    UnsafeUrl,
    VerificationFailed,
    VerifyError,
)
from verify.report import (
    CHECK_IDS,
    CheckResult,
    CheckStatus,
    DocumentRecord,
    Verdict,
    VerificationReport,
)
from verify.resolve import (
    CachingFetcher,
    DictFetcher,
    FetchedDocument,
    Fetcher,
    HttpFetcher,
    RevalidatingFetcher,
)
from verify.session import ProofCache, default_proof_cache
from verify.trust import RecordingFetcher, TrustedDocument, TrustStore

__all__ = [
    "CHECK_IDS",
    "CachingFetcher",
    "CertificationResult",
    "CertificationState",
    "CheckResult",
    "CheckStatus",
    "ConnectionFailed",
    "CredentialNotValid",
    "CredentialUnverifiable",
    "DictFetcher",
    "DocumentGone",
    "DocumentNotFound",
    "DocumentRecord",
    "FetchError",
    "FetchTimeout",
    "FetchedDocument",
    "Fetcher",
    "HttpFetcher",
    "HttpStatusError",
    "InvalidTrustStore",
    "NotInTrustStore",
    "ProofCache",
    "RecordingFetcher",
    "ResponseTooLarge",
    "RevalidatingFetcher",
    "TooManyRedirects",
    "TrustStore",
    "TrustedDocument",
    "UnsafeUrl",
    "Verdict",
    "VerificationFailed",
    "VerificationReport",
    "VerifyError",
    "default_proof_cache",
    "verify_certification",
    "verify_credential",
]
