"""JSON-LD to RDF quads for the shapes Baeji signs and verifies, with contexts processed once.

Hand-written because pyld re-processes every context on every call (about two thirds of a
Data Integrity proof's cost) and the quads decide the bytes a signature covers. It does what
pyld 3.3 does (JSON-LD 1.1 expansion, then deserialization to RDF) for the features our
bundled contexts use: term definitions with ``@id``, ``@type`` (``@id``, ``@vocab`` or a
datatype), ``@container`` ``@set``/``@list``/``@graph``, ``@protected``, ``@vocab``,
type-scoped and property-scoped contexts, keyword aliases, value objects and list objects.

Every other feature, and any input it cannot show it handles exactly as pyld does (a relative
IRI, a language, ``@reverse``, index or language maps, ``@included``, ``@nest``, ``@json``,
lists of lists, an error pyld would report), raises :class:`Unsupported`, and the caller
hands the whole document to pyld instead. Processed contexts are cached per parent context
and keyed by the context's URL or JSON text, so each bundled context is processed once per
process.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from badges.context import load_context
from badges.rdfc import XSD_STRING, Quad, escape_literal

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_BOOLEAN = XSD + "boolean"
XSD_DOUBLE = XSD + "double"
XSD_INTEGER = XSD + "integer"
_TYPE = f"<{RDF}type>"
_FIRST = f"<{RDF}first>"
_REST = f"<{RDF}rest>"
_NIL = f"<{RDF}nil>"

KEYWORDS = frozenset(
    {
        "@base", "@container", "@context", "@default", "@direction", "@embed", "@explicit",
        "@first", "@graph", "@id", "@import", "@included", "@index", "@json", "@language",
        "@list", "@nest", "@none", "@omitDefault", "@prefix", "@preserve", "@propagate",
        "@protected", "@requireAll", "@reverse", "@set", "@type", "@value", "@version",
        "@vocab",
    }
)  # fmt: skip
_KEYWORD_LIKE = re.compile(r"^@[a-zA-Z]+$")
# pyld's test for an absolute IRI (re.match: "$" also matches before a final newline).
_PYLD_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
# The IRIs the fast path writes: a scheme, a colon, no white space, nothing pyld would drop.
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+,.-]*:[^\s]*")
_GEN_DELIM_END = re.compile(r".*[:/\?#\[\]@]$", re.DOTALL)
_IRI_LIKE_TERM = re.compile(r".*((:[^:])|/)", re.DOTALL)
_DOUBLE_EXPONENT = re.compile(r"(\d)0*E\+?(-)?0*(\d)")
_SUPPORTED_CONTAINERS = {
    (),
    ("@set",),
    ("@list",),
    ("@graph",),
    ("@graph", "@set"),
    ("@set", "@graph"),
}
_NODE_KEYWORDS = frozenset({"@id", "@type", "@value", "@list"})
_TERM_KEYS = frozenset({"@id", "@type", "@container", "@context", "@protected"})
# Cached child contexts per context: bounded so documents with many distinct embedded
# contexts cannot grow memory without limit.
_MAX_CHILDREN = 64
MAX_CONTEXT_DEPTH = 32


class Unsupported(Exception):
    """The fast path cannot show it handles this input exactly as pyld does."""


class _Term:
    __slots__ = (
        "container",
        "context",
        "context_key",
        "has_colon",
        "iri",
        "prefix",
        "protected",
        "type",
    )

    def __init__(self) -> None:
        self.iri: str | None = None
        self.type: str | None = None
        self.container: tuple[str, ...] = ()
        self.context: Any = None
        self.context_key: str | None = None
        self.protected = False
        self.prefix = False
        self.has_colon = False

    def same(self, other: _Term) -> bool:
        return (
            self.iri == other.iri
            and self.type == other.type
            and self.container == other.container
            and self.context_key == other.context_key
            and self.prefix == other.prefix
            and self.has_colon == other.has_colon
        )


class Context:
    """A processed active context; immutable once built, children cached on it."""

    __slots__ = (
        "cacheable",
        "children",
        "has_protected",
        "iri_cache",
        "key_cache",
        "node_types",
        "plans",
        "previous",
        "reverts",
        "terms",
        "type_keys",
        "typed",
        "vocab",
    )

    def __init__(self) -> None:
        self.terms: dict[str, _Term | None] = {}
        self.vocab: str | None = None
        self.previous: Context | None = None
        self.has_protected = False
        self.cacheable = True
        self.children: dict[tuple[str, bool, bool], Context] = {}
        self.iri_cache: dict[tuple[str, bool, bool], str | None] = {}
        self.key_cache: dict[str, str | None] = {}
        self.type_keys: dict[tuple[str, ...], str | None] = {}
        self.plans: dict[tuple[str, ...], _Plan] = {}
        self.reverts: dict[tuple[str, ...], bool] = {}
        self.typed: dict[str | tuple[str, ...], Context] = {}
        self.node_types: dict[str | tuple[str, ...], tuple[tuple[str | None, str], ...]] = {}

    def _copy(self) -> Context:
        clone = Context()
        clone.terms = dict(self.terms)
        clone.vocab = self.vocab
        clone.previous = self.previous
        clone.has_protected = self.has_protected
        return clone

    def process(
        self, local: Any, *, propagate: bool = True, override_protected: bool = False
    ) -> Context:
        """Return the active context after processing ``local`` on this one.

        Results are cached when ``local`` names bundled contexts only (or is the strict
        probe's sentinel); a document's own embedded contexts are processed per call, so
        documents cannot fill the process-wide cache.
        """
        trusted = _trusted(local)
        key = (local if isinstance(local, str) else repr(local), propagate, override_protected)
        if trusted:
            cached = self.children.get(key)
            if cached is not None:
                return cached
        result = _process(self, local, propagate, override_protected, 0)
        if result is not self:
            result.cacheable = self.cacheable and trusted
            if (trusted or not self.cacheable) and len(self.children) < _MAX_CHILDREN:
                self.children[key] = result
        return result

    def process_term(
        self, term: _Term, *, propagate: bool = True, override_protected: bool = False
    ) -> Context:
        """Return the active context after a term's scoped context (cached)."""
        assert term.context_key is not None  # noqa: S101 - only called for scoped terms
        key = (term.context_key, propagate, override_protected)
        cached = self.children.get(key)
        if cached is not None:
            return cached
        result = _process(self, term.context, propagate, override_protected, 0)
        if result is not self:
            result.cacheable = self.cacheable
            if len(self.children) < _MAX_CHILDREN:
                self.children[key] = result
        return result

    def key_iri(self, key: str) -> str | None:
        """Expand a key: its IRI or keyword, or None when pyld would drop it."""
        try:
            return self.key_cache[key]
        except KeyError:
            pass
        expanded = self._expand_iri(key, True, False)
        if expanded is not None and expanded not in KEYWORDS and not _PYLD_ABSOLUTE.match(expanded):
            expanded = None
        if len(self.key_cache) < 1024:
            self.key_cache[key] = expanded
        return expanded

    def reverts_for(self, keys: tuple[str, ...]) -> bool:
        """Whether a small map (at most two ``keys``, no ``@context``) under this
        type-scoped context reverts to the previous context: not for a value object, nor
        for a lone ``@id`` (pyld's rule; cached)."""
        try:
            return self.reverts[keys]
        except KeyError:
            pass
        revert = True
        for k in sorted(keys):
            expanded = self.key_iri(k)
            if expanded == "@value" or (expanded == "@id" and len(keys) == 1):
                revert = False
                break
        if len(self.reverts) < 1024:
            self.reverts[keys] = revert
        return revert

    def type_key(self, keys: tuple[str, ...]) -> str | None:
        """The one key of a map with these ``keys`` that expands to ``@type``, if any.

        Raises:
            Unsupported: a key that is not a string, or two keys expanding to ``@type``.
        """
        try:
            return self.type_keys[keys]
        except KeyError:
            pass
        found = None
        for k in keys:
            if type(k) is not str:
                raise Unsupported("a key that is not a string")
            if k != "@context" and self.key_iri(k) == "@type":
                if found is not None:
                    raise Unsupported("two @type entries")
                found = k
        if len(self.type_keys) < 1024:
            self.type_keys[keys] = found
        return found

    def scoped_by_types(self, types: str | tuple[str, ...]) -> Context:
        """This context after the type-scoped contexts of a node's ``types`` (strings),
        applied in sorted order as pyld does (cached)."""
        try:
            return self.typed[types]
        except KeyError:
            pass
        ctx = self
        for type_ in sorted(types) if isinstance(types, tuple) else (types,):
            definition = self.terms.get(type_)
            if definition is not None and definition.context_key is not None:
                ctx = ctx.process_term(definition, propagate=False)
        if len(self.typed) < 1024:
            self.typed[types] = ctx
        return ctx

    def type_iris(self, types: str | tuple[str, ...]) -> tuple[tuple[str | None, str], ...]:
        """(IRI, ``<IRI>``) of each of a node's ``types`` (strings), in order (cached).

        Raises:
            Unsupported: a type that does not expand to an absolute IRI.
        """
        try:
            return self.node_types[types]
        except KeyError:
            pass
        found = tuple(
            (iri, _iri(iri))
            for iri in (
                self.expand_iri(type_, True, True)
                for type_ in (types if isinstance(types, tuple) else (types,))
            )
        )
        if len(self.node_types) < 1024:
            self.node_types[types] = found
        return found

    def plan(self, keys: tuple[str, ...]) -> _Plan:
        """How a map with these ``keys`` expands in this context: which keys are keywords
        (and which of them is ``@type``) and which are properties, with their IRIs.

        Raises:
            Unsupported: colliding keywords, or keywords outside the fast path.
        """
        try:
            return self.plans[keys]
        except KeyError:
            pass
        keywords: list[tuple[str, str]] = []
        entries: list[tuple[str, str, str | None, bool]] = []
        seen: set[str] = set()
        type_key = None
        for k in keys:
            if k == "@context":
                continue
            expanded = self.key_iri(k)
            if expanded is None:
                continue
            if expanded[0] == "@":
                if expanded in seen:
                    raise Unsupported("colliding keywords")
                if expanded not in _NODE_KEYWORDS:
                    raise Unsupported("keywords outside the fast path")
                seen.add(expanded)
                keywords.append((k, expanded))
                if expanded == "@type":
                    type_key = k
            else:
                wrapped = f"<{expanded}>" if _ABSOLUTE.fullmatch(expanded) else None
                term = self.terms.get(k)
                # A plain property: a string value is a plain literal, nothing else to do.
                plain = wrapped is not None and (
                    term is None
                    or (term.type is None and not term.container and term.context is None)
                )
                entries.append((k, expanded, wrapped, plain))
        plan = _Plan(dict((expanded, k) for k, expanded in keywords), tuple(entries), type_key)
        if len(self.plans) < 1024:
            self.plans[keys] = plan
        return plan

    def expand_iri(self, value: str, vocab: bool, relative: bool = False) -> str | None:
        """IRI expansion at expansion time (pyld ``_expand_iri`` without a local context).

        ``relative``: a value that stays relative would be resolved against the document's
        base (keys are not), which the fast path does not do.
        """
        key = (value, vocab, relative)
        try:
            return self.iri_cache[key]
        except KeyError:
            pass
        result = self._expand_iri(value, vocab, relative)
        if len(self.iri_cache) < 1024:
            self.iri_cache[key] = result
        return result

    def _expand_iri(self, value: str, vocab: bool, relative: bool) -> str | None:
        if value in KEYWORDS:
            return value
        if _KEYWORD_LIKE.match(value):
            return None
        if vocab and value in self.terms:
            term = self.terms[value]
            return None if term is None else term.iri
        colon = value.find(":")
        if colon > 0:
            prefix, suffix = value[:colon], value[colon + 1 :]
            if prefix == "_" or suffix.startswith("//"):
                return value
            mapping = self.terms.get(prefix)
            if mapping is not None and mapping.prefix and mapping.iri is not None:
                return mapping.iri + suffix
            if _PYLD_ABSOLUTE.match(value):
                return value
        if vocab and self.vocab is not None:
            return self.vocab + value
        if relative:
            raise Unsupported("a relative IRI would be resolved against a base")
        return value


class _Plan:
    """How a map with given keys expands in one context (see :meth:`Context.plan`)."""

    __slots__ = ("entries", "keywords", "type_key")

    def __init__(
        self,
        keywords: dict[str, str],
        entries: tuple[tuple[str, str, str | None, bool], ...],
        type_key: str | None,
    ) -> None:
        # The keyword each keyword key expands to -> that key, in the map's order.
        self.keywords = keywords
        # (key, expanded IRI, "<IRI>" or None when the IRI is not absolute, whether the
        # term is plain: no type mapping, container or scoped context)
        self.entries = entries
        self.type_key = type_key


INITIAL = Context()


def _trusted(local: Any) -> bool:
    """Whether ``local`` names only bundled contexts (or is our sentinel, or null)."""
    if isinstance(local, list):
        return all(_trusted(item) for item in local)
    return local is None or isinstance(local, str) or local is SENTINEL_CONTEXT


def _process(
    active: Context, local: Any, propagate: bool, override_protected: bool, depth: int
) -> Context:
    if depth > MAX_CONTEXT_DEPTH:
        raise Unsupported("contexts nested too deeply")
    result = active
    if not propagate and result.previous is None:
        result = result._copy()
        result.previous = active
    contexts = local if isinstance(local, list) else [local]
    for context in contexts:
        if context is None:
            if not override_protected and result.has_protected:
                raise Unsupported("nullifying protected terms")
            result = Context()
            continue
        if isinstance(context, str):
            document = load_context(context)  # UnknownContext for contexts we do not bundle
            if not isinstance(document, dict) or "@context" not in document:
                raise Unsupported("remote context without @context")
            # A remote context is processed as pyld does: its own list, in order.
            result = _process(result, document["@context"], True, override_protected, depth + 1)
            continue
        if not isinstance(context, dict):
            raise Unsupported("a local context must be an object")
        result = _process_object(result, context, override_protected)
    return result


def _process_object(active: Context, context: dict[str, Any], override_protected: bool) -> Context:
    result = active._copy()
    for keyword in ("@base", "@import", "@language", "@direction", "@propagate"):
        if keyword in context:
            raise Unsupported(f"{keyword} in a context")
    if "@version" in context and context["@version"] != 1.1:
        raise Unsupported("@version other than 1.1")
    if "@vocab" in context:
        vocab = context["@vocab"]
        if vocab is None:
            result.vocab = None
        elif isinstance(vocab, str) and _ABSOLUTE.fullmatch(vocab):
            result.vocab = vocab
        else:
            raise Unsupported("@vocab that is not an absolute IRI")
    protected = context.get("@protected", False)
    if not isinstance(protected, bool):
        raise Unsupported("@protected must be a boolean")
    defined: dict[str, bool] = {}
    for term in context:
        if term in ("@version", "@vocab", "@protected"):
            continue
        _define(result, context, term, defined, override_protected, protected)
    return result


def _define(
    active: Context,
    local: dict[str, Any],
    term: str,
    defined: dict[str, bool],
    override_protected: bool,
    protected_default: bool,
) -> None:
    state = defined.get(term)
    if state:
        return
    if state is False:
        raise Unsupported("cyclic term definition")
    defined[term] = False
    if term in KEYWORDS or _KEYWORD_LIKE.match(term) or term == "":
        raise Unsupported("keyword-like term")
    value = local[term]
    previous = active.terms.pop(term, None) if term in active.terms else None
    simple = value is None or isinstance(value, str)
    if simple:
        value = {"@id": value}
    if not isinstance(value, dict) or not set(value) <= _TERM_KEYS:
        raise Unsupported("term definition with unsupported members")
    definition = _Term()
    colon = term.find(":")
    definition.has_colon = colon > 0
    iri_set = False
    if "@id" in value:
        id_ = value["@id"]
        if id_ is None:
            iri_set = True
        elif not isinstance(id_, str):
            raise Unsupported("@id of a term must be a string")
        elif id_ in KEYWORDS:
            if id_ in ("@context", "@preserve"):
                raise Unsupported("alias of @context")
            definition.iri = id_
            iri_set = True
        elif _KEYWORD_LIKE.match(id_):
            raise Unsupported("keyword-like @id")
        elif id_ != term:
            if _IRI_LIKE_TERM.match(term):
                raise Unsupported("IRI-like term with an @id")
            iri = _expand_in_context(
                active, local, id_, defined, override_protected, protected_default
            )
            if iri is None or not _ABSOLUTE.fullmatch(iri):
                raise Unsupported("term IRI is not absolute")
            definition.iri = iri
            iri_set = True
            definition.prefix = (
                simple and not definition.has_colon and bool(_GEN_DELIM_END.match(iri))
            )
    if not iri_set:
        if definition.has_colon:
            prefix, suffix = term[:colon], term[colon + 1 :]
            if prefix in local:
                _define(active, local, prefix, defined, override_protected, protected_default)
            if prefix in active.terms:
                mapping = active.terms[prefix]
                if mapping is None or mapping.iri is None:
                    raise Unsupported("prefix mapped to null")
                definition.iri = mapping.iri + suffix
            else:
                definition.iri = term
        else:
            if active.vocab is None:
                raise Unsupported("term without @id and no @vocab")
            definition.iri = active.vocab + term
    own = value.get("@protected")
    definition.protected = bool(own) or (protected_default and own is not False)
    if "@type" in value:
        type_ = value["@type"]
        if not isinstance(type_, str):
            raise Unsupported("@type of a term must be a string")
        if type_ in ("@id", "@vocab", "@json", "@none"):
            definition.type = type_  # @json and @none: refused where a value uses them
        else:
            expanded = _expand_in_context(
                active, local, type_, defined, override_protected, protected_default
            )
            if expanded is None or not _ABSOLUTE.fullmatch(expanded):
                raise Unsupported("type mapping is not an absolute IRI")
            definition.type = expanded
    if "@container" in value:
        container = value["@container"]
        containers = tuple(container) if isinstance(container, list) else (container,)
        if containers not in _SUPPORTED_CONTAINERS:
            raise Unsupported("container other than @set, @list or @graph")
        definition.container = containers
    if "@context" in value:
        if value["@context"] is None:
            raise Unsupported("null scoped context")
        definition.context = value["@context"]
        definition.context_key = json.dumps(value["@context"], sort_keys=True)
    if previous is not None and previous.protected and not override_protected:
        definition.protected = True
        if not definition.same(previous):
            raise Unsupported("protected term redefinition")
    active.terms[term] = definition
    if definition.protected:
        active.has_protected = True
    defined[term] = True


def _expand_in_context(
    active: Context,
    local: dict[str, Any],
    value: str,
    defined: dict[str, bool],
    override_protected: bool,
    protected_default: bool,
) -> str | None:
    """IRI expansion with vocab while a local context is processed (defines dependencies)."""
    if value in KEYWORDS:
        return value
    if _KEYWORD_LIKE.match(value):
        raise Unsupported("keyword-like IRI")
    if value in local and defined.get(value) is not True:
        _define(active, local, value, defined, override_protected, protected_default)
    if value in active.terms:
        term = active.terms[value]
        return None if term is None else term.iri
    colon = value.find(":")
    if colon > 0:
        prefix, suffix = value[:colon], value[colon + 1 :]
        if prefix == "_" or suffix.startswith("//"):
            return value
        if prefix in local and not defined.get(prefix):
            _define(active, local, prefix, defined, override_protected, protected_default)
        mapping = active.terms.get(prefix)
        if mapping is not None and mapping.prefix and mapping.iri is not None:
            return mapping.iri + suffix
        if _PYLD_ABSOLUTE.match(value):
            return value
    if active.vocab is not None:
        return active.vocab + value
    raise Unsupported("relative IRI in a context")


_WRAPPED: dict[str | None, str] = {}


def _iri(value: str | None) -> str:
    """Return ``<value>``, or refuse an IRI that is not absolute (pyld would drop it)."""
    wrapped = _WRAPPED.get(value)
    if wrapped is not None:
        return wrapped
    if value is None or not _ABSOLUTE.fullmatch(value):
        raise Unsupported("an IRI that is not absolute")
    wrapped = f"<{value}>"
    if len(_WRAPPED) < 8192:
        _WRAPPED[value] = wrapped
    return wrapped


def _double(value: float) -> str:
    return _DOUBLE_EXPONENT.sub(r"\1E\2\3", f"{value:1.15E}")


def literal_of(value: object, datatype: str | None) -> str:
    """The N-Quads literal pyld 3.3 writes for a JSON scalar (with canonical escaping)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
        datatype = datatype or XSD_BOOLEAN
    elif isinstance(value, float) and not math.isfinite(value):
        raise Unsupported("a number that is not finite")
    elif isinstance(value, float) and not value.is_integer():
        text = _double(value)
        datatype = datatype or XSD_DOUBLE
    elif datatype == XSD_DOUBLE:
        try:
            number = float(value)  # type: ignore[arg-type]
        except OverflowError:
            raise Unsupported("a double out of range") from None
        except (ValueError, TypeError):
            if not isinstance(value, str):
                raise Unsupported("a double that is not a number") from None
            text = value
        else:
            if not math.isfinite(number):
                raise Unsupported("a double that is not finite")
            text = _double(number)
    elif isinstance(value, int | float):
        if abs(value) >= 1e21:
            try:
                text = _double(float(value))
            except OverflowError:
                raise Unsupported("an integer too large for a double") from None
            datatype = datatype or XSD_DOUBLE
        else:
            text = str(int(value))
            datatype = datatype or XSD_INTEGER
    elif isinstance(value, str):
        text = value
        datatype = datatype or XSD_STRING
    else:
        raise Unsupported("a value that is not JSON")
    if datatype == XSD_STRING:
        return f'"{escape_literal(text)}"'
    return f'"{escape_literal(text)}"^^<{datatype}>'


class _Emitter:
    """Expands one document and writes its quads (a set: RDF datasets have no duplicates)."""

    def __init__(self, *, probe: bool) -> None:
        self.probe = probe
        self.quads: dict[Quad, None] = {}
        self.blank = 0
        self.undefined: set[str] = set()

    def new_blank(self) -> str:
        self.blank += 1
        return f"_:b{self.blank}"

    def document(self, document: Mapping[str, Any], extra: Any) -> None:
        if not isinstance(document, Mapping):
            raise Unsupported("the document is not an object")
        ctx = INITIAL
        element = dict(document)
        if extra is not None:
            # The strict probe: the caller's contexts, then the sentinel vocabulary.
            local = element.pop("@context", None)
            if local is not None:
                ctx = ctx.process(local)
            ctx = ctx.process(extra)
        kind, _ = self.element(element, ctx, None, "", top=True)
        if kind != "node":
            raise Unsupported("the document is not a node object")

    def element(
        self,
        element: dict[str, Any],
        ctx: Context,
        key: str | None,
        graph: str,
        *,
        top: bool = False,
    ) -> tuple[str, str | None]:
        """Expand a map; return its kind ("node", "value", "list") and its RDF term."""
        keys = tuple(element)
        if key is not None:
            term = ctx.terms.get(key)
            if ctx.previous is not None and (
                len(keys) > 2 or "@context" in element or ctx.reverts_for(keys)
            ):
                ctx = ctx.previous
            if term is not None and term.context is not None:
                ctx = ctx.process_term(term, override_protected=True)
        if "@context" in element:
            ctx = ctx.process(element["@context"])
        type_ctx = ctx
        type_key = ctx.type_key(keys)
        # A node's types as a cache key: a string, or a tuple of strings (None: other values).
        type_names: str | tuple[str, ...] | None = None
        if type_key is not None:
            value = element[type_key]
            if type(value) is str:
                type_names = value
            elif type(value) is list and all(type(t) is str for t in value):
                type_names = tuple(value)
            if type_names is not None:
                ctx = ctx.scoped_by_types(type_names)
            else:
                types = value if isinstance(value, list) else [value]
                if len(types) > 1:
                    types = sorted(t for t in types if isinstance(t, str))
                for type_ in types:
                    if isinstance(type_, str):
                        definition = type_ctx.terms.get(type_)
                        if definition is not None and definition.context_key is not None:
                            ctx = ctx.process_term(definition, propagate=False)
        plan = ctx.plan(keys)
        if type_key != plan.type_key:
            raise Unsupported("a type-scoped context re-aliases @type")
        keywords = plan.keywords  # keyword -> the key holding it
        entries = plan.entries
        if "@value" in keywords:
            if entries or top or "@id" in keywords or "@list" in keywords:
                raise Unsupported("not a simple value object")
            values = {keyword: element[k] for keyword, k in keywords.items()}
            return "value", self.value_object(values, type_ctx)
        if "@list" in keywords:
            if entries or top or len(keywords) != 1 or key is None:
                raise Unsupported("not a simple list object")
            items = element[keywords["@list"]]
            return "list", self.rdf_list(items, ctx, key, graph)
        if "@id" in keywords:
            id_ = element[keywords["@id"]]
            if not isinstance(id_, str):
                raise Unsupported("@id must be a string")
            subject = _iri(ctx.expand_iri(id_, False, True))
        else:
            subject = self.new_blank()
        if "@type" in keywords and type_names is not None:
            probe = self.probe
            for type_iri, type_wrapped in type_ctx.type_iris(type_names):
                if probe:
                    self._note_undefined(type_iri, "")
                self.quads[(subject, _TYPE, type_wrapped, graph)] = None
        elif "@type" in keywords:
            types = element[keywords["@type"]]
            for type_ in types if isinstance(types, list) else [types]:
                if not isinstance(type_, str):
                    raise Unsupported("@type values must be strings")
                iri = type_ctx.expand_iri(type_, True, True)
                if self.probe:
                    self._note_undefined(iri, type_)
                self.quads[(subject, _TYPE, _iri(iri), graph)] = None
        probe = self.probe
        quads = self.quads
        for k, expanded, wrapped, plain in entries:
            value = element[k]
            if plain and wrapped is not None and type(value) is str:
                # What property() writes for a plain term's string, without the call.
                quads[(subject, wrapped, f'"{escape_literal(value)}"', graph)] = None
                if probe:
                    self._note_undefined(expanded, k)
                continue
            predicate = wrapped or _iri(expanded)  # refuses an IRI that is not absolute
            if self.property(subject, predicate, k, value, ctx, graph) and probe:
                self._note_undefined(expanded, k)
        return "node", subject

    def _note_undefined(self, iri: str | None, term: str) -> None:
        if iri is not None and iri.startswith(UNDEFINED_VOCAB):
            self.undefined.add(iri[len(UNDEFINED_VOCAB) :])

    def value_object(self, keywords: dict[str, Any], type_ctx: Context) -> str | None:
        value = keywords["@value"]
        if value is None:
            return None
        if isinstance(value, dict | list):
            raise Unsupported("@value must be a scalar")
        datatype = None
        if "@type" in keywords:
            type_ = keywords["@type"]
            if not isinstance(type_, str):
                raise Unsupported("@type of a value must be a string")
            expanded = type_ctx.expand_iri(type_, True, True)
            if expanded is None or not _ABSOLUTE.fullmatch(expanded):
                raise Unsupported("value type is not an absolute IRI")
            if self.probe:
                self._note_undefined(expanded, type_)
            datatype = expanded
        return literal_of(value, datatype)

    def property(
        self, subject: str, predicate: str, key: str, value: Any, ctx: Context, graph: str
    ) -> bool:
        """Write the quads of one property; False when its value expands to nothing."""
        term = ctx.terms.get(key)
        term_ctx = ctx
        container: tuple[str, ...] = ()
        if term is not None:
            if term.type in ("@json", "@none"):
                raise Unsupported(f"a {term.type} value")
            container = term.container
            if term.context is not None:
                term_ctx = ctx.process_term(term, override_protected=True)
                if term_ctx.terms.get(key) is None:
                    raise Unsupported("a scoped context removes its own property")
        # The term as the items see it (a scoped context may redefine it).
        item_term = term if term_ctx is ctx else term_ctx.terms.get(key)
        type_ = None if item_term is None else item_term.type
        if not container and type(value) is not list:
            # One value, no container: most properties.
            if type(value) is str and type_ is None:
                obj: str | None = f'"{escape_literal(value)}"'
            else:
                obj = self._item(value, term_ctx, key, graph, type_)
            if obj is None:
                return False
            self.quads[(subject, predicate, obj, graph)] = None
            return True
        if "@list" in container:
            items = value if isinstance(value, list) else [value]
            head = self.rdf_list(items, term_ctx, key, graph)
            self.quads[(subject, predicate, head, graph)] = None
            return True
        items = value if isinstance(value, list) else [value]
        if "@graph" in container:
            for item in items:
                if not isinstance(item, dict):
                    raise Unsupported("a graph container value that is not an object")
                name = self.new_blank()
                kind, _ = self.element(item, term_ctx, key, name)
                if kind != "node":
                    raise Unsupported("a graph container value that is not a node")
                self.quads[(subject, predicate, name, graph)] = None
            return True
        quads = self.quads
        for item in items:
            item_kind = type(item)
            if item_kind is str and type_ is None:
                obj = f'"{escape_literal(item)}"'
            elif item_kind is list:
                raise Unsupported("nested arrays")
            else:
                obj = self._item(item, term_ctx, key, graph, type_)
            if obj is not None:
                quads[(subject, predicate, obj, graph)] = None
            elif not isinstance(value, list):
                return False
        return True

    def item(self, item: Any, ctx: Context, key: str, graph: str) -> str | None:
        term = ctx.terms.get(key)
        return self._item(item, ctx, key, graph, None if term is None else term.type)

    def _item(self, item: Any, ctx: Context, key: str, graph: str, type_: str | None) -> str | None:
        """An item's RDF term; ``type_`` is the type mapping of ``key``'s term in ``ctx``."""
        kind = type(item)
        if kind is dict:
            _, obj = self.element(item, ctx, key, graph)
            return obj
        if item is None:
            return None
        if kind is str:
            if type_ is None:
                return f'"{escape_literal(item)}"'
            if type_ == "@id":
                return _iri(ctx.expand_iri(item, False, True))
            if type_ == "@vocab":
                return _iri(ctx.expand_iri(item, True, True))
        elif kind is list:
            raise Unsupported("lists of lists")
        elif not isinstance(item, int | float | str):
            raise Unsupported("a value that is not JSON")
        if type_ in ("@json", "@none"):
            raise Unsupported(f"a {type_} value")
        datatype = None if type_ in (None, "@id", "@vocab") else type_
        return literal_of(item, datatype)

    def rdf_list(self, items: Any, ctx: Context, key: str, graph: str) -> str:
        if not isinstance(items, list):
            items = [items]
        objects = []
        for item in items:
            if isinstance(item, list):
                raise Unsupported("lists of lists")
            if isinstance(item, dict):
                kind, obj = self.element(item, ctx, key, graph)
                if kind == "list":
                    raise Unsupported("lists of lists")
            else:
                obj = self.item(item, ctx, key, graph)
            if obj is not None:
                objects.append(obj)
        if not objects:
            return _NIL
        nodes = [self.new_blank() for _ in objects]
        for index, (node, obj) in enumerate(zip(nodes, objects, strict=True)):
            self.quads[(node, _FIRST, obj, graph)] = None
            rest = nodes[index + 1] if index + 1 < len(nodes) else _NIL
            self.quads[(node, _REST, rest, graph)] = None
        return nodes[0]


# A vocabulary no real context uses: a term that expands under it was defined by no context.
UNDEFINED_VOCAB = "urn:baeji:undefined-term:"
SENTINEL_CONTEXT = {"@vocab": UNDEFINED_VOCAB}


def to_quads(
    document: Mapping[str, Any], *, probe_undefined: bool = False
) -> tuple[list[Quad], set[str]]:
    """Return the RDF dataset of a JSON-LD document, and the terms no context defined.

    ``probe_undefined`` processes the sentinel ``@vocab`` after the document's contexts, so
    terms no context defines expand under it (and are returned) instead of being dropped.

    Raises:
        Unsupported: the document uses something the fast path does not handle.
        UnknownContext: a context is not bundled.
    """
    emitter = _Emitter(probe=probe_undefined)
    emitter.document(document, SENTINEL_CONTEXT if probe_undefined else None)
    return list(emitter.quads), emitter.undefined
