"""Interactive documentation served without any CDN: Swagger UI from the installed
``swagger_ui_bundle`` package.

FastAPI's default ``/docs`` loads Swagger UI's script and stylesheet from a CDN, a blank
page offline. :func:`install_docs` serves instead:

==========================  ===============================================================
``/docs``                   Swagger UI's page, every URL on this server
``/docs/static/{file}``     the bundle's script, stylesheet and icons (only those:
                            :data:`ASSETS`), from ``swagger_ui_bundle.swagger_ui_path``
``/docs/openapi-3.0.json``  the OpenAPI document the page reads (below)
``/redoc``                  a page that says ReDoc is not bundled and leads to ``/docs``
==========================  ===============================================================

The bundled Swagger UI (4.15) reads OpenAPI 3.0 only, while FastAPI writes 3.1: the page
reads :func:`openapi_30`, the same document in 3.0 form (``{"type": "null"}`` alternatives
become ``nullable``, schema ``examples`` lists an ``example``, numeric exclusive bounds the
3.0 booleans, ``const`` a one-value ``enum``). ``/openapi.json`` stays the 3.1 document.
No offline ReDoc bundle is installed, so ``/redoc`` is not ReDoc. All of it only when the
documentation is public (``docs_public``, or no keys configured; :mod:`api.http.app`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope
from swagger_ui_bundle import swagger_ui_path

from api.http.routes._respond import json_response

__all__ = ["ASSETS", "DOCS_OPENAPI_URL", "STATIC_URL", "install_docs", "openapi_30"]

STATIC_URL: Final = "/docs/static"
DOCS_OPENAPI_URL: Final = "/docs/openapi-3.0.json"
ASSETS: Final = frozenset(
    {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "favicon-16x16.png"}
)
"""The files of the bundle that are served (its demo page, which loads a remote example
document, is not)."""

_REDOC_PAGE: Final = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0; url=/docs">
<title>{title} - API documentation</title>
</head>
<body>
<p>ReDoc is not bundled with this server (it would load from a CDN). The interactive
documentation is at <a href="/docs">/docs</a>; the OpenAPI document at
<a href="/openapi.json">/openapi.json</a>.</p>
</body>
</html>
"""


class _Assets(StaticFiles):
    """The bundle's folder, restricted to :data:`ASSETS`."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path not in ASSETS:
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


# -- OpenAPI 3.1 -> 3.0 ---------------------------------------------------------------------
_SCHEMA_LISTS: Final = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_MAPS: Final = ("properties", "patternProperties", "$defs")
_SCHEMA_ONE: Final = ("items", "additionalProperties", "not", "contains")


def _is_null(schema: Any) -> bool:
    return schema == {"type": "null"}


def _schema_30(schema: Any) -> Any:
    """One JSON Schema (2020-12, as OpenAPI 3.1 uses it) in OpenAPI 3.0 form."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in ("anyOf", "oneOf"):  # X or null: X, nullable
        options = out.get(key)
        if isinstance(options, list) and any(_is_null(o) for o in options):
            rest = [o for o in options if not _is_null(o)]
            out["nullable"] = True
            del out[key]
            if len(rest) == 1 and "$ref" not in rest[0]:
                out = {**rest[0], **out}
            elif len(rest) == 1:
                out["allOf"] = rest
            elif rest:
                out[key] = rest
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_schema_30(s) for s in out[key]]
    for key in _SCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: _schema_30(s) for name, s in out[key].items()}
    for key in _SCHEMA_ONE:
        if isinstance(out.get(key), dict):
            out[key] = _schema_30(out[key])
    kind = out.get("type")
    if kind == "null":  # a field that is always null
        del out["type"]
        out["nullable"] = True
        out["enum"] = [None]
    elif isinstance(kind, list):
        rest_types = [k for k in kind if k != "null"]
        if len(rest_types) < len(kind):
            out["nullable"] = True
        out["type"] = rest_types[0] if rest_types else "string"
    if isinstance(out.get("examples"), list):
        examples = out.pop("examples")
        if examples and "example" not in out:
            out["example"] = examples[0]
    if "const" in out:
        out["enum"] = [out.pop("const")]
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(exclusive)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[bound] = value
            out[exclusive] = True
    return out


def _content_30(content: Any) -> None:
    if isinstance(content, dict):
        for media in content.values():
            if isinstance(media, dict) and "schema" in media:
                media["schema"] = _schema_30(media["schema"])


def openapi_30(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (FastAPI's OpenAPI 3.1) in OpenAPI 3.0.3 form, for Swagger UI 4."""
    doc = copy.deepcopy(document)
    doc["openapi"] = "3.0.3"
    doc.pop("jsonSchemaDialect", None)
    doc.pop("webhooks", None)
    components = doc.get("components", {})
    for name, schema in list(components.get("schemas", {}).items()):
        components["schemas"][name] = _schema_30(schema)
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if "schema" in parameter:
                    parameter["schema"] = _schema_30(parameter["schema"])
                if isinstance(parameter.get("examples"), list):
                    values = parameter.pop("examples")
                    if values and "example" not in parameter:
                        parameter["example"] = values[0]
            _content_30(operation.get("requestBody", {}).get("content"))
            for response in operation.get("responses", {}).values():
                _content_30(response.get("content"))
                for header in response.get("headers", {}).values():
                    if "schema" in header:
                        header["schema"] = _schema_30(header["schema"])
    return doc


def install_docs(app: FastAPI, openapi: Callable[[], dict[str, Any]]) -> None:
    """Add ``/docs``, its assets, its OpenAPI 3.0 document and ``/redoc`` to ``app``
    (created with ``docs_url=None, redoc_url=None``); ``openapi`` builds the 3.1 document."""
    app.mount(STATIC_URL, _Assets(directory=str(swagger_ui_path)), name="docs-static")
    page = get_swagger_ui_html(
        openapi_url=DOCS_OPENAPI_URL,
        title=f"{app.title} - API documentation",
        swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
        swagger_favicon_url=f"{STATIC_URL}/favicon-32x32.png",
    ).body
    redoc = _REDOC_PAGE.format(title=app.title).encode()
    converted: list[dict[str, Any]] = []

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        return HTMLResponse(page)

    @app.get(DOCS_OPENAPI_URL, include_in_schema=False)
    async def docs_openapi() -> Response:
        if not converted:
            converted.append(openapi_30(openapi()))
        return json_response(converted[0])

    @app.get("/redoc", include_in_schema=False)
    async def redoc_page() -> Response:
        return HTMLResponse(redoc)
