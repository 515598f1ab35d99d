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
def runner() -> CliRunner:
    return CliRunner()


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
    assert heads[-1] == "4 checked: Valid 1, Revoked 1, Invalid 2"

    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["verdict"] for r in table] == ["valid", "revoked", "invalid", "invalid"]
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
