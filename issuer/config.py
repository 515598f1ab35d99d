"""Configuration: defaults, the ``BAEJI_`` environment, and the settings services run with.

The environment is read once, by :func:`issuer.create_app`, through
``app.config.from_prefixed_env("BAEJI")``; everything below that works from a
:class:`Settings` value, so services and benchmarks can run without Flask.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from issuer.caches import BoundedCache
from keys import MasterKey, load_or_create_master_key

if TYPE_CHECKING:
    from issuer.issuers.signing import IssuerSigners

DEFAULTS: dict[str, Any] = {
    # Public origin that credential ids, achievement ids and DIDs are built from.
    "BASE_URL": "http://127.0.0.1:5000",
    # None: a SQLite file in the instance folder.
    "DATABASE_URL": None,
    # None: a development key in ``instance/master.key`` (mode 0600), created when absent.
    "MASTER_KEY": None,
    # None: derived from the master key (see Settings.email_pepper).
    "EMAIL_PEPPER": None,
    # Every request body, JSON or upload, is refused above this size (413).
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    # Issuing takes ~10 ms a credential (see the README's benchmark): 1000 rows hold one
    # worker for about ten seconds over HTTP. `baeji issue --csv` allows 20,000.
    "BATCH_MAX_ROWS": 1000,
    # Seconds a batch may spend inside one HTTP request before it is abandoned, nothing
    # issued, with 503 batch-too-slow. Keep it well below the worker timeout (gunicorn.conf.py
    # sets timeout to twice this budget) so a slow batch never gets its worker killed.
    "BATCH_TIME_BUDGET": 60.0,
    # A status list takes new credentials until this share of its entries is used; random
    # allocation then needs at most 1 / (1 - fill) tries on average.
    "STATUS_LIST_FILL": 0.75,
    # Cache-Control max-age of status lists, in seconds: how long a revocation may take to
    # reach verifiers that cache (keep it short).
    "PUBLIC_MAX_AGE": 60,
    # Cache-Control max-age of DID documents and JWKS, in seconds (a compromised key leaves
    # them at once; caches drop it within this time).
    "DOCUMENT_MAX_AGE": 300,
    "RSA_BITS": 2048,
    "JSON_SORT_KEYS": False,
    # Form fields (a pasted credential on /verify) may be as large as an upload.
    "MAX_FORM_MEMORY_SIZE": 5 * 1024 * 1024,
    # smtp://user:password@host:port (STARTTLS when offered) or smtps://... (TLS); None:
    # wallet links are only returned by the API, never e-mailed.
    "SMTP_URL": None,
    # The From address of those e-mails; None: no-reply@<host of BASE_URL>.
    "MAIL_FROM": None,
    # Let provider images and logos be fetched from http:// and private or loopback
    # addresses: development and tests only (see issuer/artwork.py).
    "ARTWORK_ALLOW_LOCAL": False,
    # Let webhook endpoints be http:// and loopback addresses (a receiver on 127.0.0.1):
    # development and tests only (see issuer/webhooks/sending.py).
    "WEBHOOK_ALLOW_LOCAL": False,
    # Who sends webhook deliveries: "jobs" (a job per event, retries scheduled as jobs) or
    # "command" (only `baeji webhooks deliver --every S`, e.g. on the one host allowed out).
    "WEBHOOK_SENDER": "jobs",
    # Rate limits (issuer.limits): Flask-Limiter rate strings, "N per minute;M per hour".
    "RATELIMIT_ENABLED": True,
    # None: counters in each worker's memory; redis://host:port/db shares them.
    "RATELIMIT_STORAGE_URL": None,
    # Prefix of the counters' keys in the store (several services may share one Redis).
    "RATELIMIT_KEY_PREFIX": "baeji",
    # Per client address: POST /verify, POST /api/v1/verify, the credential page's email check.
    "RATELIMIT_VERIFY": "30 per minute;300 per hour",
    # Per client address: API requests refused with 401 (valid keys cost nothing).
    "RATELIMIT_AUTH_FAILURES": "20 per minute;100 per hour",
    # Per client address: requests under /wallet/<token> and /shares/<id>...
    "RATELIMIT_LOOKUP": "300 per minute",
    # ...and those of them that found nothing (404, 410).
    "RATELIMIT_LOOKUP_MISSES": "20 per minute;100 per hour",
    # Per API key: POST /api/v1/credentials, and POST /api/v1/credentials/batch.
    "RATELIMIT_ISSUE": "600 per minute",
    "RATELIMIT_BATCH": "30 per minute",
    # "Send me my wallet link" (POST /wallet-link): per client address, and per e-mail
    # address asked about (counted under a keyed digest, never the address).
    "RATELIMIT_WALLET_LINK": "10 per minute;100 per day",
    "RATELIMIT_WALLET_LINK_EMAIL": "3 per hour;10 per day",
    # Reverse proxies in front of the service whose X-Forwarded-For/-Proto are trusted
    # (0: none, the client address is the connection's).
    "TRUSTED_PROXIES": 0,
    # Background jobs (issuer.jobs): "auto" runs them in the service's own process on SQLite
    # and on the queue (`baeji worker`) with PostgreSQL; "process" or "queue" force one.
    "JOBS": "auto",
    # Batches (API and console cohorts) with more rows than this run as a background job.
    "JOB_BATCH_THRESHOLD": 200,
    # Attempts of a failing job before it is marked failed; the first retry waits
    # JOB_BACKOFF seconds, each later one twice as long as the one before.
    "JOB_MAX_ATTEMPTS": 5,
    "JOB_BACKOFF": 2.0,
    # Rows of a batch job signed and committed together (a killed worker redoes one chunk).
    "JOB_CHUNK_SIZE": 100,
    # `baeji worker`: seconds between heartbeats, and of silence after which another worker
    # takes over a dead worker's jobs.
    "JOB_HEARTBEAT": 10.0,
    "JOB_STALLED_AFTER": 60.0,
    # argon2id parameters of staff passwords: passes, memory in KiB, lanes (RFC 9106's
    # second recommended option). A sign-in whose stored hash used other parameters
    # re-hashes the password with these.
    "PASSWORD_TIME_COST": 3,
    "PASSWORD_MEMORY_KIB": 65536,
    "PASSWORD_PARALLELISM": 4,
}

_PEPPER_LABEL = b"baeji/learner-email-pepper/v1"


def utc_now() -> datetime:
    """Return the current time, timezone-aware UTC (the service's one clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Settings:
    """What the issuing workflows need, resolved from the app configuration.

    Attributes:
        base_url: public origin without a trailing slash.
        master_key: seals the issuers' private keys at rest.
        email_pepper: HMAC key for learner lookup; the database holds only
            HMAC-SHA256(pepper, normalized email), never the address.
    """

    base_url: str
    master_key: MasterKey = field(repr=False)
    email_pepper: bytes = field(repr=False)
    batch_max_rows: int = 1000
    batch_time_budget: float = 60.0
    status_list_fill: float = 0.75
    rsa_bits: int = 2048
    clock: Callable[[], datetime] = utc_now
    smtp_url: str | None = field(default=None, repr=False)
    mail_from: str = "no-reply@localhost"
    # Background jobs: see DEFAULTS (JOBS, JOB_*).
    jobs_mode: str = "auto"
    job_batch_threshold: int = 200
    job_max_attempts: int = 5
    job_backoff: float = 2.0
    job_chunk_size: int = 100
    # Webhook endpoints may be loopback and plain http (development only).
    webhook_allow_local: bool = False
    # "jobs" or "command": see DEFAULTS (WEBHOOK_SENDER).
    webhook_sender: str = "jobs"
    # argon2id (time cost, memory KiB, parallelism) of staff passwords: see DEFAULTS.
    password_hashing: tuple[int, int, int] = (3, 65536, 4)
    # Unsealed active keys, keyed by issuer and active key ids (see signing.active_signers).
    signer_cache: BoundedCache[IssuerSigners] = field(
        default_factory=lambda: BoundedCache(64, 300.0), repr=False, compare=False
    )

    @property
    def https(self) -> bool:
        """Whether the public origin is HTTPS."""
        return self.base_url[:8].lower() == "https://"

    def url(self, *path: str) -> str:
        """Return the absolute URL of ``path`` under the public origin."""
        return "/".join([self.base_url, *(p.strip("/") for p in path)])

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: Path) -> Settings:
        """Resolve settings from a Flask config mapping (``BASE_URL``, ``MASTER_KEY``...).

        Raises:
            InvalidMasterKey: ``MASTER_KEY`` is not 32 bytes of base64url text.
        """
        master_text = config.get("MASTER_KEY")
        if master_text:
            master_key = MasterKey.from_text(str(master_text))
        else:
            key_file = instance_path / "master.key"
            master_key = load_or_create_master_key(key_file)
            master_text = key_file.read_text()
        pepper_text = config.get("EMAIL_PEPPER")
        if pepper_text:
            pepper = str(pepper_text).encode()
        else:
            # Derived so one secret suffices; set EMAIL_PEPPER explicitly before ever
            # changing the master key, or learners can no longer be found by email.
            pepper = hmac.new(str(master_text).strip().encode(), _PEPPER_LABEL, "sha256").digest()
        clock = config.get("CLOCK") or utc_now
        base_url = str(config["BASE_URL"]).rstrip("/")
        return cls(
            base_url=base_url,
            master_key=master_key,
            email_pepper=pepper,
            batch_max_rows=int(config["BATCH_MAX_ROWS"]),
            batch_time_budget=float(config["BATCH_TIME_BUDGET"]),
            status_list_fill=float(config["STATUS_LIST_FILL"]),
            rsa_bits=int(config["RSA_BITS"]),
            clock=clock,
            smtp_url=str(config["SMTP_URL"]) if config.get("SMTP_URL") else None,
            mail_from=str(
                config.get("MAIL_FROM") or f"Baeji <no-reply@{urlsplit(base_url).hostname}>"
            ),
            jobs_mode=str(config.get("JOBS") or "auto"),
            job_batch_threshold=int(config.get("JOB_BATCH_THRESHOLD", 200)),
            job_max_attempts=int(config.get("JOB_MAX_ATTEMPTS", 5)),
            job_backoff=float(config.get("JOB_BACKOFF", 2.0)),
            job_chunk_size=int(config.get("JOB_CHUNK_SIZE", 100)),
            webhook_allow_local=_flag(config.get("WEBHOOK_ALLOW_LOCAL")),
            webhook_sender=_choice(
                config.get("WEBHOOK_SENDER") or "jobs", "WEBHOOK_SENDER", ("jobs", "command")
            ),
            password_hashing=_argon2_parameters(config),
        )


def _flag(value: Any) -> bool:
    """A boolean setting from the environment's text (``1``, ``true``, ``yes``) or a bool."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _argon2_parameters(config: Mapping[str, Any]) -> tuple[int, int, int]:
    """The ``PASSWORD_*`` settings, refused at start when argon2 would refuse them."""
    time_cost = int(config.get("PASSWORD_TIME_COST", 3))
    memory_kib = int(config.get("PASSWORD_MEMORY_KIB", 65536))
    parallelism = int(config.get("PASSWORD_PARALLELISM", 4))
    if time_cost < 1:
        raise ValueError(f"BAEJI_PASSWORD_TIME_COST must be at least 1, not {time_cost}")
    if parallelism < 1:
        raise ValueError(f"BAEJI_PASSWORD_PARALLELISM must be at least 1, not {parallelism}")
    if memory_kib < 8 * parallelism:
        raise ValueError(
            f"BAEJI_PASSWORD_MEMORY_KIB must be at least 8 per lane ({8 * parallelism}),"
            f" not {memory_kib}"
        )
    return time_cost, memory_kib, parallelism


def _choice(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    """A setting that must be one of ``allowed``; anything else stops the service at start."""
    text = str(value).strip().lower()
    if text not in allowed:
        raise ValueError(f"BAEJI_{name} must be one of {', '.join(allowed)}, not {value!r}")
    return text


def default_instance_path() -> Path:
    """Return ``BAEJI_INSTANCE_PATH`` or ``./instance``, as an absolute path."""
    return Path(os.environ.get("BAEJI_INSTANCE_PATH") or "instance").resolve()


def default_database_url(instance_path: Path) -> str:
    """Return the embedded SQLite database URL inside the instance folder."""
    return f"sqlite:///{instance_path / 'baeji.db'}"
