"""``/api/openapi.json`` and ``/api/docs``: the API description, generated from the views.

Each API view's :class:`~issuer.operations.Operation` names the pydantic models that validate its
request and shape its response; their JSON Schemas become the document's components, so
the description cannot drift from what the service accepts. The docs page is rendered on
the server from the same document and loads nothing from the internet.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from issuer.operations import Operation, operation_of
from issuer.schemas import ErrorBody

bp = Blueprint("docs", __name__, url_prefix="/api")

_REF = "#/components/schemas/{model}"
_PATH_ARGUMENT = re.compile(r"<(?:[a-z]+:)?([A-Za-z_]+)>")
# What each error status means, unless the operation says more precisely.
_ERRORS = {
    400: "Malformed request (invalid-json, invalid-header, invalid-csv, bad-request)",
    401: "Missing, unknown or revoked API key (unauthorized)",
    404: "No such resource for this issuer (not-found)",
    409: "Conflict with the current state (conflict)",
    413: "Body over the size limit (payload-too-large)",
    415: "Unsupported Content-Type (unsupported-media-type)",
    422: "Invalid fields (validation-error) or rows (invalid-rows)",
    429: "Too many requests from this address or API key (rate-limited); wait Retry-After seconds",
    503: "Contention the service could not settle in time (try-again); retry the request",
}
_BINARY = {"type": "string", "format": "binary"}
# Bodies other than JSON (multipart/form-data comes from the operation's form).
_MEDIA_SCHEMAS: dict[str, dict[str, Any]] = {
    "text/csv": {"type": "string", "description": "CSV with a header row"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        **_BINARY,
        "description": "an .xlsx workbook; its first sheet has a header row",
    },
    "text/plain": {"type": "string", "description": "a compact VC-JWT or an https URL"},
    "application/jwt": {"type": "string", "description": "a compact VC-JWT"},
    "application/vc+jwt": {"type": "string", "description": "a compact VC-JWT"},
    "image/png": {**_BINARY, "description": "a baked PNG badge or a photo of a QR code"},
    "image/svg+xml": {**_BINARY, "description": "a baked SVG badge"},
    "image/jpeg": {**_BINARY, "description": "a photo or scan of a QR code"},
    "image/webp": {**_BINARY, "description": "a photo or scan of a QR code"},
    "application/octet-stream": {**_BINARY, "description": "a baked badge or QR image"},
}


def _operations(app: Flask) -> list[tuple[str, str, list[str], Operation]]:
    found = []
    for rule in app.url_map.iter_rules():
        described = operation_of(app.view_functions[rule.endpoint])
        if described is None:
            continue
        path = _PATH_ARGUMENT.sub(r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((path, method.lower(), sorted(rule.arguments), described))
    return sorted(found, key=lambda item: (item[0], item[1]))


def operation_id(method: str, path: str) -> str:
    """Return the ``operationId`` of ``method`` on ``path`` (``get_api_v1_achievements_ref``)."""
    return f"{method}{re.sub(r'[^A-Za-z0-9]+', '_', path)}".rstrip("_")


def _models(
    operations: list[tuple[str, str, list[str], Operation]],
) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
        (ErrorBody, "serialization"): None
    }
    for *_, described in operations:
        if described.body is not None:
            wanted[(described.body, "validation")] = None
        for model in described.responses.values():
            if model is not None:
                wanted[(model, "serialization")] = None
    return list(wanted)


def _error_statuses(described: Operation, arguments: list[str]) -> dict[int, str]:
    """Return the error statuses ``described`` can answer, with their meaning."""
    statuses: dict[int, str] = {}
    if described.auth:
        statuses[401] = _ERRORS[401]
        statuses[429] = _ERRORS[429]
    if described.body is not None or described.headers:
        statuses[400] = _ERRORS[400]
    if described.body is not None:
        for status in (413, 415, 422):
            statuses[status] = _ERRORS[status]
    if arguments:
        statuses[404] = _ERRORS[404]
    statuses.update(described.errors)
    return dict(sorted(statuses.items()))


def _request_body(described: Operation, json_ref: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for media in described.body_types:
        if media == "application/json":
            content[media] = {"schema": json_ref}
        elif media == "multipart/form-data":
            content[media] = {
                "schema": {
                    "type": "object",
                    "properties": {name: dict(schema) for name, schema in described.form.items()},
                    "required": ["file"],
                    "additionalProperties": False,
                }
            }
        else:
            content[media] = {"schema": _MEDIA_SCHEMAS[media]}
    return {"required": described.body_required, "content": content}


def build_openapi(app: Flask) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of ``app``'s API views."""
    operations = _operations(app)
    models = _models(operations)
    refs, definitions = models_json_schema(models, by_alias=True, ref_template=_REF)
    error_ref = refs[(ErrorBody, "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    for path, method, arguments, described in operations:
        entry: dict[str, Any] = {
            "summary": described.summary,
            "tags": [described.tag],
            "operationId": operation_id(method, path),
            "security": [{"apiKey": []}] if described.auth else [],
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in arguments
            ]
            + [
                {
                    "name": name,
                    "in": "header",
                    "required": False,
                    "description": text,
                    "schema": {"type": "string", "maxLength": 255},
                }
                for name, text in described.headers.items()
            ]
            + [
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "description": spec["description"],
                    "schema": spec["schema"],
                }
                for name, spec in described.query.items()
            ],
        }
        if described.description:
            entry["description"] = described.description
        if described.body is not None:
            entry["requestBody"] = _request_body(described, refs[(described.body, "validation")])
        responses: dict[str, Any] = {}
        for index, (status, model) in enumerate(described.responses.items()):
            response: dict[str, Any] = {"description": "Success"}
            if model is not None:
                response["content"] = {
                    "application/json": {"schema": refs[(model, "serialization")]}
                }
            # Links follow the first (main) success response; e.g. a batch's 201 links to
            # its first credential, its 202 (a job) has none.
            if described.links and index == 0:
                response["links"] = {name: dict(link) for name, link in described.links.items()}
            responses[str(status)] = response
        for status, text in _error_statuses(described, arguments).items():
            error: dict[str, Any] = {
                "description": text,
                "content": {"application/json": {"schema": error_ref}},
            }
            if status == 429:
                error["headers"] = {
                    "Retry-After": {
                        "description": "seconds to wait before retrying",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    }
                }
            responses[str(status)] = error
        entry["responses"] = responses
        paths.setdefault(path, {})[method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Baeji (배지) issuing API",
            "version": "1.0.0",
            "description": "Issue, revoke and verify Open Badges 3.0 credentials. "
            'Every error is {"error": code, "message": text}. Webhooks (/api/v1/webhooks) '
            "are POSTs signed with Baeji-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "
            "'<t>.<raw body>' keyed with the endpoint's secret>; see the Webhooks section of "
            "/api/docs for the payload and a verification recipe.",
        },
        "servers": [{"url": current_app.extensions["issuer"]["settings"].base_url}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An issuer API key (baeji issuer create / apikey create)",
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document."""
    return jsonify(build_openapi(current_app))


@bp.get("/docs")
def page() -> str:
    """Readable API documentation, rendered from the OpenAPI document."""
    document = build_openapi(current_app)
    schemas = {
        name: json.dumps(schema, ensure_ascii=False, indent=2)
        for name, schema in document["components"]["schemas"].items()
    }
    return render_template("service/docs.html", document=document, schemas=schemas)
