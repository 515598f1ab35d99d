"""``/api/openapi.json`` and ``/api/docs``: the API description, generated from the views.

Each API view's :class:`~issuer.api.Operation` names the pydantic models that validate its
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

from issuer.api import Operation, operation_of
from issuer.schemas import ErrorBody

bp = Blueprint("docs", __name__, url_prefix="/api")

_REF = "#/components/schemas/{model}"
_PATH_ARGUMENT = re.compile(r"<(?:[a-z]+:)?([A-Za-z_]+)>")
_COMMON_ERRORS = {
    400: "Malformed request (invalid-json, invalid-header, ...)",
    401: "Missing, unknown or revoked API key (unauthorized)",
    404: "No such resource for this issuer (not-found)",
    413: "Body over the size limit (payload-too-large)",
    415: "Unsupported Content-Type (unsupported-media-type)",
    422: "Invalid fields (validation-error) or rows (invalid-rows)",
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
            "operationId": f"{method}{re.sub(r'[^A-Za-z0-9]+', '_', path)}".rstrip("_"),
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
                    "description": text,
                    "schema": {"type": "string"},
                }
                for name, text in described.query.items()
            ],
        }
        if described.description:
            entry["description"] = described.description
        if described.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {
                    media: {"schema": _body_schema(media, refs[(described.body, "validation")])}
                    for media in described.body_types
                },
            }
        responses: dict[str, Any] = {}
        for status, model in described.responses.items():
            response: dict[str, Any] = {"description": "Success"}
            if model is not None:
                response["content"] = {
                    "application/json": {"schema": refs[(model, "serialization")]}
                }
            responses[str(status)] = response
        for status, text in _COMMON_ERRORS.items():
            if status == 401 and not described.auth:
                continue
            responses[str(status)] = {
                "description": text,
                "content": {"application/json": {"schema": error_ref}},
            }
        entry["responses"] = responses
        paths.setdefault(path, {})[method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Baeji (배지) issuing API",
            "version": "1.0.0",
            "description": "Issue, revoke and verify Open Badges 3.0 credentials. "
            'Every error is {"error": code, "message": text}.',
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


def _body_schema(media: str, model_ref: dict[str, Any]) -> dict[str, Any]:
    if media == "text/csv":
        return {"type": "string", "description": "CSV with a header row"}
    if media == "multipart/form-data":
        return {
            "type": "object",
            "properties": {
                "file": {"type": "string", "contentMediaType": "text/csv"},
                "achievementId": {"type": "string"},
                "jwtAlg": {"type": "string", "enum": ["RS256", "EdDSA"]},
            },
            "required": ["file"],
        }
    return model_ref


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
