"""The interactive documentation works offline: ``/docs`` refers to this server's own URLs
only, the Swagger UI bundle is served from the installed ``swagger_ui_bundle`` package, the
page reads an OpenAPI 3.0 rendition of the document, and ``docs_public=0`` turns it all off.
With a Chromium on the machine, a headless browser that may reach nothing but the server
renders every operation."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.config import ServerSettings
from api.http.app import create_app
from api.http.docs import ASSETS, DOCS_OPENAPI_URL, openapi_30
from api.service.analysis import AnalysisService
from tests.api.conftest import KEY
from tests.api.live import PinnedSource, ThreadServer

URLS = re.compile(r"""(?:src|href|url)\s*[=:]\s*["']([^"']+)["']""")


def _own(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def test_docs_page_refers_to_this_server_only(client: httpx.Client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    urls = URLS.findall(response.text)
    assert set(urls) >= {
        "/docs/static/swagger-ui-bundle.js", "/docs/static/swagger-ui.css", DOCS_OPENAPI_URL,
    }  # fmt: skip
    assert all(_own(u) for u in urls), urls
    assert "http://" not in response.text and "https://" not in response.text
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_static_assets_are_served_and_nothing_else(client: httpx.Client) -> None:
    kinds = {".js": "javascript", ".css": "text/css", ".png": "image/png"}
    for name in ASSETS:
        response = client.get(f"/docs/static/{name}")
        assert response.status_code == 200, name
        assert kinds[Path(name).suffix] in response.headers["content-type"]
    js = client.get("/docs/static/swagger-ui-bundle.js")
    assert len(js.content) > 500_000 and b"SwaggerUIBundle" in js.content
    for name in ("index.html", "swagger-initializer.js", "oauth2-redirect.html", "", "x.js"):
        response = client.get(f"/docs/static/{name}")
        assert response.status_code == 404 and response.json()["error"] == "not_found", name


def _walk(node: Any, found: list[str], path: str = "") -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}/{key}"
            if key == "type" and (isinstance(value, list) or value == "null"):
                found.append(here)
            if key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
                found.append(here)
            if key in ("const", "prefixItems", "$defs") or (
                key == "examples" and isinstance(value, list)
            ):
                found.append(here)
            _walk(value, found, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _walk(value, found, f"{path}[{i}]")


def test_the_page_reads_an_openapi_30_rendition(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    rendition = client.get(DOCS_OPENAPI_URL).json()
    assert document["openapi"].startswith("3.1") and rendition["openapi"] == "3.0.3"
    assert rendition == openapi_30(document)
    assert set(rendition["paths"]) == set(document["paths"])
    left: list[str] = []
    _walk(rendition, left)
    assert not left, left[:10]


def test_openapi_30_conversions() -> None:
    doc = {
        "openapi": "3.1.0",
        "paths": {"/x": {"get": {
            "parameters": [{"name": "a", "in": "query", "schema": {
                "anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "null"}],
                "examples": [1.5]}}],
            "responses": {"200": {"content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/M"}}}}},
        }}},
        "components": {"schemas": {"M": {"type": "object", "properties": {
            "r": {"anyOf": [{"$ref": "#/components/schemas/N"}, {"type": "null"}]},
            "k": {"const": "x"},
            "n": {"type": "null"},
            "l": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
        }}}},
    }  # fmt: skip
    out = openapi_30(doc)
    assert doc["openapi"] == "3.1.0"  # the input is left alone
    schema = out["paths"]["/x"]["get"]["parameters"][0]["schema"]
    assert schema == {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                      "nullable": True, "example": 1.5}  # fmt: skip
    props = out["components"]["schemas"]["M"]["properties"]
    assert props["r"] == {"nullable": True, "allOf": [{"$ref": "#/components/schemas/N"}]}
    assert props["k"] == {"enum": ["x"]}
    assert props["n"] == {"nullable": True, "enum": [None]}
    assert props["l"]["items"] == {"type": "string", "nullable": True}


def test_redoc_points_to_the_offline_docs(client: httpx.Client) -> None:
    response = client.get("/redoc")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    assert all(_own(u) for u in URLS.findall(response.text))
    assert "url=/docs" in response.text and "https://" not in response.text


def test_private_docs_serve_none_of_it() -> None:
    settings = ServerSettings(api_keys=(KEY,), docs_public=False)
    app = create_app(settings=settings, service=AnalysisService(PinnedSource()), warm=False)
    with ThreadServer(app) as server, httpx.Client(base_url=server.base_url) as http:
        for path in ("/docs", "/redoc", DOCS_OPENAPI_URL, "/docs/static/swagger-ui.css"):
            response = http.get(path, headers={"X-Api-Key": KEY})
            assert response.status_code == 404 and response.json()["error"] == "not_found"


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("GEX_CHROMIUM"),
        "/usr/lib/chromium/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        shutil.which("google-chrome"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def test_a_browser_renders_the_docs_offline(pinned_server: ThreadServer) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium, or GEX_CHROMIUM)")
    base = pinned_server.base_url
    outside: list[str] = []
    errors: list[str] = []

    def only_the_server(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.route("**/*", only_the_server)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/docs")
            page.wait_for_selector(".opblock", timeout=60_000)
            operations = len(httpx.get(f"{base}/openapi.json").json()["paths"])
            assert page.locator(".opblock").count() == operations
            assert page.locator("text=Unable to render this definition").count() == 0
            page.goto(f"{base}/redoc")
            page.wait_for_selector(".opblock", timeout=60_000)
            assert page.url == f"{base}/docs"
        finally:
            browser.close()
    assert outside == [] and errors == []
