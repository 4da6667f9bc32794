"""Databento settings: keys, gateway, datasets and schemas, windows, HTTP limits."""

from __future__ import annotations

import pytest

from data_adapters import Source, TradesSource, get_source
from data_adapters.databento import DatabentoSource, create
from data_adapters.errors import SourceConfigError
from data_adapters.settings import Settings
from tests.data_adapters.databento.conftest import KEY


def make(overrides: dict | None = None, env: dict | None = None, config: dict | None = None):
    return create(Settings("databento", overrides or {}, env or {}, config or {}))


def test_defaults() -> None:
    source = make({"api_key": KEY})
    assert isinstance(source, DatabentoSource) and isinstance(source, TradesSource)
    assert source.gateway == "https://hist.databento.com"
    d = source.datasets
    assert (d.opra, d.futures, d.equities) == ("OPRA.PILLAR", "GLBX.MDP3", None)
    assert (d.opra_quotes, d.futures_quotes, d.futures_trades) == ("cbbo-1m", "bbo-1m", "tbbo")
    assert source.quote_window.total_seconds() == 900 and source.oi_lookback.days == 4
    assert (source.http.timeout, source.http.deadline) == (60.0, 300.0)
    assert source.http.max_body_bytes == 512 * 2**20
    assert source.symbols()[-2:] == ["ES=F", "NQ=F"]
    assert KEY not in repr(source) and KEY not in repr(source._client)


def test_environment_and_config_file() -> None:
    env = {"GEX_DATABENTO_KEY": KEY, "GEX_DATABENTO_EQUITIES_DATASET": "equs.mini",
           "GEX_DATABENTO_QUOTE_WINDOW": "5", "GEX_DATABENTO_DEADLINE": "90"}  # fmt: skip
    config = {"sources": {"databento": {"gateway": "http://127.0.0.1:9/", "symbols": "SPY,ES=F",
                                        "opra_quotes_schema": "CMBP-1", "timeout": 20}}}  # fmt: skip
    source = make({"oi_lookback_days": 2}, env, config)
    assert source.gateway == "http://127.0.0.1:9"
    assert source.datasets.equities == "EQUS.MINI" and source.datasets.opra_quotes == "cmbp-1"
    assert source.quote_window.total_seconds() == 300 and source.oi_lookback.days == 2
    assert (source.http.timeout, source.http.deadline) == (20.0, 90.0)
    assert source.symbols() == ["SPY", "ES=F"]
    assert make({"api_key": KEY}, {"GEX_DATABENTO_API_KEY": "db-other"})._client._key == KEY


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({}, "API key is required"),
        ({"api_key": "  "}, "API key is required"),
        ({"api_key": "db-é"}, "non-ASCII"),
        ({"api_key": KEY, "gateway": "http://hist.databento.com"}, "https"),
        ({"api_key": KEY, "gateway": "ftp://hist.databento.com"}, "https:// URL"),
        ({"api_key": KEY, "gateway": "https://user:pw@hist.databento.com"}, "credentials"),
        ({"api_key": KEY, "gateway": "https://hist.databento.com/?key=1"}, "query"),
        ({"api_key": KEY, "gateway": "https://hist.databento.com:99999"}, "port"),
        ({"api_key": KEY, "opra_dataset": "opra pillar"}, "dataset code"),
        ({"api_key": KEY, "futures_dataset": "none"}, "cannot be empty"),
        ({"api_key": KEY, "opra_quotes_schema": "bbo-1m"}, "cbbo-1m, cbbo-1s, cmbp-1"),
        ({"api_key": KEY, "futures_trades_schema": "trades"}, "tbbo, mbp-1"),
        ({"api_key": KEY, "quote_window": "0"}, "quote_window"),
        ({"api_key": KEY, "quote_window": "a while"}, "quote_window"),
        ({"api_key": KEY, "oi_lookback_days": "1.5"}, "oi_lookback_days"),
        ({"api_key": KEY, "oi_lookback_days": "-1"}, "oi_lookback_days"),
        ({"api_key": KEY, "rate": "4"}, "rate"),
        ({"api_key": KEY, "max_body_bytes": "0"}, "max_body_bytes"),
    ],
)
def test_invalid_settings(overrides: dict, text: str) -> None:
    with pytest.raises(SourceConfigError, match=text) as info:
        make(overrides)
    assert KEY not in str(info.value)


def test_registered(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("GEX_CONFIG", "/dev/null")
    monkeypatch.setenv("GEX_DATABENTO_API_KEY", KEY)
    source = get_source("Databento")
    assert isinstance(source, Source) and source.name == "databento"
