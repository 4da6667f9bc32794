"""Helpers of the MCP tests: the official client (``mcp.client.Client``) over streamable HTTP
and over stdio, the routes of the app, and the tools whose routes other work adds.

``mcp_http(base_url, key)`` is a connected client on ``base_url + "/mcp"`` sending ``key`` in
``X-Api-Key`` (None: no key); ``mcp_stdio(*args, env=...)`` runs ``.venv/bin/gex mcp ARGS``
(the ``gex`` next to the running interpreter) as the client's subprocess. Each test drives
its client inside one ``anyio.run`` (:func:`run`).

Every tool's route must exist in ``app.routes``: a tool whose route is absent fails (a
404 for an unknown path would otherwise pass for an error answer).
"""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx2
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from api.config import ServerSettings
from api.http.app import create_app
from api.mcp.tools import ToolSpec
from tests.api.conftest import KEY
from tests.api.live import REPO

T = TypeVar("T")

GEX = str(Path(sys.executable).with_name("gex"))
FRIDAY = "2026-11-20T15:00:00Z"  # the demo clock of the stdio tests (10:00 New York)


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(scenario)


@asynccontextmanager
async def mcp_http(base_url: str, key: str | None = KEY) -> AsyncIterator[Client]:
    headers = {} if key is None else {"X-Api-Key": key}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=120.0) as http,
        Client(streamable_http_client(f"{base_url}/mcp", http_client=http)) as client,
    ):
        yield client


@asynccontextmanager
async def mcp_stdio(*args: str, env: dict[str, str] | None = None) -> AsyncIterator[Client]:
    """``gex mcp ARGS`` as a subprocess (environment: the SDK's default one plus ``env``, so
    nothing of the developer's ``GEX_*`` leaks in)."""
    params = StdioServerParameters(command=GEX, args=["mcp", *args], env=env, cwd=REPO)
    async with Client(params, read_timeout_seconds=120.0) as client:
        yield client


def _template(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


@cache
def app_paths() -> dict[str, Any]:
    """Route path template (parameters as ``{}``) -> the OpenAPI path item of that route
    (None for a route outside the document), from an app built here."""
    app = create_app(settings=ServerSettings(api_keys=(KEY,)), warm=False)
    documented = {_template(p): item for p, item in app.openapi()["paths"].items()}
    paths = {_template(route.path): None for route in app.routes if hasattr(route, "path")}
    return {**paths, **documented}


def require_route(spec: ToolSpec) -> None:
    """Fail unless ``spec``'s route exists in the app."""
    assert _template(spec.path) in app_paths(), f"tool {spec.name}: no route {spec.path}"


def query_parameters(spec: ToolSpec) -> set[str]:
    """The query parameters the OpenAPI document gives ``spec``'s endpoint."""
    item = app_paths()[_template(spec.path)]
    assert item is not None, f"{spec.path} is not an operation of the OpenAPI document"
    return {p["name"] for p in item["get"].get("parameters", []) if p["in"] == "query"}


def flat(error: BaseException) -> list[BaseException]:
    """``error`` and, for an exception group, every exception inside it."""
    if isinstance(error, BaseExceptionGroup):
        return [e for inner in error.exceptions for e in flat(inner)]
    return [error]
