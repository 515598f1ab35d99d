"""RDF Dataset Canonicalization (RDFC-1.0) over quads, and canonical N-Quads.

Hand-written because it decides the bytes every Data Integrity signature covers: it follows
the W3C RDFC-1.0 Recommendation step by step (the whole W3C test suite runs in our tests),
with the first-degree hash deciding most blank nodes and Hash N-Degree Quads only for the
blank nodes whose first-degree hashes collide. A work budget bounds N-degree hashing, so a
"poison" dataset is refused quickly instead of holding a worker.

A quad is a tuple of four N-Quads terms already in canonical N-Quads form: ``<iri>``,
``_:label``, or a literal (``"text"``, ``"text"^^<datatype>``, ``"text"@lang``); the graph
term is ``""`` for the default graph.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from itertools import permutations

from badges.errors import InvalidJsonLd

Quad = tuple[str, str, str, str]

# RDFC-1.0, "Canonical N-Quads": these characters are written as ECHAR, every other
# character from U+0000 to U+001F and U+007F as UCHAR with upper-case hex digits.
_ECHAR = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f]')


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return _ECHAR.get(char) or f"\\u{ord(char):04X}"


def escape_literal(text: str) -> str:
    """Return ``text`` escaped for a canonical N-Quads string literal (without quotes)."""
    # Printable text (no control character) without a quote or backslash needs nothing:
    # three scans in C, cheaper than the expression's search on most literals.
    if '"' not in text and "\\" not in text and text.isprintable():
        return text
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return _NEEDS_ESCAPE.sub(_escape_char, text)


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def literal(text: str, datatype: str = XSD_STRING, language: str | None = None) -> str:
    """Return the canonical N-Quads form of a literal."""
    if language is not None:
        return f'"{escape_literal(text)}"@{language}'
    if datatype == XSD_STRING:
        return f'"{escape_literal(text)}"'
    return f'"{escape_literal(text)}"^^<{datatype}>'


def serialize(quad: Quad) -> str:
    """Return one N-Quads line, with its newline."""
    s, p, o, g = quad
    if g:
        return f"{s} {p} {o} {g} .\n"
    return f"{s} {p} {o} .\n"


# ---------------------------------------------------------------------------------------
# A small N-Quads reader: the W3C test inputs, and pyld's output on the fallback path.

_IRI = r"<([^>]*)>"
_BNODE = r"(_:[^\s]+)"
_LITERAL = r'"((?:[^"\\]|\\.)*)"(?:\^\^<([^>]*)>|@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*))?'
_LINE = re.compile(
    rf"^\s*(?:{_IRI}|{_BNODE})\s*{_IRI}\s*(?:{_IRI}|{_BNODE}|{_LITERAL})"
    rf"\s*(?:{_IRI}|{_BNODE})?\s*\.\s*(?:#.*)?$"
)
_UNESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|([tbnrf\"'\\]))")
_ECHAR_VALUES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'"}


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        if code:
            return chr(int(code, 16))
        return _ECHAR_VALUES.get(match.group(3), "\\")

    return _UNESCAPE.sub(one, text) if "\\" in text else text


def parse_nquads(text: str) -> list[Quad]:
    """Parse N-Quads into canonical-form quads (duplicates removed, order kept).

    Raises:
        InvalidJsonLd: a line is not an N-Quads statement.
    """
    quads: dict[Quad, None] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise InvalidJsonLd(f"N-Quads line {number} is not a statement")
        (s_iri, s_bn, p_iri, o_iri, o_bn, o_lit, o_dt, o_lang, g_iri, g_bn) = match.groups()
        subject = f"<{_unescape(s_iri)}>" if s_iri is not None else s_bn
        if o_iri is not None:
            obj = f"<{_unescape(o_iri)}>"
        elif o_bn is not None:
            obj = o_bn
        else:
            obj = literal(
                _unescape(o_lit),
                _unescape(o_dt) if o_dt is not None else XSD_STRING,
                o_lang,
            )
        graph = f"<{_unescape(g_iri)}>" if g_iri is not None else (g_bn or "")
        quads[(subject, f"<{_unescape(p_iri)}>", obj, graph)] = None
    return list(quads)


# ---------------------------------------------------------------------------------------
# RDFC-1.0


class TooComplex(InvalidJsonLd):
    """The dataset needs more N-degree hashing than the budget allows (a "poison" graph)."""


# Hash N-Degree Quads calls plus permutations tried, per canonicalization: a base plus a
# term quadratic in the number of blank nodes. The W3C suite needs a few thousand at most,
# and a CLR embedding 101 identical signed credentials (606 blank nodes) about 74,000 (in
# 0.1 s); a 10-node clique needs millions and is refused after a few milliseconds.
BASE_WORK = 20_000
WORK_PER_NODE_PAIR = 2


class _Issuer:
    __slots__ = ("counter", "issued", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.counter = 0
        self.issued: dict[str, str] = {}

    def issue(self, existing: str) -> str:
        issued = self.issued.get(existing)
        if issued is None:
            issued = f"{self.prefix}{self.counter}"
            self.counter += 1
            self.issued[existing] = issued
        return issued

    def copy(self) -> _Issuer:
        clone = _Issuer(self.prefix)
        clone.counter = self.counter
        clone.issued = dict(self.issued)
        return clone


class _Canonicalizer:
    def __init__(self, quads: Iterable[Quad], hash_name: str) -> None:
        self.hash: Callable[[bytes], hashlib._Hash] = getattr(hashlib, hash_name)
        self.quads = list(dict.fromkeys(quads))
        by_node: dict[str, list[Quad]] = {}
        for quad in self.quads:
            s, _, o, g = quad
            if s[0] == "_":
                by_node.setdefault(s, []).append(quad)
            if o[0] == "_" and o != s:
                by_node.setdefault(o, []).append(quad)
            if g and g[0] == "_" and g != s and g != o:
                by_node.setdefault(g, []).append(quad)
        self.by_node = by_node
        self.canonical = _Issuer("_:c14n")
        self.first_degree: dict[str, str] = {}
        self.work = 0
        self.budget = BASE_WORK + WORK_PER_NODE_PAIR * len(self.by_node) ** 2

    def _digest(self, text: str) -> str:
        return self.hash(text.encode("utf-8")).hexdigest()

    def hash_first_degree(self, node: str) -> str:
        lines = []
        for s, p, o, g in self.by_node[node]:
            if s[0] == "_":
                s = "_:a" if s == node else "_:z"
            if o[0] == "_":
                o = "_:a" if o == node else "_:z"
            if g:
                if g[0] == "_":
                    g = "_:a" if g == node else "_:z"
                lines.append(f"{s} {p} {o} {g} .\n")
            else:
                lines.append(f"{s} {p} {o} .\n")
        lines.sort()
        return self._digest("".join(lines))

    def _related_hash(self, related: str, quad: Quad, issuer: _Issuer, position: str) -> str:
        identifier = (
            self.canonical.issued.get(related)
            or issuer.issued.get(related)
            or self.first_degree[related]
        )
        if position == "g":
            return self._digest(position + identifier)
        return self._digest(position + quad[1] + identifier)

    def _spend(self) -> None:
        self.work += 1
        if self.work > self.budget:
            raise TooComplex(
                "the dataset's blank nodes are too interlinked to canonicalize "
                "(RDFC-1.0 work budget exceeded)"
            )

    def hash_n_degree(self, node: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        self._spend()
        related_by_hash: dict[str, list[str]] = {}
        for quad in self.by_node[node]:
            s, _, o, g = quad
            for term, position in ((s, "s"), (o, "o"), (g, "g")):
                if term and term[0] == "_" and term != node:
                    digest = self._related_hash(term, quad, issuer, position)
                    related_by_hash.setdefault(digest, []).append(term)
        data = []
        for digest in sorted(related_by_hash):
            data.append(digest)
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            for permutation in permutations(related_by_hash[digest]):
                self._spend()
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    canonical = self.canonical.issued.get(related)
                    if canonical is not None:
                        path += canonical
                    else:
                        if related not in issuer_copy.issued:
                            recursion.append(related)
                        path += issuer_copy.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, result_issuer = self.hash_n_degree(related, issuer_copy)
                    path += issuer_copy.issue(related) + "<" + result_hash + ">"
                    issuer_copy = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            data.append(chosen_path)
            assert chosen_issuer is not None  # noqa: S101 - every list has a permutation
            issuer = chosen_issuer
        return self._digest("".join(data)), issuer

    def run(self) -> tuple[list[str], dict[str, str]]:
        if len(self.by_node) == 1:
            # One blank node (a proof configuration): whatever its hash, it is c14n0.
            self.canonical.issue(next(iter(self.by_node)))
            return self._serialized()
        by_hash: dict[str, list[str]] = {}
        for node in self.by_node:
            digest = self.hash_first_degree(node)
            self.first_degree[node] = digest
            by_hash.setdefault(digest, []).append(node)
        shared: list[list[str]] = []
        for digest in sorted(by_hash):
            nodes = by_hash[digest]
            if len(nodes) == 1:
                self.canonical.issue(nodes[0])
            else:
                shared.append(nodes)
        for nodes in shared:
            results = []
            for node in nodes:
                if node in self.canonical.issued:
                    continue
                issuer = _Issuer("_:b")
                issuer.issue(node)
                results.append(self.hash_n_degree(node, issuer))
            for _, issuer in sorted(results, key=lambda result: result[0]):
                for existing in issuer.issued:
                    self.canonical.issue(existing)
        return self._serialized()

    def _serialized(self) -> tuple[list[str], dict[str, str]]:
        """The quads relabelled with the canonical identifiers, as sorted N-Quads lines."""
        labels = self.canonical.issued
        lines: list[str] = []
        append = lines.append
        for s, p, o, g in self.quads:
            if s[0] == "_":
                s = labels[s]
            if o[0] == "_":
                o = labels[o]
            if g:
                if g[0] == "_":
                    g = labels[g]
                append(f"{s} {p} {o} {g} .\n")
            else:
                append(f"{s} {p} {o} .\n")
        lines.sort()
        return lines, labels


def canonicalize_quads(quads: Iterable[Quad], *, hash_algorithm: str = "sha256") -> str:
    """Return the RDFC-1.0 canonical N-Quads of a dataset.

    Raises:
        TooComplex: N-degree hashing exceeded the work budget (a poison dataset).
    """
    lines, _ = _Canonicalizer(quads, hash_algorithm).run()
    return "".join(lines)


def canonical_labels(quads: Iterable[Quad], *, hash_algorithm: str = "sha256") -> dict[str, str]:
    """Return the issued identifiers map: input blank node label -> canonical label.

    Labels are given without ``_:``, as in the W3C test suite's map files.
    """
    _, labels = _Canonicalizer(quads, hash_algorithm).run()
    return {k.removeprefix("_:"): v.removeprefix("_:") for k, v in labels.items()}
