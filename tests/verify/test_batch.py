"""``baeji verify`` with many inputs: folders, ``--from`` lists, the table, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.verify.conftest import NOW, World
from verify import TrustStore, Verdict
from verify.batch import (
    BatchInputError,
    BatchRow,
    FailedCheck,
    batch_exit_code,
    expand_inputs,
    rows_to_csv,
    safe_cell,
    summarize,
)
from verify.cli import main


@pytest.fixture
def pile(world: World, tmp_path: Path) -> tuple[Path, Path]:
    """A folder of applications (valid, revoked, tampered, unreadable) and a trust file."""
    issuer = world.issuer("hanbit", "한빛 디지털 혁신 아카데미")
    issuer.revocations.set(13)
    valid, _ = world.issue(issuer, index=1)
    revoked, _ = world.issue(issuer, index=13)
    tampered = json.loads(json.dumps(valid))
    tampered["credentialSubject"]["achievement"]["name"] = '=HYPERLINK("http://evil")'
    trust = tmp_path / "trust.json"
    TrustStore.from_documents(world.documents, captured_at=NOW - timedelta(days=2)).save(trust)
    folder = tmp_path / "지원서"
    folder.mkdir()
    (folder / "a-valid.json").write_text(json.dumps(valid, ensure_ascii=False), "utf-8")
    (folder / "b-revoked.json").write_text(json.dumps(revoked, ensure_ascii=False), "utf-8")
    (folder / "c-tampered.json").write_text(json.dumps(tampered, ensure_ascii=False), "utf-8")
    (folder / "d-notes.txt").write_text("이력서 메모", "utf-8")
    (folder / ".hidden.json").write_text("{}", "utf-8")
    (folder / "round2").mkdir()
    (folder / "round2" / "x.json").write_text("{}", "utf-8")
    return folder, trust


def test_a_folder_gives_one_line_per_file_a_summary_and_exit_1(
    runner: CliRunner, pile: tuple[Path, Path], tmp_path: Path
) -> None:
    """Files directly in the folder, sorted; hidden files and sub-folders skipped."""
    folder, trust = pile
    out = tmp_path / "table.csv"
    result = runner.invoke(
        main,
        ["verify", str(folder), "--offline", "--trust", str(trust), "--csv", str(out)],
        env={"BAEJI_LANG": "en"},
    )
    assert result.exit_code == 1, result.output
    heads = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert [h.split("  ")[1] for h in heads[:-1]] == [
        str(folder / name)
        for name in ("a-valid.json", "b-revoked.json", "c-tampered.json", "d-notes.txt")
    ]
    assert heads[0].startswith("VALID (valid)")
    assert "인공지능 기초 과정" in heads[0]
    assert "한빛 디지털 혁신 아카데미" in heads[0]
    assert heads[1].startswith("REVOKED (revoked)")
    assert heads[2].startswith("INVALID (invalid)")
    assert "✗ proof:" in result.stdout
    # A text file holds nothing that could be a badge (issue 11: "unreadable").
    assert heads[3].startswith("NO BADGE FOUND (unreadable)"), heads[3]
    assert heads[-1] == "4 checked: Valid 1, Revoked 1, Invalid 1, No badge found 1"

    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["verdict"] for r in table] == ["valid", "revoked", "invalid", "unreadable"]
    assert table[0]["issuer"] == "한빛 디지털 혁신 아카데미"
    assert table[0]["course"].startswith("인공지능 기초 과정")
    assert table[0]["issued"]
    assert table[0]["failedChecks"] == ""
    assert table[1]["failedChecks"].startswith("revocation: ")
    # The tampered course name is a formula: the cell is neutralized with a quote.
    assert table[2]["course"] == '\'=HYPERLINK("http://evil")'


def test_json_rows_and_from_list(
    runner: CliRunner, pile: tuple[Path, Path], tmp_path: Path
) -> None:
    """--from reads one path per line (relative to the list, comments skipped); --json rows."""
    folder, trust = pile
    listing = folder / "list.txt"
    listing.write_text("# 1차 서류\na-valid.json\n\nb-revoked.json\n", "utf-8")
    result = runner.invoke(
        main,
        ["verify", "--from", str(listing), "--offline", "--trust", str(trust), "--json"],
    )
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert payload["summary"]["total"] == 2
    assert payload["summary"]["valid"] == 1
    assert payload["summary"]["revoked"] == 1
    assert payload["summary"]["notValid"] == 1
    first, second = payload["results"]
    assert first["input"] == str(folder / "a-valid.json")
    assert first["verdict"] == "valid"
    assert first["failedChecks"] == []
    assert first["issuerId"].startswith("did:web:")
    assert second["failedChecks"][0]["id"] == "revocation"
    assert second["failedChecks"][0]["message"]


def test_only_valid_exits_0_and_unverifiable_exits_3(
    runner: CliRunner, pile: tuple[Path, Path], tmp_path: Path
) -> None:
    """All valid: 0. Valid plus could-not-verify (no trust data for it): 3."""
    folder, trust = pile
    valid = str(folder / "a-valid.json")
    ok = runner.invoke(main, ["verify", valid, valid, "--offline", "--trust", str(trust)])
    assert ok.exit_code == 0, ok.output
    empty = tmp_path / "empty-trust.json"
    TrustStore().save(empty)
    unknown = runner.invoke(main, ["verify", valid, valid, "--offline", "--trust", str(empty)])
    assert unknown.exit_code == 3, unknown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "nowhere.json", "x.json"], "no such file or folder"),
        (["verify", "--from", "missing.txt"], "cannot read"),
        (["verify", "a.json", "b.json", "--email", "a@example.com"], "single PATH|URL"),
        (["verify", "empty"], "no files in folder"),
    ],
    ids=["missing", "list-missing", "email", "empty-folder"],
)
def test_batch_usage_errors_exit_2(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.json").write_text("{}", "utf-8")
    (tmp_path / "b.json").write_text("{}", "utf-8")
    (tmp_path / "empty").mkdir()
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_exit_code_rules() -> None:
    valid = BatchRow("a", Verdict.VALID)
    unverifiable = BatchRow("b", Verdict.UNVERIFIABLE)
    expired = BatchRow("c", Verdict.EXPIRED)
    assert batch_exit_code([valid, valid]) == 0
    assert batch_exit_code([valid, unverifiable]) == 3
    assert batch_exit_code([unverifiable, expired, valid]) == 1
    assert summarize([valid, unverifiable, expired])["notValid"] == 1


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t"])
def test_formula_cells_are_quoted(start: str) -> None:
    assert safe_cell(start + "1+1") == "'" + start + "1+1"
    row = BatchRow(
        start + "cmd|' /C calc'!A0", Verdict.INVALID, failed=(FailedCheck("x", "failed", "m"),)
    )
    text = rows_to_csv([row])
    assert "\n'" + start in text.replace("\r\n", "\n")
    assert safe_cell("김지우") == "김지우"


def test_expand_inputs_limit(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"{i}.json").write_text("{}", "utf-8")
    assert len(expand_inputs([str(tmp_path)], limit=5)) == 5
    with pytest.raises(BatchInputError) as caught:
        expand_inputs([str(tmp_path)], limit=4)
    assert caught.value.code == "too-many-inputs"


def test_a_mixed_folder_gives_one_correct_table_offline(
    runner: CliRunner, world: World, tmp_path: Path
) -> None:
    """Issue 14's "done when": our badge, an OB 2.0 hosted badge (listed by URL), an OB 2.0
    baked PNG, another issuer's OB 3.0 JWT and a photo of a certificate, all offline."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from PIL import Image

    from badges.compact import CompactClaims, compact_qr_png, sign_compact
    from badges.qr import qr_png
    from keys import KeyType, PrivateKeySigner
    from tests.verify.test_ob2 import (
        ASSERTION_URL,
        _itxt_png,
        _sign,
        _signed_world,
        _spec_documents,
    )
    from tests.verify.test_other_issuers import OTHER_DID, OTHER_DID_URL, _did_document, _jwt

    issuer = world.issuer("hanbit", "한빛 디지털 혁신 아카데미")
    ours, _ = world.issue(issuer, index=1)
    certified, _ = world.issue(issuer, index=2)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ob2_documents, signed_assertion = _signed_world(public_pem)
    others = {
        "es256": PrivateKeySigner.generate(KeyType.P256, f"{OTHER_DID}#es-1"),
        "eddsa": PrivateKeySigner.generate(KeyType.ED25519, f"{OTHER_DID}#ed-1"),
    }
    university = json.loads(json.dumps(ours))
    university.pop("proof")
    university.pop("credentialStatus")
    university["issuer"] = {"id": OTHER_DID, "type": ["Profile"], "name": "한국대학교"}
    university["id"] = "https://credentials.univ.example/c/1"
    token = _jwt(university, others["es256"], {"alg": "ES256", "kid": f"{OTHER_DID}#es-1"})

    claims = CompactClaims.from_credential(certified, holder_name="김지우")
    url_qr = Image.open(io.BytesIO(qr_png(certified["id"], box_size=4)))
    offline_qr = Image.open(io.BytesIO(compact_qr_png(sign_compact(claims, issuer.ed25519))))
    sheet = Image.new("RGB", (url_qr.width + offline_qr.width + 60, 480), "white")
    sheet.paste(url_qr, (10, 10))
    sheet.paste(offline_qr, (url_qr.width + 40, 10))
    photo = io.BytesIO()
    sheet.save(photo, format="JPEG", quality=88)

    folder = tmp_path / "박람회"
    folder.mkdir()
    (folder / "1-ours.json").write_text(json.dumps(ours, ensure_ascii=False), "utf-8")
    (folder / "2-ob2-baked.png").write_bytes(
        _itxt_png("openbadges", _sign(signed_assertion, private_pem))
    )
    (folder / "3-university.jwt").write_text(token, "utf-8")
    (folder / "4-certificate-photo.jpg").write_bytes(photo.getvalue())
    listing = tmp_path / "links.txt"
    listing.write_text(ASSERTION_URL + "\n", "utf-8")
    documents = {
        **world.documents,
        **ob2_documents,
        **_spec_documents(),
        OTHER_DID_URL: _did_document(others),
    }
    trust = tmp_path / "trust.json"
    TrustStore.from_documents(documents, captured_at=NOW).save(trust)

    result = runner.invoke(
        main,
        ["verify", str(folder), "--from", str(listing), "--offline", "--trust", str(trust)],
        env={"BAEJI_LANG": "en"},
    )
    json_result = runner.invoke(
        main,
        [
            *("verify", str(folder), "--from", str(listing)),
            *("--offline", "--trust", str(trust), "--json"),
        ],
    )
    rows = json.loads(json_result.stdout)["results"]
    assert [(Path(r["input"]).name, r["verdict"]) for r in rows] == [
        ("1-ours.json", "valid"),
        ("2-ob2-baked.png", "valid"),
        ("3-university.jwt", "valid"),
        ("4-certificate-photo.jpg", "valid"),
        ("beths-robotics-badge.json", "valid"),
    ], rows
    assert rows[1]["course"] == "Awesome Robotics Badge"
    assert rows[2]["issuer"] == "한국대학교"
    assert rows[3]["holder"] == "김지우"
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "5 checked: Valid 5"
