"""``baeji verify``: output, exit codes, offline trust files, and the plugin-loading group.

Online runs go to a real HTTP server on 127.0.0.1 (``--allow-local``), serving a did:web
issuer ``did:web:127.0.0.1%3APORT:issuers:hanbit`` as the issuer service would.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

import verify.cli
from tests.verify.conftest import NOW, LocalServer, World
from verify import TrustStore, Verdict, verify_credential
from verify.cli import main, verify_command

plugin_commands = [click.Command("hello", callback=lambda: click.echo("hello from plugin"))]


def _write(tmp_path: Path, name: str, value: Any) -> Path:
    path = tmp_path / name
    if isinstance(value, bytes):
        path.write_bytes(value)
    else:
        path.write_text(
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False),
            encoding="utf-8",
        )
    return path


def test_online_valid_then_offline_from_the_saved_trust_file(
    runner: CliRunner, live: World, local_server: LocalServer, tmp_path: Path
) -> None:
    """Verify over HTTP, save the trust file, then verify offline and see the data's age."""
    issuer = live.issuer("hanbit", "한빛 디지털 혁신 아카데미")
    credential, _ = live.issue(issuer)
    local_server.publish(live)
    badge = _write(tmp_path, "badge.json", credential)
    trust = tmp_path / "trust.json"

    online = runner.invoke(
        main, ["verify", str(badge), "--allow-local", "--save-trust", str(trust), "--lang", "en"]
    )
    assert online.exit_code == 0, online.output
    assert online.stdout.startswith("VALID (valid)")
    assert "✓ passed  Signing key" in online.stdout
    store = TrustStore.load(trust)
    assert f"https://127.0.0.1:{local_server.port}/issuers/hanbit/did.json" in store
    assert len(store) == 3

    local_server.routes.clear()
    offline = runner.invoke(
        main, ["verify", str(badge), "--offline", "--trust", str(trust), "--lang", "ko"]
    )
    assert offline.exit_code == 0, offline.output
    assert offline.stdout.startswith("유효함 (valid)")
    assert "오프라인 데이터" in offline.stdout


def test_library_verifies_a_loopback_did_web_over_http(
    live: World, local_server: LocalServer
) -> None:
    """With allow_local, did:web:127.0.0.1%3APORT resolves over plain HTTP."""
    from verify import HttpFetcher

    issuer = live.issuer("hanbit", "한빛")
    credential, token = live.issue(issuer)
    live.documents[credential["id"]] = credential
    local_server.publish(live)
    fetcher = HttpFetcher(allow_local=True)
    for source in (credential, token, credential["id"]):
        report = verify_credential(source, now=NOW, fetcher=fetcher)
        assert report.verdict is Verdict.VALID, report.to_dict()
    paths = [path for path, _ in local_server.requests]
    assert "/issuers/hanbit/did.json" in paths


def test_without_allow_local_loopback_is_refused(
    runner: CliRunner, live: World, local_server: LocalServer, tmp_path: Path
) -> None:
    """The default fetcher refuses the loopback issuer: could not verify (exit 3)."""
    issuer = live.issuer("hanbit", "한빛")
    credential, _ = live.issue(issuer)
    local_server.publish(live)
    badge = _write(tmp_path, "badge.json", credential)
    result = runner.invoke(main, ["verify", str(badge), "--json"])
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["verdict"] == "unverifiable"
    assert local_server.requests == []


@pytest.fixture
def offline_world(world: World, tmp_path: Path) -> tuple[World, Path]:
    """The scenario world, captured as a trust file."""
    issuer = world.issuer("hanbit", "한빛 디지털 혁신 아카데미")
    issuer.revocations.set(13)
    world.publish_status(issuer)
    store = TrustStore.from_documents(world.documents, captured_at=NOW - timedelta(days=3))
    path = tmp_path / "trust.json"
    store.save(path)
    return world, path


@pytest.mark.parametrize(
    ("index", "extra", "code", "verdict"),
    [
        (1, [], 0, "valid"),
        (13, [], 1, "revoked"),
        # Issue 11: a genuine badge checked against another e-mail is recipient-mismatch
        # (was "invalid", which read as "may be forged"); still exit 1.
        (1, ["--email", "other@example.com"], 1, "recipient-mismatch"),
        (13, ["--email", "other@example.com"], 1, "recipient-mismatch"),
        (1, ["--email", " Kim.Jiwoo@Example.com "], 0, "valid"),
    ],
    ids=["valid", "revoked", "wrong-email", "revoked-wrong-email", "email-case-and-space"],
)
def test_exit_codes_offline(
    runner: CliRunner,
    offline_world: tuple[World, Path],
    tmp_path: Path,
    index: int,
    extra: list[str],
    code: int,
    verdict: str,
) -> None:
    """Exit 0 for valid, 1 for not valid; --json gives the verdict to programs."""
    world, trust = offline_world
    credential, _ = world.sign(
        world.issuers["hanbit"], world.credential(world.issuers["hanbit"], index=index)
    )
    badge = _write(tmp_path, "badge.json", credential)
    result = runner.invoke(
        main, ["verify", str(badge), "--offline", "--trust", str(trust), "--json", *extra]
    )
    assert result.exit_code == code, result.output
    report = json.loads(result.stdout)
    assert report["verdict"] == verdict
    assert report["documents"][0]["ageSeconds"] > 0


def test_exit_3_when_the_status_list_is_missing_offline(
    runner: CliRunner, offline_world: tuple[World, Path], tmp_path: Path
) -> None:
    """A status list absent from the trust file makes the result unverifiable (exit 3)."""
    world, trust = offline_world
    store = TrustStore.load(trust)
    kept = [d for d in store.documents if "/status/" not in d.url]
    TrustStore(kept).save(trust)
    credential, _ = world.sign(world.issuers["hanbit"], world.credential(world.issuers["hanbit"]))
    badge = _write(tmp_path, "badge.json", credential)
    result = runner.invoke(
        main, ["verify", str(badge), "--offline", "--trust", str(trust), "--lang", "en"]
    )
    assert result.exit_code == 3
    assert (
        "Could not verify" in result.stdout.upper().title() or "COULD NOT VERIFY" in result.stdout
    )
    assert "not in the trust file" in result.stdout


def test_baked_png_and_stdin(
    runner: CliRunner, offline_world: tuple[World, Path], tmp_path: Path
) -> None:
    """A baked PNG file and a JWT on stdin verify the same way."""
    from badges.bake import bake_png
    from badges.image import default_badge_png

    world, trust = offline_world
    _, token = world.sign(world.issuers["hanbit"], world.credential(world.issuers["hanbit"]))
    png = _write(tmp_path, "badge.png", bake_png(default_badge_png("AI"), token))
    assert (
        runner.invoke(main, ["verify", str(png), "--offline", "--trust", str(trust)]).exit_code == 0
    )
    piped = runner.invoke(
        main, ["verify", "-", "--offline", "--trust", str(trust)], input=token.encode()
    )
    assert piped.exit_code == 0, piped.output


def test_trust_file_used_online_pins_documents(
    runner: CliRunner, offline_world: tuple[World, Path], tmp_path: Path
) -> None:
    """--trust without --offline serves pinned documents first (no network needed here)."""
    world, trust = offline_world
    credential, _ = world.sign(world.issuers["hanbit"], world.credential(world.issuers["hanbit"]))
    badge = _write(tmp_path, "badge.json", credential)
    result = runner.invoke(main, ["verify", str(badge), "--trust", str(trust)])
    assert result.exit_code == 0, result.output


def test_save_trust_merges_into_an_existing_file(
    runner: CliRunner, live: World, local_server: LocalServer, tmp_path: Path
) -> None:
    """Saving twice keeps the documents of both runs."""
    first = live.issuer("hanbit", "한빛")
    second = live.issuer("platform", "플랫폼")
    badge_one, _ = live.issue(first)
    badge_two, _ = live.issue(second)
    local_server.publish(live)
    trust = tmp_path / "trust.json"
    for number, badge in enumerate((badge_one, badge_two)):
        path = _write(tmp_path, f"b{number}.json", badge)
        result = runner.invoke(
            main, ["verify", str(path), "--allow-local", "--save-trust", str(trust)]
        )
        assert result.exit_code == 0, result.output
    assert len(TrustStore.load(trust)) == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "badge.json", "--offline"], "--offline needs --trust"),
        (["verify", "missing.json"], "no such file"),
        (["verify", "badge.json", "--offline", "--trust", "bad.json"], "not a trust file"),
        (
            ["verify", "badge.json", "--offline", "--trust", "bad.json", "--save-trust", "x"],
            "cannot be used with --offline",
        ),
        (["verify", "badge.json", "--lang", "fr"], "Invalid value"),
        (["verify"], "Missing argument"),
    ],
    ids=["offline-without-trust", "missing-file", "bad-trust", "offline-save", "lang", "no-arg"],
)
def test_usage_errors_exit_2(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    """Misuse exits 2 with a message saying what was wrong."""
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "badge.json", {})
    _write(tmp_path, "bad.json", {"documents": []})
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output


def test_save_trust_refuses_to_overwrite_a_foreign_file(
    runner: CliRunner, offline_world: tuple[World, Path], tmp_path: Path
) -> None:
    """--save-trust onto a file that is not a trust file is a usage error, file untouched."""
    world, trust = offline_world
    credential, _ = world.sign(world.issuers["hanbit"], world.credential(world.issuers["hanbit"]))
    badge = _write(tmp_path, "badge.json", credential)
    foreign = _write(tmp_path, "notes.txt", "my notes")
    result = runner.invoke(
        main, ["verify", str(badge), "--trust", str(trust), "--save-trust", str(foreign)]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert foreign.read_text() == "my notes"


def test_an_oversize_file_is_reported_not_loaded(runner: CliRunner, tmp_path: Path) -> None:
    """A 50 MB file is read only up to the limit and reported as too large (exit 1)."""
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = runner.invoke(main, ["verify", str(path), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["checks"][0]["code"] == "input-too-large"


def test_default_language_follows_the_environment(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LANG=ko_KR.UTF-8 gives Korean output."""
    monkeypatch.setenv("BAEJI_LANG", "ko_KR.UTF-8")
    path = _write(tmp_path, "x.json", "{broken")
    result = runner.invoke(main, ["verify", str(path)])
    assert result.exit_code == 1
    assert "유효하지 않음" in result.stdout


def _red_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (220, 0, 0)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [("hello.txt", b"hello world\n"), ("red.png", None)],
    ids=["hello-world-text", "plain-red-png"],
)
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_unreadable_input_exits_3_with_advice(
    runner: CliRunner, tmp_path: Path, name: str, content: bytes | None, lang: str
) -> None:
    """Nothing that could be a badge: exit 3 and "try a sharper photo", never "forged"."""
    path = tmp_path / name
    path.write_bytes(content if content is not None else _red_png())
    result = runner.invoke(main, ["verify", str(path), "--lang", lang])
    assert result.exit_code == 3, result.output
    if lang == "ko":
        assert "배지를 읽지 못했습니다" in result.stdout
        assert "더 선명한 사진이나 원본 파일" in result.stdout
        assert "위조" not in result.stdout
    else:
        assert "We could not read a badge here" in result.stdout
        assert "try a sharper photo or the original file" in result.stdout
        assert "forged" not in result.stdout
    as_json = runner.invoke(main, ["verify", str(path), "--json"])
    assert as_json.exit_code == 3
    assert json.loads(as_json.stdout)["verdict"] == "unreadable"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_recipient_mismatch_says_so(
    runner: CliRunner, offline_world: tuple[World, Path], tmp_path: Path, lang: str
) -> None:
    """A genuine badge checked against another e-mail says exactly that, exit 1."""
    world, trust = offline_world
    credential, _ = world.sign(
        world.issuers["hanbit"], world.credential(world.issuers["hanbit"], index=1)
    )
    badge = _write(tmp_path, "badge.json", credential)
    result = runner.invoke(
        main,
        [
            *["verify", str(badge), "--offline", "--trust", str(trust)],
            *["--lang", lang, "--email", "other@example.com"],
        ],
    )
    assert result.exit_code == 1
    if lang == "ko":
        assert "진본이지만, 입력하신 이메일 주소로 발급된 배지가 아닙니다" in result.stdout
    else:
        assert "genuine, but it was not issued to the e-mail address you gave" in result.stdout


def test_standalone_command_and_help(runner: CliRunner) -> None:
    """baeji-verify is the same command; --help documents the exit codes."""
    result = runner.invoke(verify_command, ["--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "0 valid, 1 not valid (also: not issued to --email), 2 usage error," in text
    assert "3 could not verify, or no badge found in the input" in text


def test_plugins_are_loaded_and_missing_extras_skipped(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands from baeji.commands entry points join the group; an ImportError is skipped."""
    points = [
        EntryPoint("good", "tests.verify.test_cli:plugin_commands", "baeji.commands"),
        EntryPoint("absent", "baeji_missing_extra.cli:commands", "baeji.commands"),
    ]
    monkeypatch.setattr(verify.cli, "entry_points", lambda group: points)
    group = verify.cli.BaejiGroup(commands={"verify": verify_command})
    listed = runner.invoke(group, ["--help"])
    assert listed.exit_code == 0
    assert "hello" in listed.output
    assert runner.invoke(group, ["hello"]).output == "hello from plugin\n"
    assert "verify" in main.list_commands(click.Context(main))
