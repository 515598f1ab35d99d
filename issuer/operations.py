"""HTTP blueprints, and what they share: request parsing, auth, and OpenAPI annotations.

Views stay thin: parse the request into a schema, call :mod:`issuer.credentials.service`, return a
schema. Each API view carries an :class:`Operation` (set by :func:`operation`) from which
``/api/openapi.json`` is generated, so the document describes the models that actually
validate the requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from flask import current_app, g, request
from pydantic import BaseModel
from werkzeug.routing import BaseConverter

from issuer import settings_of
from issuer.config import Settings
from issuer.db import Work, get_session
from issuer.errors import InvalidJson, UnsupportedMediaType
from issuer.issuers import service as accounts
from issuer.issuers.service import Caller
from issuer.models import Issuer

ModelT = TypeVar("ModelT", bound=BaseModel)
ViewT = TypeVar("ViewT", bound=Callable[..., Any])

_OPENAPI_ATTRIBUTE = "_baeji_openapi"


@dataclass(frozen=True)
class Operation:
    """The OpenAPI description of one view.

    Attributes:
        body: the model of the JSON body (``application/json`` in ``body_types``); other
            media types get their schema in :mod:`issuer.openapi`, ``multipart/form-data``
            from ``form``.
        body_required: whether the view refuses an empty body.
        form: the fields of a ``multipart/form-data`` body, as JSON Schemas by name
            (``file`` is the uploaded file and required).
        errors: statuses the view returns beyond those that follow from the rest (401
            and 429 with ``auth``; 400, 413, 415, 422 with a body; 404 with a path
            argument), with what they mean here.
        links: OpenAPI links of the first success response in ``responses``, by name:
            (operationId of the target, its parameters and optionally ``requestBody`` as
            runtime expressions).
    """

    summary: str
    tag: str
    body: type[BaseModel] | None = None
    body_types: tuple[str, ...] = ("application/json",)
    body_required: bool = True
    form: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    responses: Mapping[int, type[BaseModel] | None] = field(default_factory=dict)
    auth: bool = True
    description: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    errors: Mapping[int, str] = field(default_factory=dict)
    links: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def operation(**kwargs: Any) -> Callable[[ViewT], ViewT]:
    """Attach an :class:`Operation` to a view (read by :mod:`issuer.openapi`)."""
    described = Operation(**kwargs)

    def attach(view: ViewT) -> ViewT:
        setattr(view, _OPENAPI_ATTRIBUTE, described)
        return view

    return attach


def operation_of(view: Callable[..., Any]) -> Operation | None:
    """Return the :class:`Operation` of a view, if it has one."""
    found = getattr(view, _OPENAPI_ATTRIBUTE, None)
    return found if isinstance(found, Operation) else None


class ReferenceConverter(BaseConverter):
    """A credential reference in a path: one segment, never ``batch``.

    ``/api/v1/credentials/batch`` is its own route (POST); without this, ``batch`` would
    also match ``/credentials/<ref>`` and the batch route would claim to answer GET.
    """

    regex = r"(?!batch(?![^/]))[^/]+"
    part_isolating = True


# URL converters of the API routes; create_app installs them before the blueprints.
CONVERTERS: dict[str, type[BaseConverter]] = {"ref": ReferenceConverter}


def settings() -> Settings:
    """Return the current application's settings."""
    return settings_of(current_app)


def caller() -> Caller:
    """Authenticate this request's bearer API key (once per request).

    Raises:
        Unauthorized: missing, unknown or revoked key.
    """
    if "caller" not in g:
        g.caller = accounts.authenticate(get_session(), request.headers.get("Authorization"))
    found: Caller = g.caller
    return found


def request_work(actor: str, issuer: Issuer | None = None) -> Work:
    """Return this request's unit of work with ``actor`` acting for ``issuer`` (the tenant).

    Every edge of a request (API view, console or operator page, public page) gets its unit
    here: one session and one reading of the clock per request (or application context).
    A later call naming another actor or tenant (a sign-in decided during the request) gets
    the same unit with them acting.
    """
    made: Work | None = g.get("unit")
    if made is None:
        conf = settings()
        made = g.unit = Work(get_session(), conf, conf.clock(), actor, issuer)
    if made.actor == actor and made.issuer is issuer:
        return made
    return replace(made, actor=actor, issuer=issuer)


def work() -> Work:
    """Return this request's unit of work where an API key's issuer acts.

    Raises:
        Unauthorized: missing, unknown or revoked key.
    """
    who = caller()
    return request_work(who.actor, who.issuer)


def public_work() -> Work:
    """Return this request's unit of work where nobody signs in (public pages and
    documents): actor ``public``, no tenant."""
    return request_work("public")


def json_body(*, optional: bool = False) -> Any:
    """Return the request body parsed as JSON.

    Raises:
        UnsupportedMediaType: the body is not ``application/json``.
        InvalidJson: the body is not valid JSON (or nests absurdly deep).
    """
    data = request.get_data(cache=True)
    if optional and not data:
        return None
    if not request.is_json:
        raise UnsupportedMediaType("send the body as application/json")
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as err:
        # ValueError covers UnicodeDecodeError and over-long integers.
        raise InvalidJson("the request body is not valid JSON") from err


def parse(model: type[ModelT], *, optional: bool = False) -> ModelT:
    """Validate the JSON body against ``model`` (an empty optional body is ``{}``).

    Raises:
        InvalidJson: not a JSON object.
        ValidationError: the object does not match ``model`` (becomes a 422).
    """
    data = json_body(optional=optional)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidJson("the request body must be a JSON object")
    return model.model_validate(data)
