"""Errors raised by the verifier package.

A credential that fails verification is not an exception: :func:`verify.verify_credential`
returns a report. These errors cover misuse and I/O (fetching documents, reading trust
files), plus :meth:`VerificationReport.raise_for_failure` for callers who want one.
Every leaf has a stable kebab-case ``code``; messages may change, codes may not::

    VerifyError
    ├── FetchError                                      fetch-error
    │   ├── UnsafeUrl               (also ValueError)   unsafe-url
    │   ├── DocumentNotFound        (also LookupError)  document-not-found
    │   │   ├── NotInTrustStore                         not-in-trust-store
    │   │   └── DocumentGone                            document-gone
    │   ├── HttpStatusError                             http-status
    │   ├── TooManyRedirects                            too-many-redirects
    │   ├── ResponseTooLarge                            response-too-large
    │   ├── FetchTimeout            (also TimeoutError) fetch-timeout
    │   └── ConnectionFailed        (also OSError)      connection-failed
    ├── InvalidTrustStore           (also ValueError)   invalid-trust-store
    ├── InvalidRegistry             (also ValueError)   invalid-registry
    └── VerificationFailed                              verification-failed
        ├── CredentialNotValid                          credential-not-valid
        └── CredentialUnverifiable                      credential-unverifiable
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from verify.report import VerificationReport


class VerifyError(Exception):
    """Root of every error raised by :mod:`verify`."""

    code = "verify-error"


class FetchError(VerifyError):
    """A document could not be fetched."""

    code = "fetch-error"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class UnsafeUrl(FetchError, ValueError):
    """The URL is refused before any connection: scheme, credentials, or a non-public address."""

    code = "unsafe-url"


class DocumentNotFound(FetchError, LookupError):
    """The server answered 404 or 410: the document does not exist."""

    code = "document-not-found"


class NotInTrustStore(DocumentNotFound):
    """Offline mode: the trust file holds no copy of the document."""

    code = "not-in-trust-store"


class DocumentGone(DocumentNotFound):
    """The server answered 410 Gone: the document existed and was removed on purpose.

    An Open Badges 2.0 issuer answers 410 for a revoked hosted assertion.
    """

    code = "document-gone"


class HttpStatusError(FetchError):
    """The server answered with a status other than success, redirect or not-found."""

    code = "http-status"

    def __init__(self, message: str, *, url: str | None = None, status: int = 0) -> None:
        super().__init__(message, url=url)
        self.status = status


class TooManyRedirects(FetchError):
    """More redirects than the fetcher allows (or a redirect loop)."""

    code = "too-many-redirects"


class ResponseTooLarge(FetchError):
    """The response body exceeds the size cap."""

    code = "response-too-large"


class FetchTimeout(FetchError, TimeoutError):
    """The fetch did not complete within its time limit."""

    code = "fetch-timeout"


class ConnectionFailed(FetchError, OSError):
    """The connection could not be made or broke (DNS, TCP, TLS)."""

    code = "connection-failed"


class InvalidTrustStore(VerifyError, ValueError):
    """A trust file is not valid JSON of the expected shape."""

    code = "invalid-trust-store"


class InvalidRegistry(VerifyError, ValueError):
    """An issuer registry is not a registry (DCC format or a signed Baeji registry), or a
    signed registry's proof or signer does not hold."""

    code = "invalid-registry"


class VerificationFailed(VerifyError):
    """Raised by :meth:`VerificationReport.raise_for_failure` when the verdict is not valid."""

    code = "verification-failed"

    def __init__(self, message: str, report: VerificationReport) -> None:
        super().__init__(message)
        self.report = report


class CredentialNotValid(VerificationFailed):
    """The credential is invalid, revoked, suspended, expired or not yet valid."""

    code = "credential-not-valid"


class CredentialUnverifiable(VerificationFailed):
    """Verification could not be completed (e.g. a status list could not be fetched)."""

    code = "credential-unverifiable"
