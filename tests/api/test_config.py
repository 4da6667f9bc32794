"""Server settings: precedence, parsing, secrecy, and the loopback rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.config import (
    DEFAULT_RATE_LIMIT,
    InsecureBindError,
    ServerConfigError,
    ServerSettings,
    check_bind,
    is_loopback,
)
from data_adapters import SourceConfigError


def test_defaults_without_environment_or_file() -> None:
    settings = ServerSettings.load(environ={}, config={})
    assert settings.api_keys == ()
    assert settings.rate_limit == DEFAULT_RATE_LIMIT and settings.rate_window == 60.0
    assert (settings.source, settings.preset, settings.cache_ttl) == ("demo", "native", 15.0)


def test_environment_over_file_and_arguments_over_both() -> None:
    config = {"server": {"api_keys": ["file-key"], "rate_limit": 5, "source": "files"}}
    env = {
        "GEX_API_KEYS": " env-a , env-b,,env-a ",
        "GEX_RATE_WINDOW": "30",
        "GEX_CACHE_TTL": "2.5",
    }
    settings = ServerSettings.load(environ=env, config=config, source="demo", cache_ttl=None)
    assert settings.api_keys == ("env-a", "env-b")
    assert settings.rate_limit == 5 and settings.rate_window == 30.0
    assert settings.source == "demo" and settings.cache_ttl == 2.5
    from_file = ServerSettings.load(environ={}, config=config)
    assert from_file.api_keys == ("file-key",) and from_file.source == "files"
    listed = ServerSettings.load(environ={}, config={"server": {"api_keys": "x,y"}})
    assert listed.api_keys == ("x", "y")


def test_the_store_from_arguments_environment_or_file() -> None:
    assert ServerSettings.load(environ={}, config={}).store is None
    assert ServerSettings.load(environ={"GEX_STORE": " /data/gex "}, config={}).store == "/data/gex"
    from_file = ServerSettings.load(environ={}, config={"server": {"store": "~/gex"}})
    assert from_file.store is not None and not from_file.store.startswith("~")
    given = ServerSettings.load(environ={"GEX_STORE": "/env"}, config={}, store="/arg")
    assert given.store == "/arg" and "store='/arg'" in repr(given)
    with pytest.raises(ServerConfigError, match="store"):
        ServerSettings.load(environ={}, config={"server": {"store": 5}})


def test_keys_from_the_config_file_named_by_gex_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[server]\napi_keys = ["from-file"]\nrate_limit = 7\n')
    monkeypatch.setenv("GEX_CONFIG", str(path))
    monkeypatch.delenv("GEX_API_KEYS", raising=False)
    monkeypatch.delenv("GEX_RATE_LIMIT", raising=False)
    settings = ServerSettings.load()
    assert settings.api_keys == ("from-file",) and settings.rate_limit == 7
    path.write_text("[server\n")
    with pytest.raises(SourceConfigError):
        ServerSettings.load()


def test_keys_never_show_in_the_repr() -> None:
    settings = ServerSettings(api_keys=("s3cr3t-value",))
    assert "s3cr3t" not in repr(settings) and "1 configured" in repr(settings)


@pytest.mark.parametrize(
    "table",
    [
        {"rate_limit": "many"},
        {"rate_limit": -1},
        {"rate_limit": True},
        {"rate_window": 0},
        {"cache_ttl": -1},
        {"api_keys": 5},
        {"api_keys": ["ok", 3]},
        {"cache_max_bytes": "lots"},
        {"cache_max_bytes": "5 parsecs"},
        {"cache_max_bytes": -1},
        {"compute_workers": 0},
        {"compute_workers": "2.5"},
        {"request_timeout": -1},
        {"max_header_bytes": 100},
        {"docs_public": "maybe"},
        {"auth_failure_limit": -1},
        {"auth_failure_window": 0},
    ],
)
def test_bad_values_are_typed_errors_naming_the_setting(table: dict) -> None:
    with pytest.raises(ServerConfigError) as caught:
        ServerSettings.load(environ={}, config={"server": table})
    assert next(iter(table)) in str(caught.value)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"]
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)
    check_bind(host, ServerSettings())


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.2", "example.com", ""])
def test_other_hosts_need_a_key(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(InsecureBindError, match="no API key is configured"):
        check_bind(host, ServerSettings())
    check_bind(host, ServerSettings(api_keys=("k",)))


def test_the_hardening_settings_from_the_environment() -> None:
    env = {
        "GEX_CACHE_MAX_BYTES": "256MiB",
        "GEX_COMPUTE_WORKERS": "3",
        "GEX_REQUEST_TIMEOUT": "2.5",
        "GEX_MAX_HEADER_BYTES": "32k",
        "GEX_DOCS_PUBLIC": "false",
        "GEX_AUTH_FAILURE_LIMIT": "5",
        "GEX_AUTH_FAILURE_WINDOW": "120",
    }
    settings = ServerSettings.load(environ=env, config={})
    assert settings.cache_max_bytes == 256 * 1024**2
    assert (settings.compute_workers, settings.request_timeout) == (3, 2.5)
    assert settings.max_header_bytes == 32 * 1024 and settings.docs_public is False
    assert (settings.auth_failure_limit, settings.auth_failure_window) == (5, 120.0)
    defaults = ServerSettings.load(environ={}, config={})
    assert defaults.cache_max_bytes == 512 * 1024**2 and defaults.compute_workers == 8
    assert defaults.request_timeout == 30.0 and defaults.max_header_bytes == 16384
    assert defaults.docs_public is True
    assert (defaults.auth_failure_limit, defaults.auth_failure_window) == (20, 60.0)
    from_file = ServerSettings.load(environ={}, config={"server": {"cache_max_bytes": 1000}})
    assert from_file.cache_max_bytes == 1000
