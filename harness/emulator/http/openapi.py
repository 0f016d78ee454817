"""The control API's OpenAPI 3 document (`GET /_emulator/openapi.json`), generated from the routes themselves: each
control route made by `common.route` carries its method, body and query models, status and summary; pydantic's
`model_json_schema` gives the schemas. (Not FastAPI: it is not a dependency, and Starlette + pydantic already hold
everything the document needs.)"""

from __future__ import annotations

import re
from typing import Any

from braze_harness.emulator.http.common import Operation
from pydantic import BaseModel
from starlette.routing import Route

PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")
REF_TEMPLATE = "#/components/schemas/{model}"


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "description")}
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
        description = model.model_fields[name].description
        if description:
            param["description"] = description
        params.append(param)
    return params


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "field": {"type": ["string", "null"]}},
}


def openapi_document(routes: list[Route], *, title: str, version: str, secured: bool) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for made in routes:
        op: Operation | None = getattr(made, "operation", None)
        if op is None:
            continue
        names = PATH_PARAM.findall(made.path)
        parameters = [{"name": n, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}} for n in names]
        parameters += _query_parameters(op.query)
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        responses: dict[str, Any] = {
            str(op.status): {"description": op.response, "content": {"application/json": {"schema": {}}}},
            "400": {"description": "a mistake in the request, naming the field", **error},
        }
        if names:
            responses["404"] = {"description": "no such id", **error}
        if secured and made.path != "/_emulator/health":
            responses["401"] = {"description": "the control token is missing or wrong", **error}
        operation: dict[str, Any] = {
            "operationId": re.sub(r"\W+", "_", f"{op.method}{made.path}").strip("_").lower(),
            "summary": op.summary,
            "parameters": parameters,
            "responses": responses,
        }
        if op.body_media is not None:
            media = {op.body_media: {"schema": {"type": "string"}}}
            operation["requestBody"] = {"required": True, "content": media}
        elif op.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _schema(op.body, components)}},
            }
        if secured and made.path != "/_emulator/health":
            operation["security"] = [{"bearer": []}, {"token": []}]
        paths.setdefault(made.path, {})[op.method.lower()] = operation
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": components},
    }
    if secured:
        document["components"]["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "token": {"type": "apiKey", "in": "header", "name": "X-Emulator-Token"},
        }
    return document
