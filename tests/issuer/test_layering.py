"""Layering inside ``issuer``: which feature may import which, and where Flask's request lives.

The rules, read from every module's imports (``ast``, nothing is imported or run):

- **Features form a DAG**, lowest first: ``status`` ← ``issuers`` ← ``achievements`` ←
  ``learners`` ← ``credentials`` ← ``published`` ← ``verification``. A feature's
  workflow modules (everything but its edges) import only shared modules, their own
  feature, and features below it.
- **Edges** (``api``, ``views``, ``cli`` of a feature, and any ``*_api`` or ``*_views``) are
  imported only by the composition modules (``app`` registers blueprints, ``cli`` lists
  commands) or by another edge reusing a page builder; never by a workflow or shared module.
- **Workflow and shared modules never touch Flask's request globals** (``request``, ``g``,
  ``session``), except the shared request plumbing listed in ``REQUEST_PLUMBING``.
- A module over 400 lines says at its top why it is one module.
- ``issuer`` itself only re-exports ``create_app`` and ``settings_of``; importing it is free.
- **Shared modules import no feature**, except the ones named in ``SHARED_USES``, each with
  its reason. Imports under ``if TYPE_CHECKING:`` are for annotations only and not counted.

Imports are resolved to modules: ``from issuer.credentials import service`` counts as an
import of ``issuer.credentials.service``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ISSUER = ROOT / "issuer"

FEATURES = (
    "jobs",
    "status",
    "issuers",
    "outbox",
    "webhooks",
    "achievements",
    "learners",
    "credentials",
    "certification",
    "published",
    "registry",
    "verification",
    "console",
    "operator",
)
EDGES = frozenset({"api", "views", "cli"})
# What assembles the features; ``issuer`` itself only re-exports create_app and settings_of,
# which any module may read.
COMPOSITION = frozenset({"issuer.app", "issuer.cli", "issuer.commands", "issuer.demo"})
# Shared modules that handle the request itself, and so read Flask's request globals.
REQUEST_PLUMBING = frozenset(
    {"issuer.db", "issuer.operations", "issuer.pages", "issuer.body", "issuer.limits"}
)
# Shared modules that use a feature's workflow, and why.
SHARED_USES = {
    # The API's caller is authenticated with the issuer's API key.
    "issuer.operations": {"issuer.issuers.service"},
}
REQUEST_GLOBALS = frozenset({"request", "g", "session"})


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in sorted(ISSUER.rglob("*.py"))
        if path != ISSUER / "__init__.py"
        if "migrations" not in path.relative_to(ISSUER).parts
    }


MODULES = _modules()


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(module: str) -> tuple[set[str], set[str]]:
    """Return the issuer modules ``module`` imports, and the Flask names it imports."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    skipped = _type_checking_lines(tree)
    ours: set[str] = set()
    flask_names: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skipped:
            continue
        if isinstance(node, ast.Import):
            ours.update(a.name for a in node.names if a.name.split(".")[0] == "issuer")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "flask":
                flask_names.update(a.name for a in node.names)
            if node.module.split(".")[0] != "issuer":
                continue
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                ours.add(full if full in MODULES else node.module)
    ours.discard("issuer")
    return ours - {module}, flask_names


def _feature(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in FEATURES else None


def _is_edge(module: str) -> bool:
    name = module.rsplit(".", 1)[-1]
    return _feature(module) is not None and (name in EDGES or name.endswith(("_api", "_views")))


def test_every_feature_is_a_package() -> None:
    """Each feature named in the DAG exists, so a renamed feature cannot slip past the rules."""
    for feature in FEATURES:
        assert f"issuer.{feature}" in MODULES, feature


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _feature(m) and not _is_edge(m)))
def test_workflows_import_only_lower_features(module: str) -> None:
    """A workflow module imports shared modules, its own feature and features below it."""
    own = FEATURES.index(_feature(module) or "")
    ours, flask_names = _imports(module)
    for target in ours:
        assert target not in COMPOSITION, f"{module} imports {target}"
        assert not _is_edge(target), f"{module} imports the edge {target}"
        feature = _feature(target)
        if feature is not None:
            assert FEATURES.index(feature) <= own, f"{module} imports the higher {target}"
    assert not flask_names & REQUEST_GLOBALS, f"{module} reads Flask's request globals"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_edges_are_imported_only_by_composition_and_edges(module: str) -> None:
    """Blueprints and commands are reached through app.py and cli.py, not imported for code."""
    ours, _ = _imports(module)
    edges = {target for target in ours if _is_edge(target)}
    if edges:
        assert module in COMPOSITION or _is_edge(module), f"{module} imports {sorted(edges)}"


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if _feature(m) is None and m not in COMPOSITION)
)
def test_shared_modules_import_no_feature(module: str) -> None:
    """config, db, models, schemas, pages... stay below every feature (with named exceptions)."""
    ours, flask_names = _imports(module)
    features = {target for target in ours if _feature(target) is not None}
    assert features <= SHARED_USES.get(module, set()), f"{module} imports {sorted(features)}"
    if module not in REQUEST_PLUMBING:
        assert not flask_names & REQUEST_GLOBALS, f"{module} reads Flask's request globals"


# Modules longer than this say at their top why they are not split.
MAX_LINES = 400
# issuer.i18n is the hand-written catalog that gettext catalogs replace (issue 10, item 3).
LONG_WITHOUT_REASON = frozenset({"issuer.i18n"})


@pytest.mark.parametrize("module", sorted(MODULES))
def test_long_modules_say_why(module: str) -> None:
    """A module over 400 lines explains in its docstring why it is one module."""
    text = MODULES[module].read_text(encoding="utf-8")
    if len(text.splitlines()) <= MAX_LINES or module in LONG_WITHOUT_REASON:
        return
    docstring = ast.get_docstring(ast.parse(text)) or ""
    assert "over 400 lines on purpose" in docstring, f"{module} is long and does not say why"


def test_the_rules_see_imports() -> None:
    """The reader finds what a module really imports (a rule over nothing would pass anyway)."""
    ours, flask_names = _imports("issuer.credentials.api")
    assert "issuer.credentials.service" in ours
    assert "issuer.operations" in ours
    assert "request" in flask_names
    assert _is_edge("issuer.credentials.api")
    assert not _is_edge("issuer.credentials.service")
    assert _feature("issuer.verification.report") == "verification"


# The unit of work (issuer.db.Work) carries the session with the settings, the time and the
# actor: a function that needs the session beside any of them takes the unit instead.
UNIT_PARTS = frozenset({"settings", "conf", "now", "actor"})
# Those that take the session on purpose: the audit primitive Work.audit writes through, and
# the stored documents answered in front of Flask (issuer.published.direct), where a unit
# would open a session and read the clock for a read that needs neither.
SESSION_ON_PURPOSE = frozenset({"issuer.audit.record", "issuer.published.service.credential"})


def _loose_units(module: str, source: str) -> list[str]:
    """Functions of ``source`` taking ``session`` beside loose parts of a unit of work."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            names = {argument.arg for argument in arguments}
            if "session" in names and names & UNIT_PARTS:
                found.append(f"{module}.{node.name}")
    return found


@pytest.mark.parametrize("module", sorted(set(MODULES) - {"issuer.db"}))
def test_functions_take_the_unit_of_work_not_its_parts(module: str) -> None:
    """No function takes the session with loose settings, time or actor (issuer.db makes
    the unit from them)."""
    loose = set(_loose_units(module, MODULES[module].read_text(encoding="utf-8")))
    assert loose <= SESSION_ON_PURPOSE, f"take a Work instead: {sorted(loose)}"


def test_the_unit_rule_sees_loose_parts() -> None:
    """The reader finds a function that takes the parts of a unit (and leaves pure reads)."""
    source = (
        "def read(session, ref): ...\n"
        "def write(session, settings, *, now): ...\n"
        "def unit(work, now): ...\n"
    )
    assert _loose_units("m", source) == ["m.write"]
