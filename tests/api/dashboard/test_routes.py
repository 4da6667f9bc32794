"""The dashboard's routes over HTTP (no browser): the redirect, the pages and their headers,
the offline assets, what is not served, and that none of it is in the OpenAPI document."""

from __future__ import annotations

import re

import httpx

from api.dashboard import CSP, PAGES_DIR, PLOTLY_JS, STATIC_DIR, plotly_dir
from tests.api.live import ServerProcess, get_request, raw_request

PAGES = {
    "/dashboard": "scan",
    "/dashboard?symbol=SPX": "symbol",
    "/dashboard/scan": "scan",
    "/dashboard/symbol/SPX": "symbol",
    "/dashboard/symbol/ES%3DF": "symbol",
}


def test_root_redirects_to_the_dashboard_without_keys(api: httpx.Client) -> None:
    for host in ("127.0.0.1", "evil.example"):
        response = api.get("/", headers={"Host": host}, follow_redirects=False)
        assert response.status_code == 307
        assert response.headers["location"] == "/dashboard"  # relative: never the Host


def test_the_pages_carry_a_same_origin_policy(api: httpx.Client) -> None:
    for path, page in PAGES.items():
        response = api.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert f'data-page="{page}"' in response.text, path
    refused = api.get("/dashboard/symbol/SP%20X")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_symbol"


def test_every_asset_is_served_by_the_server_itself(api: httpx.Client) -> None:
    referenced: set[str] = set()
    for page in PAGES_DIR.glob("*.html"):
        for url in re.findall(r'(?:src|href)="([^"]+)"', page.read_text()):
            if url == "data:,":  # the empty favicon: no request at all
                continue
            assert url.startswith("/") and not url.startswith("//"), url
            referenced.add(url.split("?")[0])
    assert "/dashboard/vendor/plotly.min.js" in referenced
    for url in sorted(referenced):
        response = api.get(url)
        assert response.status_code == 200, url
        if url.endswith((".js", ".css")):
            kind = "text/css" if url.endswith(".css") else "text/javascript"
            assert response.headers["content-type"].startswith(kind), url
    for path in [*STATIC_DIR.iterdir(), *PAGES_DIR.iterdir()]:
        assert not re.search(r"https?://", path.read_text()), path  # no remote URL anywhere


def test_plotly_comes_from_the_installed_package_and_revalidates(api: httpx.Client) -> None:
    response = api.get(f"/dashboard/vendor/{PLOTLY_JS}")
    assert response.status_code == 200
    assert response.content == (plotly_dir() / PLOTLY_JS).read_bytes()
    assert response.headers["cache-control"] == "no-cache"
    again = api.get(
        f"/dashboard/vendor/{PLOTLY_JS}", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


def test_only_the_dashboards_own_files_are_served(dashboard_server: ServerProcess) -> None:
    for target in (
        "/dashboard/vendor/widgetbundle.js",  # another file of plotly's folder
        "/dashboard/vendor/../__init__.py",
        "/dashboard/static/%2e%2e/pages/symbol.html",
        "/dashboard/static/%2e%2e/__init__.py",
        "/dashboard/static/",
        "/dashboard/static/nope.js",
        "/dashboard/pages/symbol.html",
    ):
        answer = raw_request(dashboard_server.port, get_request(target))
        assert answer.status == 404, target
        assert answer.json()["error"] == "not_found", target


def test_the_config_and_the_openapi_document(api: httpx.Client) -> None:
    config = api.get("/dashboard/config.json").json()
    assert config == {"cache_ttl": 3600.0, "keys_required": False, "key_header": "X-Api-Key"}
    paths = api.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith("/dashboard")]
