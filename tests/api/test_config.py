"""Server settings: precedence, parsing, secrecy, and the loopback rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from api.config import (
    DEFAULT_RATE_LIMIT,
    GexSettings,
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


# -- the model behind ServerSettings (data_adapters.settings_model) ------------------------


def test_a_missing_or_broken_gex_config_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEX_CONFIG", str(tmp_path / "typo.toml"))
    with pytest.raises(SourceConfigError, match=r"typo\.toml .*does not exist") as caught:
        ServerSettings.load()
    assert "\n" not in str(caught.value) and "/dev/null" in str(caught.value)
    monkeypatch.setenv("GEX_CONFIG", str(tmp_path))
    with pytest.raises(SourceConfigError, match="is a folder"):
        ServerSettings.load()
    (tmp_path / "bad.toml").write_text("[server]\nrate_limit = \n")
    monkeypatch.setenv("GEX_CONFIG", str(tmp_path / "bad.toml"))
    with pytest.raises(SourceConfigError, match=r"cannot read config file .*bad\.toml") as bad:
        ServerSettings.load()
    assert "\n" not in str(bad.value)
    monkeypatch.setenv("GEX_CONFIG", "/dev/null")  # the documented "no config file"
    monkeypatch.delenv("GEX_RATE_LIMIT", raising=False)
    assert ServerSettings.load().rate_limit == DEFAULT_RATE_LIMIT


def test_gex_config_is_read_from_the_given_environment(tmp_path: Path) -> None:
    path = tmp_path / "gex.toml"
    path.write_text('[server]\nsource = "files"\n')
    assert ServerSettings.load(environ={"GEX_CONFIG": str(path)}).source == "files"


def test_keys_never_show_in_errors() -> None:
    for table in ({"api_keys": ["s3cr3t-value", 3]}, {"api_keys": {"k": "s3cr3t-value"}}):
        with pytest.raises(ServerConfigError) as caught:
            ServerSettings.load(environ={}, config={"server": table})
        assert "s3cr3t" not in str(caught.value) and "s3cr3t" not in repr(caught.value)
        assert caught.value.__cause__ is None and caught.value.__suppress_context__
        assert "s3cr3t" not in str(caught.value.__context__)
    with pytest.raises(ServerConfigError) as direct:
        ServerSettings(api_keys=[{"s3cr3t-value": 1}])
    assert "s3cr3t" not in str(direct.value)


def test_the_keys_are_secret_in_the_model_and_plain_for_the_authenticator() -> None:
    settings = ServerSettings.load(environ={"GEX_API_KEYS": "s3cr3t-a,s3cr3t-b"}, config={})
    assert settings.api_keys == ("s3cr3t-a", "s3cr3t-b")
    assert all(isinstance(key, SecretStr) for key in settings.secret_keys)
    whole = GexSettings.resolve(environ={"GEX_API_KEYS": "s3cr3t-a"}, config={})
    for text in (repr(settings), str(settings), repr(whole), settings.model_dump_json()):
        assert "s3cr3t" not in text
    assert "2 configured" in repr(settings)


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(ServerConfigError, match="rate_limit"):
        ServerSettings(rate_limit=-1)
    with pytest.raises(ServerConfigError, match="is not a setting"):
        ServerSettings(rate_limt=5)  # type: ignore[call-arg]
    settings = ServerSettings(api_keys=("k",), cache_max_bytes="1GiB", docs_public="off")
    assert settings.cache_max_bytes == 1024**3 and settings.docs_public is False
    assert settings == ServerSettings(api_keys=["k"], cache_max_bytes=1024**3, docs_public=False)
    with pytest.raises(ValidationError):  # frozen, like the dataclass it replaces
        settings.rate_limit = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("512MiB", 512 * 1024**2),
        ("2 GiB", 2 * 1024**3),
        ("900MB", 900 * 10**6),
        ("1.5KiB", 1536),
        ("32k", 32 * 1024),
        (" 4096 ", 4096),
        (4096, 4096),
        (4096.9, 4096),
    ],
)
def test_byte_sizes(raw: object, expected: int) -> None:
    table = {"server": {"cache_max_bytes": raw}}
    assert ServerSettings.load(environ={}, config=table).cache_max_bytes == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("Yes", True), (" on ", True), ("1", True), (1, True), (True, True),
     ("FALSE", False), ("no", False), ("off", False), ("0", False), (0, False)],
)  # fmt: skip
def test_flag_words(raw: object, expected: bool) -> None:
    assert (
        ServerSettings.load(environ={}, config={"server": {"docs_public": raw}}).docs_public
        is expected
    )


@pytest.mark.parametrize(
    ("table", "text"),
    [
        ({"rate_limit": "many"}, "rate_limit (GEX_RATE_LIMIT or [server] rate_limit) must be a whole number, got 'many'"),
        ({"rate_window": 0}, "rate_window (GEX_RATE_WINDOW or [server] rate_window) must be >= 0.001, got 0"),
        ({"compute_workers": 2.5}, "compute_workers (GEX_COMPUTE_WORKERS or [server] compute_workers) must be a whole number, got 2.5"),
        ({"cache_max_bytes": "inf"}, "must be a number of bytes"),
        ({"max_header_bytes": "1KB"}, "max_header_bytes (GEX_MAX_HEADER_BYTES or [server] max_header_bytes) must be >= 1024, got '1KB'"),
        ({"source": 5}, "source (GEX_SOURCE or [server] source) must be a string, got 5"),
        ({"rate_limt": 5}, "[server] rate_limt is not a setting"),
    ],
)  # fmt: skip
def test_error_messages_are_one_line_and_name_the_setting(table: dict, text: str) -> None:
    with pytest.raises(ServerConfigError) as caught:
        ServerSettings.load(environ={}, config={"server": table})
    assert text in str(caught.value) and "\n" not in str(caught.value)


def test_the_file_structure_is_checked() -> None:
    with pytest.raises(ServerConfigError, match=r"\[server\] in the config file must be a table"):
        ServerSettings.load(environ={}, config={"server": 5})
    with pytest.raises(SourceConfigError, match=r"unknown table\(s\) sever"):
        ServerSettings.load(environ={}, config={"sever": {"rate_limit": 5}})


def test_blank_environment_values_and_none_arguments_are_unset() -> None:
    env = {"GEX_SOURCE": "   ", "GEX_RATE_LIMIT": "", "GEX_PRESET": "perfiliev"}
    config = {"server": {"source": "files", "rate_limit": 9, "preset": " "}}
    settings = ServerSettings.load(environ=env, config=config, rate_limit=None)
    assert (settings.source, settings.rate_limit, settings.preset) == ("files", 9, "perfiliev")
    assert ServerSettings.load(environ={}, config={"server": {"preset": " "}}).preset == "native"


def test_one_model_holds_the_server_and_the_sources() -> None:
    env = {"GEX_RATE_LIMIT": "7", "GEX_POLYGON_API_KEY": "s3cr3t", "GEX_STORE_ROOT": "/x"}
    config = {"server": {"rate_limit": 1}, "sources": {"Demo": {"Seed": 3}}}
    whole = GexSettings.resolve(environ=env, config=config, server={"preset": "perfiliev"})
    assert (whole.server.rate_limit, whole.server.preset) == (7, "perfiliev")
    assert whole.source("demo").get("seed") == 3 and whole.source("store").get("root") == "/x"
    assert whole.source("polygon").get("api_key") == "s3cr3t" and "s3cr3t" not in repr(whole)
    assert whole.server.store is None  # GEX_STORE_ROOT is the store source's, not GEX_STORE
