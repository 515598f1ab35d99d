"""The public issuer registry: ``/registry.json`` and its signed copy ``/registry.vc.json``.

Served like the other published documents: a strong ``ETag``, ``304`` for a matching
``If-None-Match``, ``Cache-Control`` with the public documents' short max-age (a provider
added or removed shows within a minute), and open to every origin (browser verifiers such
as VerifierPlus load the registry from their own page).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from issuer.db import Work
from issuer.operations import request_work
from issuer.published.service import Published
from issuer.registry import service as registry

bp = Blueprint("registry", __name__)


def _max_age() -> int:
    return int(current_app.config["PUBLIC_MAX_AGE"])


def _work() -> Work:
    """The unit of work of a registry request: the registry acts (it may create the
    platform's identity, which signs the registry)."""
    return request_work(registry.ACTOR)


def _answer(found: Published) -> Response:
    if request.if_none_match.contains_weak(found.etag):
        response = Response(status=304)
    else:
        response = Response(found.render(), content_type=found.content_type)
    response.set_etag(found.etag)
    response.headers["Cache-Control"] = found.cache_control
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get(f"/{registry.REGISTRY_PATH}")
def registry_document() -> Response:
    """Every registered provider (DID, name, URL, logo, certification), in the Digital
    Credentials Consortium's issuer-registry format."""
    return _answer(registry.registry_document(_work(), max_age=_max_age()))


@bp.get(f"/{registry.SIGNED_PATH}")
def registry_credential() -> Response:
    """The same list as a credential signed by the platform's identity."""
    return _answer(registry.registry_credential(_work(), max_age=_max_age()))
