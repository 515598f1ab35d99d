"""The certificate's offline QR (``BJ1:``) verified with a trust file and no network."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from PIL import Image

from badges.compact import CompactClaims, compact_qr_png, decode_compact, sign_compact
from badges.qr import qr_png
from keys import KeyType, PrivateKeySigner
from tests.verify.conftest import NOW, Issuer, Keys, LocalServer, World
from verify import FetchedDocument, TrustStore, Verdict, verify_credential
from verify.cli import main
from verify.errors import ConnectionFailed, NotInTrustStore


class BlockedNetwork:
    """A network that is off: every fetch fails, and is counted."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        self.calls.append(url)
        raise ConnectionFailed("the network is off", url=url)


class TrustThenBlocked:
    """The trust file first; anything it lacks goes to the (blocked) network."""

    def __init__(self, store: TrustStore, network: BlockedNetwork) -> None:
        self._store = store.fetcher()
        self._network = network

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        try:
            return self._store.fetch(url, accept=accept)
        except NotInTrustStore:
            return self._network.fetch(url, accept=accept)


CAPTURED = NOW - timedelta(days=3, hours=4)


def _qr_text(world: World, issuer: Issuer, *, index: int = 1) -> str:
    credential, _ = world.issue(issuer, index=index)
    claims = CompactClaims.from_credential(credential, holder_name="김지우")
    return sign_compact(claims, issuer.ed25519)


@pytest.fixture
def hanbit(world: World) -> Issuer:
    issuer = world.issuer("hanbit", "한빛 디지털 혁신 아카데미")
    issuer.revocations.set(13)
    return issuer


def _trust(world: World) -> TrustStore:
    return TrustStore.from_documents(world.documents, captured_at=CAPTURED)


def test_photo_of_the_qr_verifies_offline_with_the_network_blocked(
    world: World, hanbit: Issuer
) -> None:
    """sign -> encode -> QR image -> decode (zxing-cpp) -> verify from the trust file only."""
    text = _qr_text(world, hanbit)
    store = _trust(world)
    network = BlockedNetwork()
    image = compact_qr_png(text)
    report = verify_credential(image, now=NOW, fetcher=TrustThenBlocked(store, network))
    assert network.calls == []
    assert report.verdict is Verdict.VALID, report.to_dict()
    assert report.check("input").code == "input-compact"
    assert report.check("proof").code == "compact-signature-verified"
    assert report.check("revocation").status.value == "passed"
    summary = report.summary()
    assert summary is not None
    assert summary["achievement"] == "인공지능 기초 과정 (AI Fundamentals)"
    assert summary["issuer"]["name"] == "한빛 디지털 혁신 아카데미"
    assert report.credential is not None
    assert report.credential["credentialSubject"]["name"] == "김지우"
    oldest = report.oldest_document
    assert oldest is not None
    assert oldest.captured_at == CAPTURED


def test_a_photo_of_the_whole_certificate_uses_the_offline_qr(world: World, hanbit: Issuer) -> None:
    """Both QR codes in one picture: the offline one is read, the URL one not fetched."""
    text = _qr_text(world, hanbit)
    url_qr = Image.open(io.BytesIO(qr_png("https://badges.example.kr/credentials/x", box_size=4)))
    offline_qr = Image.open(io.BytesIO(compact_qr_png(text)))
    sheet = Image.new("RGB", (url_qr.width + offline_qr.width + 80, 500), "white")
    sheet.paste(url_qr, (20, 20))
    sheet.paste(offline_qr, (url_qr.width + 60, 20))
    buffer = io.BytesIO()
    sheet.save(buffer, format="JPEG", quality=90)
    network = BlockedNetwork()
    report = verify_credential(
        buffer.getvalue(), now=NOW, fetcher=TrustThenBlocked(_trust(world), network)
    )
    assert report.verdict is Verdict.VALID, report.to_dict()
    assert network.calls == []


def test_tampered_payload_is_invalid(world: World, hanbit: Issuer) -> None:
    """Another holder's name under the issuer's signature: the signature fails."""
    text = _qr_text(world, hanbit)
    signed = decode_compact(text)
    forged_claims = CompactClaims(
        **{**signed.claims.__dict__, "holder_name": "박민수"},
    )
    forger = PrivateKeySigner.generate(KeyType.ED25519, hanbit.ed25519.key_id)
    forged = sign_compact(forged_claims, forger)
    report = verify_credential(forged, now=NOW, fetcher=_trust(world).fetcher())
    assert report.verdict is Verdict.INVALID
    assert report.check("proof").code == "compact-bad-signature"


def test_revoked_per_captured_list_states_the_capture_age(
    world: World, hanbit: Issuer, tmp_path: Path
) -> None:
    """Index 13 is revoked in the captured list; the CLI says how old that list is."""
    text = _qr_text(world, hanbit, index=13)
    trust = tmp_path / "trust.json"
    _trust(world).save(trust)
    report = verify_credential(text, now=NOW, fetcher=TrustStore.load(trust).fetcher())
    assert report.verdict is Verdict.REVOKED
    result = CliRunner().invoke(
        main, ["verify", text, "--offline", "--trust", str(trust), "--lang", "en"]
    )
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("REVOKED (revoked)")
    assert "Offline data: the oldest document was captured" in result.stdout
    assert f"captured {CAPTURED:%Y-%m-%dT%H:%M:%SZ}" in result.stdout


def test_unknown_issuer_or_key_is_unverifiable(world: World, hanbit: Issuer) -> None:
    """An issuer the trust file does not hold, or a key newer than its capture: unverifiable."""
    text = _qr_text(world, hanbit)
    store = _trust(world)
    stranger = world.issuer("stranger", "낯선 기관", keys="mallory")
    unknown_issuer = _qr_text(world, stranger)
    network = BlockedNetwork()
    report = verify_credential(unknown_issuer, now=NOW, fetcher=TrustThenBlocked(store, network))
    assert report.verdict is Verdict.UNVERIFIABLE
    assert report.check("issuer").status.value == "error"
    assert network.calls

    newer_key = PrivateKeySigner.generate(KeyType.ED25519, f"{hanbit.did}#key-2")
    rotated = sign_compact(decode_compact(text).claims, newer_key)
    report = verify_credential(rotated, now=NOW, fetcher=store.fetcher())
    assert report.verdict is Verdict.UNVERIFIABLE
    assert report.check("key").code == "compact-key-not-in-trust-file"


def test_unreadable_text_is_reported_in_the_input_check() -> None:
    report = verify_credential("BJ1:NOT*BASE45!", now=NOW, fetcher=BlockedNetwork())
    assert report.verdict is Verdict.INVALID
    assert report.check("input").code == "compact-unreadable"


def test_online_save_trust_then_offline(
    local_server: LocalServer, key_pool: dict[str, Keys], tmp_path: Path
) -> None:
    """Scan once with the network (--save-trust), then verify the same QR at the fair offline."""
    live = World(
        key_pool,
        host=f"127.0.0.1%3A{local_server.port}",
        base_url=f"http://127.0.0.1:{local_server.port}",
    )
    issuer = live.issuer("hanbit", "한빛 디지털 혁신 아카데미")
    text = _qr_text(live, issuer)
    for url, document in live.documents.items():
        local_server.json(urlsplit(url).path, document)
    trust = tmp_path / "trust.json"
    runner = CliRunner()
    online = runner.invoke(
        main, ["verify", text, "--allow-local", "--save-trust", str(trust), "--lang", "en"]
    )
    assert online.exit_code == 0, online.output
    assert len(TrustStore.load(trust)) == 3
    local_server.routes.clear()
    offline = runner.invoke(
        main, ["verify", text, "--offline", "--trust", str(trust), "--lang", "ko"]
    )
    assert offline.exit_code == 0, offline.output
    assert offline.stdout.startswith("유효함 (valid)")
    assert "오프라인 데이터" in offline.stdout
