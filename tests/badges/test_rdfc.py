"""RDFC-1.0: the whole W3C test suite, canonical N-Quads escaping, and the work budget.

The suite is copied in tests/vectors/w3c-rdf-canon/ (provenance in tests/vectors/README.md).
"""

from __future__ import annotations

import json
import re
import resource
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from badges import InvalidJsonLd
from badges.rdfc import (
    TooComplex,
    canonical_labels,
    canonicalize_quads,
    escape_literal,
    literal,
    parse_nquads,
    serialize,
)

SUITE = Path(__file__).resolve().parents[1] / "vectors" / "w3c-rdf-canon"
MANIFEST: list[dict[str, Any]] = json.loads((SUITE / "manifest.jsonld").read_text())["entries"]


def _hash(entry: dict[str, Any]) -> str:
    return {"SHA384": "sha384"}.get(entry.get("hashAlgorithm", "SHA256"), "sha256")


def test_the_whole_suite_is_here() -> None:
    """Every manifest entry is run below: 64 evaluation, 21 map and 1 negative test."""
    kinds = [entry["type"] for entry in MANIFEST]
    assert kinds.count("rdfc:RDFC10EvalTest") == 64
    assert kinds.count("rdfc:RDFC10MapTest") == 21
    assert kinds.count("rdfc:RDFC10NegativeEvalTest") == 1


@pytest.mark.parametrize(
    "entry",
    [e for e in MANIFEST if e["type"] == "rdfc:RDFC10EvalTest"],
    ids=lambda e: str(e["id"]).lstrip("#"),
)
def test_w3c_evaluation(entry: dict[str, Any]) -> None:
    """The canonical N-Quads equal the suite's expected output byte for byte."""
    quads = parse_nquads((SUITE / entry["action"]).read_text(encoding="utf-8"))
    expected = (SUITE / entry["result"]).read_text(encoding="utf-8")
    assert canonicalize_quads(quads, hash_algorithm=_hash(entry)) == expected


@pytest.mark.parametrize(
    "entry",
    [e for e in MANIFEST if e["type"] == "rdfc:RDFC10MapTest"],
    ids=lambda e: str(e["id"]).lstrip("#"),
)
def test_w3c_issued_identifiers(entry: dict[str, Any]) -> None:
    """The issued identifiers map equals the suite's expected map."""
    quads = parse_nquads((SUITE / entry["action"]).read_text(encoding="utf-8"))
    expected = json.loads((SUITE / entry["result"]).read_text(encoding="utf-8"))
    assert canonical_labels(quads, hash_algorithm=_hash(entry)) == expected


@pytest.mark.parametrize(
    "entry",
    [e for e in MANIFEST if e["type"] == "rdfc:RDFC10NegativeEvalTest"],
    ids=lambda e: str(e["id"]).lstrip("#"),
)
def test_w3c_poison_graph_is_refused_within_budget(entry: dict[str, Any]) -> None:
    """A poison graph raises TooComplex (an InvalidJsonLd) after bounded CPU time."""
    quads = parse_nquads((SUITE / entry["action"]).read_text(encoding="utf-8"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    with pytest.raises(TooComplex) as info:
        canonicalize_quads(quads, hash_algorithm=_hash(entry))
    assert isinstance(info.value, InvalidJsonLd)
    assert info.value.code == "invalid-json-ld"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_utime - before < 30


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ('say "hi"\\', 'say \\"hi\\"\\\\'),
        ("\t\b\n\f\r", "\\t\\b\\n\\f\\r"),
        ("\x00\x01\x0b\x0e\x1f\x7f", "\\u0000\\u0001\\u000B\\u000E\\u001F\\u007F"),
        ("인공지능 🌃 ∞ '", "인공지능 🌃 ∞ '"),
        ("\x80\u2028", "\x80\u2028"),
    ],
    ids=["quote-backslash", "echar", "uchar", "unicode-raw", "c1-and-separators-raw"],
)
def test_canonical_escaping(text: str, escaped: str) -> None:
    """ECHAR for \\t \\b \\n \\f \\r \\" \\\\, upper-case UCHAR for other C0 and DEL, else raw."""
    assert escape_literal(text) == escaped


def test_literal_forms() -> None:
    """xsd:string literals are bare, language tags follow '@', other datatypes '^^'."""
    assert literal("a") == '"a"'
    assert literal("a", language="ko") == '"a"@ko'
    assert literal("1", "http://www.w3.org/2001/XMLSchema#integer") == (
        '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'
    )


def test_parser_reads_escapes_back() -> None:
    """UCHAR and ECHAR in the input decode, and are written in canonical form."""
    (quad,) = parse_nquads('<urn:ex:s> <urn:ex:p\\u2070> "\\u0041\\b\\U0001F303" <urn:ex:g> .\n')
    assert quad == ("<urn:ex:s>", "<urn:ex:p\u2070>", '"A\\b\U0001f303"', "<urn:ex:g>")


def test_parser_refuses_garbage() -> None:
    """A line that is not a statement is an InvalidJsonLd, not a crash."""
    with pytest.raises(InvalidJsonLd, match="line 2"):
        parse_nquads("<urn:a> <urn:b> <urn:c> .\nnot n-quads\n")


def test_identical_blank_node_subgraphs_use_n_degree_hashing() -> None:
    """Two identical proofs in two named graphs get stable labels from Hash N-Degree Quads.

    Shortcuts that stop at first-degree hashes label such graphs by input order; the
    output must not depend on the order or labels of the input.
    """
    proof = [
        ("_:p{n}", "<urn:ex:type>", "<urn:ex:Proof>", "_:g{n}"),
        ("_:p{n}", "<urn:ex:created>", '"2026"', "_:g{n}"),
        ("<urn:ex:doc>", "<urn:ex:proof>", "_:g{n}", ""),
    ]

    def dataset(first: str, second: str) -> list[tuple[str, str, str, str]]:
        return [
            tuple(t.format(n=n) for t in quad)  # type: ignore[misc]
            for n in (first, second)
            for quad in proof
        ]

    one = canonicalize_quads(dataset("1", "2"))
    other = canonicalize_quads(list(reversed(dataset("x", "a"))))
    assert one == other
    assert set(re.findall(r"_:c14n\d+", one)) == {"_:c14n0", "_:c14n1", "_:c14n2", "_:c14n3"}
    pyld_input = "".join(serialize(q) for q in dataset("x", "a"))
    assert one == jsonld.normalize(
        pyld_input,
        {
            "inputFormat": "application/n-quads",
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
        },
    )
