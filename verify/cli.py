"""The ``baeji`` command group and its ``verify`` command.

``baeji verify PATH|URL`` works with only the verifier installed. Other commands come from
the ``baeji.commands`` entry point group (the issuer package adds its operator commands
there); a group whose import fails because its extra is not installed is skipped.

Exit codes (DESIGN.md, "Interfaces"): 0 valid, 1 not valid (invalid, revoked, suspended,
expired, not yet valid, not issued to the e-mail given), 2 usage error, 3 could not verify
(unverifiable) or nothing that could be a badge was found in the input (unreadable).

Several inputs (``baeji verify a.json b.png folder/ --from links.txt --csv out.csv``) are
run by :mod:`verify.batch_cli`: one line per input and a summary; exit 0 when all are
valid, 1 when any is not valid, 3 when none is not valid but some could not be verified.
The text of a certificate's offline QR (``BJ1:…``) is accepted as an input too.

``--registry FILE|URL`` (repeatable) adds a ``registry`` check to each report: whether a
DCC issuer registry or a signed Baeji registry (:mod:`verify.registry`) lists the issuer.
``--save-trust`` keeps the registries in the trust file, and ``--trust`` uses them.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import IO, Any

import click

from badges.model import format_datetime
from verify.algorithm import verify_credential
from verify.batch_cli import expand_batch, run_batch
from verify.errors import FetchError, InvalidRegistry, InvalidTrustStore, NotInTrustStore
from verify.messages import text, verdict_headline
from verify.registry import (
    MAX_REGISTRY_BYTES,
    IssuerRegistry,
    UncheckedRegistry,
    fetch_registry,
    parse_registry,
    publisher_did,
    with_registry_check,
)
from verify.report import CheckStatus, Verdict, VerificationReport
from verify.resolve import FetchedDocument, Fetcher, HttpFetcher
from verify.source import MAX_INPUT_BYTES
from verify.trust import RecordingFetcher, TrustedDocument, TrustStore

ENTRY_POINT_GROUP = "baeji.commands"


class VerdictExit(click.ClickException):
    """Ends the command with the exit code of a verdict; the report is already printed."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        """Print nothing more: the report on stdout says everything."""


class NotValidExit(VerdictExit):
    """The credential is not valid (exit 1)."""

    exit_code = 1


class UnverifiableExit(VerdictExit):
    """The credential could not be verified, or no badge was found in the input (exit 3)."""

    exit_code = 3


class CouldNotVerify(click.ClickException):
    """Verification itself broke down (exit 3)."""

    exit_code = 3


class _TrustThenNetwork:
    """Serve documents from a trust file first, then from the network."""

    def __init__(self, store: TrustStore, network: Fetcher) -> None:
        self._store = store.fetcher()
        self._network = network

    def fetch(self, url: str, *, accept: str) -> FetchedDocument:
        """Return the trust file's copy of ``url``, or fetch it live."""
        try:
            return self._store.fetch(url, accept=accept)
        except NotInTrustStore:
            return self._network.fetch(url, accept=accept)


def _default_lang() -> str:
    for name in ("BAEJI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


_MARKS = {
    CheckStatus.PASSED: "✓",
    CheckStatus.FAILED: "✗",
    CheckStatus.SKIPPED: "-",
    CheckStatus.ERROR: "!",
}


def _headline(report: VerificationReport, lang: str) -> str:
    summary = report.summary() or {}
    issuer = summary.get("issuer") or {}
    issuer_name = issuer.get("name")
    issuer_id = issuer.get("id")
    name = summary.get("name") or summary.get("achievement")
    parts = [f"{report.verdict.label(lang).upper()} ({report.verdict.value})"]
    if report.version != "3.0":
        parts.append(f"[Open Badges {report.version}]")
    if name:
        parts.append(f"“{name}”")
    if issuer_id:
        who = f"{issuer_name} <{issuer_id}>" if issuer_name else str(issuer_id)
        parts.append(text("cli.issued_by", lang, who=who))
    return " ".join(parts)


def _width(text: str) -> int:
    """Columns the text takes in a terminal: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _render(report: VerificationReport, lang: str, indent: str = "") -> list[str]:
    lines = [indent + _headline(report, lang)]
    if (sentence := verdict_headline(report.verdict.value, lang)) is not None:
        lines.append(f"{indent}  {sentence}")
    title_width = max(_width(c.title(lang)) for c in report.checks)
    label_width = max(_width(s.label(lang)) for s in CheckStatus)
    for check in report.checks:
        mark = _MARKS[check.status]
        label = _pad(check.status.label(lang), label_width)
        title = _pad(check.title(lang), title_width)
        lines.append(f"{indent}  {mark} {label} {title}  {check.message(lang)}")
    for number, child in enumerate(report.children, start=1):
        role = text(f"cli.role.{child.role}", lang)
        if role == f"cli.role.{child.role}":
            role = child.role
        lines.append(f"{indent}  ↳ {role} {number}:")
        lines.extend(_render(child, lang, indent + "    "))
    return lines


def _age_line(report: VerificationReport, lang: str) -> str | None:
    oldest = report.oldest_document
    if oldest is None or oldest.captured_at is None or report.checked_at is None:
        return None
    age = report.checked_at - oldest.captured_at
    days, hours = age.days, age.seconds // 3600
    captured = format_datetime(oldest.captured_at)
    return text("cli.offline_age", lang, captured=captured, days=days, hours=hours)


def _read_target(target: str) -> str | bytes:
    if target.lower().startswith(("https://", "http://")) or target.startswith("BJ1:"):
        # A URL, or the text of a certificate's offline QR as a scanner app shows it.
        return target
    if target == "-":
        with click.open_file("-", "rb") as stdin:
            data: bytes = stdin.read(MAX_INPUT_BYTES + 1)
        return data
    path = Path(target)
    if not path.is_file():
        raise click.BadParameter(f"no such file: {target}", param_hint="PATH|URL")
    # Read one byte past the limit so an oversize file is reported, not loaded whole.
    with path.open("rb") as handle:
        return handle.read(MAX_INPUT_BYTES + 1)


def _load_trust(path: str) -> TrustStore:
    try:
        return TrustStore.load(path)
    except (InvalidTrustStore, OSError) as err:
        raise click.BadParameter(str(err), param_hint="--trust") from err


def _existing_trust(path: str) -> TrustStore:
    """The trust file ``--save-trust`` will add to (empty if it does not exist yet)."""
    if not Path(path).exists():
        return TrustStore()
    try:
        return TrustStore.load(path)
    except (InvalidTrustStore, OSError) as err:
        raise click.BadParameter(
            f"{err}; refusing to overwrite it", param_hint="--save-trust"
        ) from err


def _is_url(source: str) -> bool:
    return source.lower().startswith(("https://", "http://"))


@dataclass
class _Registries:
    """The issuer registries of one run: loaded, unreadable, and what a trust file keeps."""

    loaded: list[IssuerRegistry] = field(default_factory=list)
    unchecked: list[UncheckedRegistry] = field(default_factory=list)
    captured: list[TrustedDocument] = field(default_factory=list)

    def mark(self, report: VerificationReport) -> VerificationReport:
        """Add the ``registry`` check to ``report``."""
        return with_registry_check(report, self.loaded, self.unchecked)


def _load_registries(
    sources: tuple[str, ...],
    store: TrustStore | None,
    fetcher: Fetcher,
    *,
    now: datetime,
    offline: bool,
    lang: str,
) -> _Registries:
    """Load the registries named with ``--registry``, and those saved in the trust file.

    Given ones come first (most authoritative first, as given); a saved copy stands in for
    a given URL offline. A registry that cannot be read is reported, not fatal: the
    ``registry`` check then says which could not be checked.
    """
    saved = {r.url: r for r in store.registries} if store is not None else {}
    wanted = list(dict.fromkeys([*sources, *saved]))
    found = _Registries()
    for source in wanted:
        expected = publisher_did(source) if _is_url(source) else None
        copy = saved.get(source)
        try:
            if copy is not None and (offline or source not in sources):
                registry = parse_registry(
                    copy.body, source=source, fetcher=fetcher, now=now, expected_issuer=expected
                )
                document = copy
            elif _is_url(source):
                registry = fetch_registry(source, fetcher=fetcher, now=now)
                document = None
            else:
                path = Path(source)
                if not path.is_file():
                    raise click.BadParameter(f"no such file: {source}", param_hint="--registry")
                with path.open("rb") as handle:
                    data = handle.read(MAX_REGISTRY_BYTES + 1)
                registry = parse_registry(data, source=source, fetcher=fetcher, now=now)
                document = None
        except (InvalidRegistry, FetchError) as err:
            found.unchecked.append(UncheckedRegistry(source, err.code, str(err)))
            click.echo(text("cli.registry_unchecked", lang, source=source, reason=err), err=True)
            continue
        found.loaded.append(registry)
        found.captured.append(
            document
            or TrustedDocument(
                source,
                "application/json",
                json.dumps(registry.document, ensure_ascii=False).encode("utf-8"),
                now,
            )
        )
    return found


@click.command("verify")
@click.argument("targets", metavar="PATH|URL...", nargs=-1)
@click.option(
    "--from",
    "list_file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Also verify the paths or URLs listed in FILE, one per line.",
)
@click.option(
    "--csv",
    "csv_path",
    metavar="OUT",
    type=click.Path(dir_okay=False, writable=True),
    help="Write one row per input to OUT as CSV (UTF-8 with BOM, opens in Excel).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--lang",
    type=click.Choice(["ko", "en"]),
    default=_default_lang,
    show_default="from LANG",
    help="Language of the messages.",
)
@click.option("--email", metavar="EMAIL", help="Check that the badge was issued to this email.")
@click.option("--offline", is_flag=True, help="Use only the documents in the --trust file.")
@click.option(
    "--trust",
    "trust_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Trust file of issuer documents and status lists (with --offline: the only source).",
)
@click.option(
    "--save-trust",
    "save_trust_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Save the documents fetched while verifying, for --offline use later.",
)
@click.option(
    "--registry",
    "registry_sources",
    metavar="FILE|URL",
    multiple=True,
    help="Say whether the issuer is listed by this issuer registry: DCC issuer-registry JSON"
    " or a signed registry (e.g. https://host/registry.json). Repeatable, most authoritative"
    " first; --save-trust keeps it, and --trust uses the registries kept in the file.",
)
@click.option(
    "--allow-local",
    is_flag=True,
    help="Development only: allow loopback addresses (127.0.0.1, ::1, localhost), over plain"
    " HTTP too. Private and link-local addresses stay refused.",
)
@click.option(
    "--clock-skew",
    type=click.IntRange(0, 86_400),
    default=300,
    show_default=True,
    help="Seconds of clock difference tolerated for validFrom/validUntil.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 120.0),
    default=5.0,
    show_default=True,
    help="Seconds allowed for each fetch.",
)
@click.option(
    "--certifier",
    "certifiers",
    metavar="DID",
    multiple=True,
    help="A certifying body you trust (e.g. a platform's did:web): report the issuer's "
    "certification by it (check issuer-certification). Repeatable.",
)
@click.option(
    "--certification",
    "certifications",
    metavar="FILE|URL",
    multiple=True,
    help="With --certifier: a certification of the issuer (EndorsementCredential as a JSON or "
    "JWT file, or its URL), besides any in the issuer profile. Repeatable.",
)
def verify_command(
    targets: tuple[str, ...],
    list_file: str | None,
    csv_path: str | None,
    as_json: bool,
    lang: str,
    email: str | None,
    offline: bool,
    trust_path: str | None,
    save_trust_path: str | None,
    registry_sources: tuple[str, ...],
    allow_local: bool,
    clock_skew: int,
    timeout: float,
    certifiers: tuple[str, ...] = (),
    certifications: tuple[str, ...] = (),
) -> None:
    """Verify Open Badges credentials: JSON, JWT, PNG, SVG or QR image files, folders, or URLs.

    With one input, prints its full report. With several (or a folder, --from or --csv),
    prints one line per input and a summary; a folder stands for the files directly in it.

    Exit status: 0 valid, 1 not valid (also: not issued to --email), 2 usage error,
    3 could not verify, or no badge found in the input.

    With several inputs: 0 all valid, 1 any not valid, 3 some could not be verified and
    none is not valid.
    """
    if not targets and list_file is None:
        raise click.UsageError("Missing argument 'PATH|URL...'.")
    if offline and trust_path is None:
        raise click.UsageError("--offline needs --trust FILE")
    if offline and save_trust_path is not None:
        raise click.UsageError(
            "--save-trust records live fetches; it cannot be used with --offline"
        )
    many = (
        len(targets) != 1
        or list_file is not None
        or csv_path is not None
        or Path(targets[0]).is_dir()
    )
    if many and email is not None:
        raise click.UsageError("--email checks one candidate; give a single PATH|URL")
    if many and certifiers:
        raise click.UsageError("--certifier checks one credential; give a single PATH|URL")
    if certifications and not certifiers:
        raise click.UsageError("--certification needs --certifier DID (whom you trust)")
    store = _load_trust(trust_path) if trust_path is not None else None
    existing = _existing_trust(save_trust_path) if save_trust_path is not None else None
    fetcher: Fetcher
    if offline and store is not None:
        fetcher = store.fetcher()
    else:
        fetcher = HttpFetcher(allow_local=allow_local, timeout=timeout)
        if store is not None:
            fetcher = _TrustThenNetwork(store, fetcher)
    # The command line is the composition boundary: the one place the verifier reads a clock.
    now = datetime.now(UTC)
    recorder = RecordingFetcher(fetcher, now=now) if save_trust_path else None
    registries = (
        _load_registries(
            registry_sources, store, recorder or fetcher, now=now, offline=offline, lang=lang
        )
        if registry_sources or (store is not None and store.registries)
        else None
    )
    if many:
        code = run_batch(
            expand_batch(targets, list_file),
            read=_read_target,
            now=now,
            fetcher=recorder or fetcher,
            clock_skew=timedelta(seconds=clock_skew),
            lang=lang,
            as_json=as_json,
            csv_path=csv_path,
            finish=registries.mark if registries else None,
        )
        _save_trust(recorder, existing, save_trust_path, registries.captured if registries else ())
        if code == 1:
            raise NotValidExit("not valid")
        if code == 3:
            raise UnverifiableExit("unverifiable")
        return
    source = _read_target(targets[0])
    try:
        report = verify_credential(
            source,
            now=now,
            fetcher=recorder or fetcher,
            email=email,
            clock_skew=timedelta(seconds=clock_skew),
            certifiers=certifiers,
            certifications=[_read_certification(c) for c in certifications],
        )
    except Exception as err:  # the CLI is the outermost boundary (STYLE.md, "Errors")
        raise CouldNotVerify(f"verification failed: {type(err).__name__}: {err}") from err
    if registries is not None:
        report = registries.mark(report)
    _print_report(report, lang=lang, as_json=as_json)
    _save_trust(recorder, existing, save_trust_path, registries.captured if registries else ())
    if report.verdict is Verdict.VALID:
        return
    if report.verdict in (Verdict.UNVERIFIABLE, Verdict.UNREADABLE):
        raise UnverifiableExit(report.verdict.value)
    raise NotValidExit(report.verdict.value)


def _read_certification(target: str) -> dict[str, Any] | str:
    """A --certification: a URL as given, else the file's JSON object or JWT text."""
    if target.lower().startswith(("https://", "http://")):
        return target
    try:
        text = Path(target).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise click.BadParameter(
            f"cannot read {target}: {err}", param_hint="--certification"
        ) from err
    try:
        value = json.loads(text)
    except ValueError:
        return text.strip()
    if not isinstance(value, dict):
        raise click.BadParameter(f"{target} is not a JSON object", param_hint="--certification")
    return value


def _save_trust(
    recorder: RecordingFetcher | None,
    existing: TrustStore | None,
    path: str | None,
    registries: Sequence[TrustedDocument] = (),
) -> None:
    if recorder is not None and existing is not None and path is not None:
        captured = recorder.store().with_registries(registries)
        saved = existing.merged(captured)
        saved.save(path)
        click.echo(
            f"Saved {len(captured)} document(s) to {path} ({len(saved)} in the file).",
            err=True,
        )


def _print_report(report: VerificationReport, *, lang: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.to_dict(lang), ensure_ascii=False, indent=2))
        return
    for line in _render(report, lang):
        click.echo(line)
    if (age := _age_line(report, lang)) is not None:
        click.echo(age)


class BaejiGroup(click.Group):
    """A click group that also offers the commands of installed ``baeji.commands`` plugins."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plugins_loaded = False

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            try:
                loaded = entry_point.load()
            except ImportError:
                # The plugin's extra (e.g. the web stack for issuer commands) is not installed.
                continue
            commands = [loaded] if isinstance(loaded, click.Command) else list(loaded)
            for command in commands:
                if isinstance(command, click.Command) and command.name not in self.commands:
                    self.add_command(command)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """All command names, plugins included."""
        self._load_plugins()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, loading plugins only if it is not built in."""
        if cmd_name not in self.commands:
            self._load_plugins()
        return super().get_command(ctx, cmd_name)


@click.group(cls=BaejiGroup)
@click.version_option(package_name="baeji")
def main() -> None:
    """Baeji (배지): issue and verify Open Badges 3.0 credentials."""


main.add_command(verify_command)

__all__ = ["BaejiGroup", "main", "verify_command"]
