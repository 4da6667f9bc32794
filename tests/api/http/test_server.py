"""``serve`` and the ASGI factory: typed one-line errors before binding, the factory's
environment, and secrets kept out of the access log."""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path

import httpx
import pytest

from api.config import InsecureBindError, ServerConfigError
from api.http.app import RedactKeys, create_app
from api.http.server import bind_socket, serve
from data_adapters import SourceConfigError
from engine.errors import ConfigurationError
from tests.api.live import ServerProcess


@pytest.fixture
def no_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEX_CONFIG", "/dev/null")
    for name in ("GEX_API_KEYS", "GEX_RATE_LIMIT", "GEX_RATE_WINDOW", "GEX_SOURCE", "GEX_PRESET",
                 "GEX_CACHE_TTL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and "Traceback" not in text
    return text


@pytest.mark.usefixtures("no_keys")
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.10.10"])
def test_serve_refuses_a_public_address_without_keys(host: str) -> None:
    with pytest.raises(InsecureBindError) as caught:
        serve(host=host, port=0)
    assert host in one_line(caught.value) and "GEX_API_KEYS" in str(caught.value)


@pytest.mark.usefixtures("no_keys")
def test_serve_checks_its_settings_before_binding() -> None:
    with pytest.raises(ServerConfigError, match="log level"):
        serve(log_level="loud")
    with pytest.raises(SourceConfigError) as caught:
        serve(source="nonesuch")
    assert "nonesuch" in one_line(caught.value)
    with pytest.raises(ConfigurationError, match="unknown preset"):
        serve(preset="nonesuch")
    with pytest.raises(SourceConfigError, match="universe"):
        serve(source_settings={"universe": "galaxy"})


@pytest.mark.usefixtures("no_keys")
def test_serve_reports_an_address_in_use_as_a_typed_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(ServerConfigError, match=f"cannot listen on 127.0.0.1:{port}") as caught:
            serve(port=port)
    one_line(caught.value)


@pytest.mark.parametrize("port", [-1, 65536, "80", True])
def test_bind_socket_refuses_bad_ports(port: object) -> None:
    with pytest.raises(ServerConfigError, match="port"):
        bind_socket("127.0.0.1", port)  # type: ignore[arg-type]


def test_bind_socket_binds_ipv4_loopback() -> None:
    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


def test_factory_reads_source_preset_and_ttl_from_the_environment(
    no_keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEX_SOURCE", "demo")
    monkeypatch.setenv("GEX_PRESET", "perfiliev")
    monkeypatch.setenv("GEX_CACHE_TTL", "3")
    app = create_app()
    service = app.state.service
    assert (service.source_name, service.preset, service.ttl) == ("demo", "perfiliev", 3.0)
    assert app.state.authenticator.enabled is False


def test_uvicorn_factory_serves_loopback_without_keys(tmp_path: Path) -> None:
    env = {"GEX_CONFIG": "/dev/null", "GEX_API_KEYS": "", "GEX_SOURCE": "demo"}
    argv = [sys.executable, "-m", "uvicorn", "api.http.app:create_app", "--factory",
            "--port", "{port}", "--log-level", "warning"]  # fmt: skip
    with ServerProcess(env=env, argv=argv) as server, httpx.Client(timeout=60) as http:
        response = http.get(f"{server.base_url}/v1/exposure/summary/es%3Df")
    assert response.status_code == 200 and response.json()["symbol"] == "ES=F"
    assert "x-ratelimit-remaining" in response.headers


def test_api_keys_in_the_query_are_redacted_from_access_log_lines() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/v1/symbols?apiKey=s3cr3t&x=1", "1.1", 200), None,
    )  # fmt: skip
    assert RedactKeys().filter(record)
    line = record.getMessage()
    assert "s3cr3t" not in line and "apiKey=***&x=1" in line
