"""Canonical bytes to sign: RDFC-1.0, for the eddsa-rdfc-2022 cryptosuite.

:func:`canonicalize_rdfc` is the single place JSON-LD canonicalization happens. Documents
go JSON-LD -> quads through :mod:`badges.rdf` (contexts processed once per process), and
quads -> canonical N-Quads through :mod:`badges.rdfc`. A document the fast path cannot show
it handles exactly as pyld does is turned into quads by pyld instead (counted, see
:func:`fallback_count`); either way RDFC-1.0 and the canonical N-Quads escaping are ours, so
the output does not depend on which path ran.

Deliberate deviation from pyld 3.3: canonical N-Quads escape U+0000-U+001F and U+007F as the
RDFC-1.0 Recommendation requires (``\\b``, ``\\f``, ``\\u000B``...); pyld writes some of them
raw. Only literals holding such control characters canonicalize differently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pyld import jsonld

from badges.context import document_loader
from badges.errors import BadgeError, InvalidJsonLd, UndefinedTerm, UnknownContext
from badges.rdf import UNDEFINED_VOCAB as _UNDEFINED_VOCAB
from badges.rdf import Unsupported, to_quads
from badges.rdfc import RDF_LANGSTRING, XSD_STRING, Quad, canonicalize_quads, literal

_counts = {"fast": 0, "fallback": 0}
# Unsupported: a feature the fast path leaves to pyld. The others: Python values no JSON
# text produces (non-string keys, odd types) that pyld answers for.
_FALLBACK_SIGNALS = (Unsupported, TypeError, ValueError, KeyError, AttributeError)


def fallback_count() -> int:
    """How many documents this process handed to pyld (the fast path could not take them)."""
    return _counts["fallback"]


def fast_path_count() -> int:
    """How many documents this process turned into quads on the fast path."""
    return _counts["fast"]


_UNDEFINED_IRI = re.compile(r"<urn:baeji:undefined-term:([^>]*)>")


def _raise_from_pyld(err: Exception) -> None:
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, UnknownContext):
            raise UnknownContext(str(cause)) from err
        details = getattr(cause, "details", None)
        nested = details.get("cause") if isinstance(details, dict) else None
        cause = nested if isinstance(nested, BaseException) else cause.__cause__
    raise InvalidJsonLd(f"JSON-LD processing failed: {err}") from err


def canonicalize_rdfc(document: Mapping[str, Any], *, strict: bool = False) -> str:
    """Return the RDFC-1.0 canonical N-Quads of a JSON-LD document.

    Args:
        strict: also refuse terms no context defines, in the same pass. The document is
            canonicalized with a sentinel ``@vocab`` appended to its contexts: a term it
            expands appears in the output, and when none does the dataset, and so the
            output, is exactly that of the document itself.

    Raises:
        UnknownContext: the document names a context that is not bundled.
        UndefinedTerm: ``strict`` and a property or type is defined by no context.
        InvalidJsonLd: JSON-LD expansion or canonicalization failed.
    """
    if not strict:
        _check_canonicalizable(document)
        return canonicalize_quads(document_quads(document))
    result, undefined = canonicalize_with_undefined_terms(document)
    if undefined:
        raise UndefinedTerm("terms not defined by any context: " + ", ".join(undefined))
    return result


def canonicalize_with_undefined_terms(document: Mapping[str, Any]) -> tuple[str, list[str]]:
    """Return the canonical N-Quads of ``document`` and its undefined terms, in one pass.

    When no term is undefined the N-Quads are exactly :func:`canonicalize_rdfc`'s (see its
    ``strict``), so a verifier checks the terms and hashes the document with one
    canonicalization; otherwise they describe the probed document and must not be signed
    or compared.

    Raises:
        UnknownContext: the document names a context that is not bundled.
        InvalidJsonLd: JSON-LD expansion or canonicalization failed.
    """
    _check_canonicalizable(document)
    result = canonicalize_quads(document_quads(document, probe_undefined=True))
    if f"<{_UNDEFINED_VOCAB}" not in result:
        return result, []
    return result, sorted(set(_UNDEFINED_IRI.findall(result)))


def document_quads(document: Mapping[str, Any], *, probe_undefined: bool = False) -> list[Quad]:
    """Return the RDF dataset of ``document``: the fast path, or pyld when it cannot.

    ``probe_undefined`` appends the sentinel ``@vocab`` (see :func:`canonicalize_rdfc`).
    """
    try:
        quads, _ = to_quads(document, probe_undefined=probe_undefined)
    except BadgeError:
        raise  # UnknownContext: the same answer pyld would give
    except _FALLBACK_SIGNALS:
        _counts["fallback"] += 1
        return _pyld_quads(_with_sentinel_vocab(document) if probe_undefined else dict(document))
    _counts["fast"] += 1
    return quads


def _pyld_quads(source: dict[str, Any]) -> list[Quad]:
    try:
        dataset = jsonld.to_rdf(source, {"documentLoader": document_loader})
    except Exception as err:  # pyld raises bare JsonLdError and sometimes plain errors
        _raise_from_pyld(err)
        raise  # pragma: no cover - _raise_from_pyld always raises
    quads: list[Quad] = []
    for name, triples in dataset.items():
        graph = "" if name == "@default" else name if name.startswith("_:") else f"<{name}>"
        for triple in triples:
            terms = []
            for part in (triple["subject"], triple["predicate"], triple["object"]):
                if part["type"] == "IRI":
                    terms.append(f"<{part['value']}>")
                elif part["type"] == "blank node":
                    terms.append(part["value"])
                else:
                    datatype = part["datatype"]
                    language = part.get("language") if datatype == RDF_LANGSTRING else None
                    if datatype == RDF_LANGSTRING and not language:
                        datatype = XSD_STRING  # pyld writes such a literal bare
                    terms.append(literal(part["value"], datatype, language or None))
            quads.append((terms[0], terms[1], terms[2], graph))
    return quads


# RDFC-1.0 takes exponential time on graphs of blank nodes that all reference each other
# ("poison" datasets, RDF Dataset Canonicalization, section 4.4.2); such references need
# explicit blank node identifiers ("_:b0"), which credentials never use, and the tree of
# an ordinary JSON document cannot form them. A node budget bounds the rest of the work.
MAX_NODES = 20_000
# Credentials nest a dozen levels (a CLR's embedded credentials' alignments); anything far
# deeper is refused before any recursive JSON-LD processing.
MAX_DEPTH = 64


def _check_canonicalizable(document: Mapping[str, Any]) -> None:
    """Refuse explicit blank node identifiers and oversize documents before canonicalizing.

    Raises:
        InvalidJsonLd: a string value starts with ``_:``, or there are too many nodes.
    """
    _check_shape(document, blank_ids=True)


# JSON scalars other than text: nothing to look into (tested before the slower ABC checks).
_SCALARS = frozenset({int, float, bool, type(None)})


def _check_shape(document: Mapping[str, Any], *, blank_ids: bool) -> None:
    pending: list[tuple[Mapping[str, Any] | list[Any], int]] = [(document, 0)]
    nodes = 0
    while pending:
        container, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise InvalidJsonLd(f"the document nests deeper than {MAX_DEPTH} levels")
        if type(container) is dict or (
            type(container) is not list and isinstance(container, Mapping)
        ):
            nodes += 1
            if nodes > MAX_NODES:
                raise InvalidJsonLd(f"the document has more than {MAX_NODES} objects")
            items: Any = container.values()
        else:
            items = container
        for item in items:
            kind = type(item)
            if kind is str:
                if blank_ids and item.startswith("_:"):
                    raise InvalidJsonLd(
                        "explicit blank node identifiers ('_:...') are not accepted"
                    )
            elif (
                kind is dict
                or kind is list
                or (kind not in _SCALARS and isinstance(item, Mapping | list))
            ):
                pending.append((item, depth + 1))


def _with_sentinel_vocab(document: Mapping[str, Any]) -> dict[str, Any]:
    probe = dict(document)
    context = probe.get("@context", [])
    contexts = list(context) if isinstance(context, list) else [context]
    probe["@context"] = [*contexts, {"@vocab": _UNDEFINED_VOCAB}]
    return probe


def find_undefined_terms(document: Mapping[str, Any]) -> list[str]:
    """Return the terms of ``document`` that no context defines, sorted.

    Verifiers that canonicalize in "safe mode" (jsonld.js) refuse such documents, and
    RDFC-1.0 drops them silently, so no Data Integrity signature would cover them.

    Raises:
        InvalidJsonLd: the document nests too deeply, or JSON-LD expansion failed.
    """
    _check_shape(document, blank_ids=False)
    try:
        _, undefined = to_quads(document, probe_undefined=True)
    except BadgeError:
        raise
    except _FALLBACK_SIGNALS:
        _counts["fallback"] += 1
    else:
        _counts["fast"] += 1
        return sorted(undefined)
    try:
        expanded = jsonld.expand(
            _with_sentinel_vocab(document), {"documentLoader": document_loader}
        )
    except Exception as err:
        _raise_from_pyld(err)
        raise  # pragma: no cover
    found: set[str] = set()
    _collect_undefined(expanded, found)
    return sorted(found)


def _collect_undefined(value: object, found: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect_undefined(item, found)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key.startswith(_UNDEFINED_VOCAB):
                found.add(key.removeprefix(_UNDEFINED_VOCAB))
            if key == "@type":
                types = item if isinstance(item, list) else [item]
                found.update(
                    t.removeprefix(_UNDEFINED_VOCAB)
                    for t in types
                    if isinstance(t, str) and t.startswith(_UNDEFINED_VOCAB)
                )
            _collect_undefined(item, found)


def require_defined_terms(document: Mapping[str, Any]) -> None:
    """Raise :class:`UndefinedTerm` if any term of ``document`` is undefined."""
    if undefined := find_undefined_terms(document):
        raise UndefinedTerm("terms not defined by any context: " + ", ".join(undefined))
