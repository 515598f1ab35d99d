"""Fixtures for the verifier: real keys, a fixed clock, and an issuing "world".

A :class:`World` issues credentials with our own ``badges`` package and real keys, publishes
each issuer's DID document (built by ``keys.build_did_document``) and signed status lists,
and serves them through a :class:`~verify.DictFetcher`, the network boundary in tests.
Credentials look like the issuer service's: ``issuer.id`` is a did:web DID, the DI proof's
``verificationMethod`` is ``<DID>#key-…``, the JWT ``kid`` is the RSA key's DID URL, and
``credentialStatus`` holds a revocation and a suspension entry pointing at signed
``BitstringStatusListCredential``s of the same issuer.
"""

from __future__ import annotations

import copy
import http.server
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from badges import (
    Bitstring,
    Profile,
    build_clr,
    build_endorsement,
    build_status_list_credential,
    sign_credential,
    status_entry,
)
from keys import (
    KeyType,
    PrivateKeySigner,
    build_did_document,
    did_key_from_public_key,
    did_web_to_url,
)
from tests.samples import sample_achievement, sample_credential
from tests.serving import serving
from verify import DictFetcher

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ISSUED = NOW - timedelta(days=30)
HOST = "badges.example.kr"
BASE_URL = f"https://{HOST}"
LEARNER_EMAIL = "kim.jiwoo@example.com"


@dataclass(frozen=True)
class Keys:
    """One issuer's signing keys: Ed25519 for Data Integrity, RSA for the VC-JWT."""

    ed25519: PrivateKeySigner
    rsa: PrivateKeySigner


@pytest.fixture(scope="session")
def key_pool() -> dict[str, Keys]:
    """Real keys for every issuer the scenarios need (RSA generation is slow: once per run)."""
    return {
        name: Keys(
            PrivateKeySigner.generate(KeyType.ED25519, "key-1"),
            PrivateKeySigner.generate(KeyType.RSA, "key-rsa-1"),
        )
        for name in ("hanbit", "mallory", "platform", "endorser")
    }


@dataclass
class Issuer:
    """An issuer of the world: its DID, keys (renamed as DID URLs) and status lists."""

    slug: str
    name: str
    did: str
    ed25519: PrivateKeySigner
    rsa: PrivateKeySigner
    base_url: str = BASE_URL
    revocations: Bitstring = field(default_factory=Bitstring)
    suspensions: Bitstring = field(default_factory=Bitstring)

    @property
    def profile(self) -> Profile:
        return Profile(id=self.did, name=self.name)

    @property
    def proof_method(self) -> str:
        return self.ed25519.key_id

    def status_url(self, purpose: str) -> str:
        return f"{self.base_url}/status/{self.slug}-{purpose}"


class World:
    """Issuers, their published documents, and credentials issued by our own badges package."""

    def __init__(
        self, key_pool: Mapping[str, Keys], *, host: str = HOST, base_url: str = BASE_URL
    ) -> None:
        self._key_pool = key_pool
        self.host = host
        self.base_url = base_url
        self.issuers: dict[str, Issuer] = {}
        self.documents: dict[str, Any] = {}

    def issuer(self, slug: str, name: str, *, keys: str | None = None) -> Issuer:
        """Create an issuer with did:web DID ``did:web:HOST:issuers:SLUG`` and publish it."""
        did = f"did:web:{self.host}:issuers:{slug}"
        pool = self._key_pool[keys or slug]
        issuer = Issuer(
            slug,
            name,
            did,
            pool.ed25519.with_key_id(f"{did}#key-1"),
            pool.rsa.with_key_id(f"{did}#key-rsa-1"),
            self.base_url,
        )
        self.issuers[slug] = issuer
        self.documents[did_web_to_url(did)] = build_did_document(
            did, [issuer.ed25519.public_key, issuer.rsa.public_key]
        )
        return issuer

    def did_key_issuer(self, slug: str) -> Issuer:
        """An issuer whose id is the did:key of its Ed25519 key (resolves offline)."""
        pool = self._key_pool[slug]
        did = did_key_from_public_key(pool.ed25519.public_key.key)
        fragment = did.removeprefix("did:key:")
        issuer = Issuer(
            slug, slug, did, pool.ed25519.with_key_id(f"{did}#{fragment}"), pool.rsa, self.base_url
        )
        self.issuers[slug] = issuer
        return issuer

    def credential(
        self,
        issuer: Issuer,
        *,
        index: int = 48213,
        credential_id: str | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        name: str = "인공지능 기초 과정 (AI Fundamentals)",
        status_base: Callable[[str], str] | None = None,
    ) -> dict[str, Any]:
        """An unsigned credential's JSON, with revocation and suspension entries at ``index``."""
        model = sample_credential(
            now=valid_from or ISSUED,
            credential_id=credential_id or f"{self.base_url}/credentials/{issuer.slug}-{index}",
            issuer_did=issuer.did,
            name=name,
            email=LEARNER_EMAIL,
            valid_until=valid_until,
            status_index=index,
        )
        document = model.to_json()
        document["issuer"]["name"] = issuer.name
        url_of = status_base or issuer.status_url
        document["credentialStatus"] = [
            status_entry(url_of("revocation"), index, "revocation").to_json(),
            status_entry(url_of("suspension"), index, "suspension").to_json(),
        ]
        return document

    def sign(
        self,
        issuer: Issuer,
        document: Mapping[str, Any],
        *,
        proof_signer: PrivateKeySigner | None = None,
        verification_method: str | None = None,
    ) -> tuple[dict[str, Any], str]:
        """Sign as the issuer service does: DI proof first, then the RS256 VC-JWT."""
        signed = sign_credential(
            document,
            proof_signer=proof_signer or issuer.ed25519,
            now=ISSUED,
            jwt_signer=issuer.rsa,
            verification_method=verification_method or issuer.proof_method,
            jwt_kid=issuer.rsa.key_id,
        )
        assert signed.jwt is not None
        return signed.credential, signed.jwt

    def issue(self, issuer: Issuer, **options: Any) -> tuple[dict[str, Any], str]:
        """Build, sign and return (credential JSON, VC-JWT); status lists are published."""
        credential, token = self.sign(issuer, self.credential(issuer, **options))
        self.publish_status(issuer)
        return credential, token

    def publish_status(
        self,
        issuer: Issuer,
        *,
        signer: PrivateKeySigner | None = None,
        list_issuer: str | None = None,
        valid_until: datetime | None = None,
    ) -> None:
        """Sign the issuer's revocation and suspension lists and publish them."""
        for purpose, bits in (
            ("revocation", issuer.revocations),
            ("suspension", issuer.suspensions),
        ):
            url = issuer.status_url(purpose)
            unsigned = build_status_list_credential(
                list_url=url,
                issuer_id=list_issuer or issuer.did,
                purpose=purpose,
                bits=bits,
                now=NOW - timedelta(hours=1),
                valid_until=valid_until,
            )
            key = signer or issuer.ed25519
            self.documents[url] = sign_credential(
                unsigned, proof_signer=key, now=NOW - timedelta(hours=1)
            ).credential

    def endorsement(
        self, endorser: Issuer, subject_id: str, *, valid_until: datetime | None = None
    ) -> dict[str, Any]:
        """A signed EndorsementCredential by ``endorser`` about ``subject_id``."""
        unsigned = build_endorsement(
            credential_id=f"{BASE_URL}/endorsements/{endorser.slug}-1",
            issuer=endorser.profile,
            subject_id=subject_id,
            name="한국디지털교육협회 인증",
            now=ISSUED,
            comment="우수 교육기관으로 인증합니다.",
        ).to_json()
        if valid_until is not None:
            unsigned["validUntil"] = valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")
        return sign_credential(unsigned, proof_signer=endorser.ed25519, now=ISSUED).credential

    def clr(self, platform: Issuer, credentials: list[dict[str, Any]]) -> dict[str, Any]:
        """A CLR by ``platform`` embedding ``credentials`` as issued."""
        unsigned = build_clr(
            credential_id=f"{BASE_URL}/clr/6a0e2f8c",
            issuer=platform.profile,
            subject_id="urn:uuid:6a0e2f8c-1b7d-4e5a-9c3f-0d8b2a4e6f10",
            credentials=credentials,
            name="김지우 학습 이력",
            now=ISSUED,
            achievements=[sample_achievement()],
        )
        return sign_credential(unsigned, proof_signer=platform.ed25519, now=ISSUED).credential

    def fetcher(self) -> DictFetcher:
        """The network as the world publishes it."""
        return DictFetcher(copy.deepcopy(self.documents))


@pytest.fixture
def world(key_pool: dict[str, Keys]) -> World:
    """A fresh world with no issuers yet."""
    return World(key_pool)


@pytest.fixture
def hanbit(world: World) -> Issuer:
    """The training provider most tests issue from."""
    return world.issuer("hanbit", "한빛 디지털 혁신 아카데미")


# ------------------------------------------------------------------------------------------
# A real HTTP server on 127.0.0.1 for the fetcher tests (never any other address).
# ------------------------------------------------------------------------------------------

Route = tuple[int, dict[str, str], bytes]


@dataclass
class LocalServer:
    """A tiny threaded HTTP server; ``routes`` maps a path to (status, headers, body)."""

    routes: dict[str, Route | Callable[[http.server.BaseHTTPRequestHandler], Route]]
    port: int = 0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def json(self, path: str, value: Any, **headers: str) -> None:
        """Serve ``value`` as JSON at ``path``."""
        self.routes[path] = (
            200,
            {"Content-Type": "application/json", **headers},
            json.dumps(value, ensure_ascii=False).encode(),
        )

    def publish(self, world: World) -> None:
        """Serve every document of ``world`` at its URL's path."""
        for url, document in world.documents.items():
            self.json(urlsplit(url).path, document)


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """Start a server on 127.0.0.1 with an ephemeral port; stop it after the test."""
    server_state = LocalServer(routes={})

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            server_state.requests.append((self.path, dict(self.headers.items())))
            route = server_state.routes.get(self.path.split("?", 1)[0])
            if route is None:
                status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
            elif callable(route):
                status, headers, body = route(self)
                if status == 0:  # the route wrote its own response
                    return
            else:
                status, headers, body = route
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server_state.port = server.server_address[1]
    with serving(server):
        yield server_state


@pytest.fixture
def live(local_server: LocalServer, key_pool: dict[str, Keys]) -> World:
    """A world whose DID documents, status lists and credentials live on the local server
    (once the test calls ``local_server.publish(live)``)."""
    return World(
        key_pool,
        host=f"127.0.0.1%3A{local_server.port}",
        base_url=f"http://127.0.0.1:{local_server.port}",
    )
