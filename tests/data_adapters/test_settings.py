"""Source settings on the one model: precedence, secrets, formats, the config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_adapters import SourceConfigError, get_source
from data_adapters.settings import Settings, config_path, load_config
from data_adapters.settings_model import GexSettings, SourceSettings

SECRET = "s3cr3t-value"


def test_keywords_over_environment_over_file_over_default() -> None:
    config = {"sources": {"polygon": {"max_dte": 1, "auth": "query", "base_url": "file"}}}
    env = {"GEX_POLYGON_MAX_DTE": "2", "GEX_POLYGON_AUTH": "header"}
    settings = Settings("polygon", {"max_dte": 3, "auth": None}, env, config)
    assert settings.get("max_dte") == 3  # keyword, as given (not a string)
    assert settings.get("auth") == "header"  # None keywords are unset
    assert settings.get("base_url") == "file"
    assert settings.get("strike_band", 0.25) == 0.25
    assert settings.get("MAX_DTE") == 3  # keys are case-insensitive


def test_blank_environment_values_are_unset_and_other_sources_ignored() -> None:
    env = {"GEX_DEMO_SEED": "  ", "GEX_DEMOX_SEED": "9", "GEX_POLYGON_SEED": "8"}
    config = {"sources": {"demo": {"seed": 4}}}
    assert Settings("demo", {}, env, config).get("seed") == 4


def test_file_names_and_keys_are_case_insensitive() -> None:
    config = {"sources": {"Demo": {"Universe": "market"}}}
    assert Settings("demo", {}, {}, config).get("universe") == "market"


def test_a_required_setting_names_where_to_set_it() -> None:
    with pytest.raises(SourceConfigError, match=r"GEX_POLYGON_API_KEY or \[sources\.polygon\]"):
        Settings("polygon", {}, {}, {}).get("api_key")


def test_secrets_are_plain_for_the_source_and_masked_everywhere_else() -> None:
    env = {"GEX_POLYGON_API_KEY": SECRET}
    settings = Settings("polygon", {}, env, {})
    assert settings.get("api_key") == SECRET
    whole = GexSettings.resolve(environ=env, config={"sources": {"cboe": {"token": SECRET}}})
    assert whole.source("cboe").get("token") == SECRET
    assert SECRET not in repr(whole) and SECRET not in repr(settings)
    assert SECRET not in whole.model_dump_json()
    section = SourceSettings({"password": 1234, "timeout": 5})
    assert section.get("password") == "1234" and "1234" not in repr(section)


def test_a_bad_table_is_a_typed_error_without_its_values() -> None:
    for overrides in ({}, {"auth": "query"}):  # keywords do not hide a broken table
        with pytest.raises(SourceConfigError, match=r"\[sources\.polygon\] .*must be a table") as t:
            Settings("polygon", overrides, {}, {"sources": {"polygon": SECRET}})
        assert SECRET not in str(t.value)
    bad = {"sources": {"polygon": {"api_key": [SECRET]}}}
    with pytest.raises(SourceConfigError, match="'api_key' must be a string") as caught:
        Settings("polygon", {}, {}, bad)
    assert SECRET not in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(SourceConfigError, match=r"\[sources\] in the config file"):
        Settings("polygon", {}, {}, {"sources": 5})


def test_one_source_is_not_refused_for_the_servers_or_anothers_bad_values() -> None:
    config = {"server": {"rate_limit": "many"}, "sources": {"cboe": 5, "demo": {"seed": 2}}}
    env = {"GEX_RATE_LIMIT": "-1"}
    assert Settings("demo", {}, env, config).get("seed") == 2


@pytest.mark.parametrize(
    ("method", "raw", "kwargs", "expected"),
    [
        ("number", "2.5", {}, 2.5),
        ("number", 4, {"minimum": 0, "maximum": 5}, 4),
        ("number", "3", {"whole": True}, 3),
        ("byte_size", "2MiB", {}, 2 * 1024**2),
        ("byte_size", 1024, {"minimum": 1024}, 1024),
        ("flag", "off", {}, False),
        ("items", "SPX, spy,,SPX", {}, ("SPX", "spy")),
        ("items", ["a", "b"], {}, ("a", "b")),
        ("path", " ~/gex ", {}, str(Path.home() / "gex")),
        ("path", " ", {}, None),
    ],
)
def test_typed_lookups(method: str, raw: object, kwargs: dict, expected: object) -> None:
    settings = Settings("demo", {"x": raw}, {}, {})
    assert getattr(settings, method)("x", **kwargs) == expected


def test_typed_lookups_give_the_default_as_is_when_unset() -> None:
    settings = Settings("demo", {}, {}, {})
    assert settings.number("x", None) is None and settings.byte_size("x", 7) == 7
    with pytest.raises(SourceConfigError, match="'x' is required"):
        settings.flag("x")


@pytest.mark.parametrize(
    ("method", "raw", "kwargs", "text"),
    [
        ("number", "abc", {}, "setting 'x' must be a number, got 'abc'"),
        ("number", "nan", {}, "setting 'x' must be a finite number"),
        ("number", True, {}, "setting 'x' must be a number"),
        ("number", 9, {"minimum": 0, "maximum": 5}, "setting 'x' must be >= 0 and <= 5, got 9"),
        ("number", "2.5", {"whole": True}, "setting 'x' must be a whole number, got '2.5'"),
        ("byte_size", "5 parsecs", {}, "setting 'x' must be a number of bytes"),
        ("byte_size", 10, {"minimum": 1024}, "setting 'x' must be >= 1024, got 10"),
        ("flag", "maybe", {}, "setting 'x' must be true or false"),
        ("items", 5, {}, "setting 'x' must be a comma-separated string or a list of strings"),
        ("path", 5, {}, "setting 'x' must be a folder path"),
    ],
)
def test_typed_lookups_refuse_in_one_line(
    method: str, raw: object, kwargs: dict, text: str
) -> None:
    with pytest.raises(SourceConfigError, match=r"^demo: ") as caught:
        getattr(Settings("demo", {"x": raw}, {}, {}), method)("x", **kwargs)
    assert text in str(caught.value) and "\n" not in str(caught.value)


def test_typed_lookups_never_show_a_secret() -> None:
    settings = Settings("polygon", {"api_key": SECRET}, {}, {})
    for method in ("number", "byte_size", "flag"):
        with pytest.raises(SourceConfigError) as caught:
            getattr(settings, method)("api_key")
        assert SECRET not in str(caught.value)


def test_config_path_and_load_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_path({}) == tmp_path / ".config" / "gex" / "config.toml"
    assert config_path({"GEX_CONFIG": " "}) == config_path({})
    assert config_path({"GEX_CONFIG": "~/g.toml"}) == tmp_path / "g.toml"
    assert load_config(environ={"GEX_CONFIG": "/dev/null"}) == {}
    assert load_config(environ={}) == {}  # the default file may be absent
    with pytest.raises(SourceConfigError, match="does not exist"):
        load_config(tmp_path / "absent.toml")
    path = tmp_path / "c.toml"
    path.write_text("[sources.demo]\nseed = 5\n")
    assert load_config(environ={"GEX_CONFIG": str(path)}) == {"sources": {"demo": {"seed": 5}}}
    assert Settings("demo", {}, {"GEX_CONFIG": str(path)}).get("seed") == 5


def test_get_source_reads_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[sources.demo]\nseed = 5\nuniverse = "standard"\n')
    monkeypatch.setenv("GEX_CONFIG", str(path))
    monkeypatch.setenv("GEX_DEMO_SEED", "6")
    assert get_source("demo").seed == 6  # type: ignore[attr-defined]
    assert get_source("demo", seed=7).seed == 7  # type: ignore[attr-defined]
    monkeypatch.setenv("GEX_CONFIG", str(tmp_path / "typo.toml"))
    with pytest.raises(SourceConfigError, match="does not exist"):
        get_source("demo")


def test_the_documented_example_config_is_valid_for_every_source() -> None:
    import importlib
    import re
    import tomllib

    from data_adapters import REGISTRY

    doc = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    example = re.search(r"## Example `config.toml`\s+```toml\n(.*?)```", doc, re.S)
    assert example is not None
    config = tomllib.loads(example.group(1))
    whole = GexSettings.resolve(environ={}, config=config)
    assert whole.server.api_keys == ("change-me-1", "change-me-2")
    assert whole.server.max_header_bytes == 16 * 1024 and whole.server.store is not None
    assert set(config["sources"]) == set(REGISTRY)
    for name, module in REGISTRY.items():
        source = importlib.import_module(module).create(Settings(name, {}, {}, config))
        assert source is not None
