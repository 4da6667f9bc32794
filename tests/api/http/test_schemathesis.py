"""Schemathesis over the whole OpenAPI document, against the real server process.

Every operation is called with generated path and query values (schema examples first,
then coverage and fuzzing phases) and every response is checked: no server error
(``not_a_server_error``), a declared status code, the declared content type and headers,
and a body that matches the declared schema. The CI budget is small
(``GEX_SCHEMATHESIS_EXAMPLES``, default 30 examples per operation). A long run::

    GEX_SCHEMATHESIS_EXAMPLES=1000 .venv/bin/python -m pytest tests/api/test_schemathesis.py

or, against a server you started yourself (``GEX_API_KEYS=k gex serve``)::

    .venv/bin/schemathesis run http://127.0.0.1:8000/openapi.json -H "X-Api-Key: k" \\
        --max-examples 1000 --checks all
"""

from __future__ import annotations

import os

import httpx
import schemathesis
from hypothesis import HealthCheck, settings

from api.config import ServerSettings
from api.http.app import create_app
from tests.api.conftest import KEY
from tests.api.live import ServerProcess

EXAMPLES = int(os.environ.get("GEX_SCHEMATHESIS_EXAMPLES", "30"))

# The schema the server serves is the one create_app builds (checked below).
schema = schemathesis.openapi.from_dict(
    create_app(settings=ServerSettings(api_keys=(KEY,)), warm=False).openapi()
)


def test_the_server_serves_this_schema(live_server: ServerProcess) -> None:
    with httpx.Client(base_url=live_server.base_url, timeout=30) as http:
        served = http.get("/openapi.json").json()
    assert served == schema.raw_schema


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, live_server: ServerProcess) -> None:
    case.call_and_validate(base_url=live_server.base_url, headers={"X-Api-Key": KEY}, timeout=60)
