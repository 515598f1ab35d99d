"""Canonical bytes to sign: RDFC-1.0, for the eddsa-rdfc-2022 cryptosuite.

:func:`canonicalize_rdfc` is the single place JSON-LD canonicalization happens, so a faster
implementation can replace it and be checked byte for byte against this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pyld import jsonld

from badges.context import document_loader
from badges.errors import InvalidJsonLd, UndefinedTerm, UnknownContext

# A vocabulary no real context uses: a term that expands under it was defined by no context.
_UNDEFINED_VOCAB = "urn:baeji:undefined-term:"
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


def _options() -> dict[str, Any]:
    return {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": document_loader,
    }


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
    _check_canonicalizable(document)
    source = _with_sentinel_vocab(document) if strict else dict(document)
    try:
        result: str = jsonld.normalize(source, _options())
    except Exception as err:  # pyld raises bare JsonLdError and sometimes plain errors
        _raise_from_pyld(err)
        raise  # pragma: no cover - _raise_from_pyld always raises
    if strict and f"<{_UNDEFINED_VOCAB}" in result:
        undefined = sorted(set(_UNDEFINED_IRI.findall(result)))
        raise UndefinedTerm("terms not defined by any context: " + ", ".join(undefined))
    return result


# RDFC-1.0 takes exponential time on graphs of blank nodes that all reference each other
# ("poison" datasets, RDF Dataset Canonicalization, section 4.4.2); such references need
# explicit blank node identifiers ("_:b0"), which credentials never use, and the tree of
# an ordinary JSON document cannot form them. A node budget bounds the rest of the work.
MAX_NODES = 20_000


def _check_canonicalizable(document: Mapping[str, Any]) -> None:
    """Refuse explicit blank node identifiers and oversize documents before canonicalizing.

    Raises:
        InvalidJsonLd: a string value starts with ``_:``, or there are too many nodes.
    """
    pending: list[object] = [document]
    nodes = 0
    while pending:
        value = pending.pop()
        if isinstance(value, Mapping):
            nodes += 1
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and value.startswith("_:"):
            raise InvalidJsonLd("explicit blank node identifiers ('_:...') are not accepted")
        if nodes > MAX_NODES:
            raise InvalidJsonLd(f"the document has more than {MAX_NODES} objects")


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
    """
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
