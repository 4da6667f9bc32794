"""SDK methods this server does not serve answer ``404 not_served`` with a message that says
so: every path of the table, no key needed, none shadowing a served route, none in the
OpenAPI document, and every SDK method named in the table exists in the SDK."""

from __future__ import annotations

import httpx
import pytest
from flashalpha import FlashAlpha

from api.http.routes.unserved import UNSERVED
from tests.api.live import ThreadServer


def _url(path: str) -> str:
    return path.replace("{symbol}", "SPY").replace("{kind}", "skew")


@pytest.mark.parametrize("entry", UNSERVED, ids=[e.path for e in UNSERVED])
def test_every_unserved_path_says_so(pinned_server: ThreadServer, entry: object) -> None:
    path, methods, sdk, why = entry  # type: ignore[misc]
    for method in methods:
        response = httpx.request(method, f"{pinned_server.base_url}{_url(path)}")
        assert response.status_code == 404, (method, path)
        body = response.json()
        assert body["error"] == "not_served"
        assert f"does not serve {sdk}" in body["message"] and why in body["message"]


def test_the_table_names_sdk_methods() -> None:
    methods = set(dir(FlashAlpha))
    for entry in UNSERVED:
        if entry.sdk.endswith("*"):
            assert any(m.startswith(entry.sdk[:-1]) for m in methods), entry
        else:
            assert entry.sdk in methods, entry


def test_no_unserved_path_is_a_served_one(pinned_server: ThreadServer) -> None:
    served = set(pinned_server.app.openapi()["paths"])
    assert not served & {e.path for e in UNSERVED}


def test_unknown_paths_stay_not_found(client: httpx.Client) -> None:
    response = client.get("/v1/volatility/nothing/else/SPY")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
