"""The source registry and the package's public names."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

import data_adapters
from data_adapters import (
    DataSourceError,
    NoHistoryError,
    Settings,
    Source,
    SourceConfigError,
    SymbolNotFoundError,
    available_sources,
    errors,
    get_source,
)


@pytest.fixture(autouse=True)
def _no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEX_CONFIG", "/dev/null")
    for name in ("GEX_DEMO_SEED", "GEX_DEMO_UNIVERSE", "GEX_FILES_ROOT"):
        monkeypatch.delenv(name, raising=False)


def _isort_key(name: str) -> tuple[int, str]:
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_complete() -> None:
    names = data_adapters.__all__
    assert names == sorted(names, key=_isort_key)
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(data_adapters, name) is not None
    public = {
        name
        for name, value in vars(data_adapters).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name not in ("annotations", "TYPE_CHECKING")
        and getattr(value, "__module__", "data_adapters").startswith("data_adapters")
    }
    assert public == set(names)
    assert {"get_source", "available_sources", "Source", "Settings", "DataSourceError"} <= set(
        names
    )
    assert set(errors.__all__) | {"UnreachableError"} <= set(names)
    from data_adapters import UnreachableError

    assert issubclass(UnreachableError, DataSourceError)


def test_available_sources() -> None:
    assert available_sources() == [
        "cboe", "databento", "demo", "files", "polygon", "store", "thetadata"
    ]  # fmt: skip


def test_get_source_builds_with_overrides_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    demo = get_source(" Demo ", seed=7, universe=None)
    assert isinstance(demo, Source) and demo.name == "demo" and demo.seed == 7  # type: ignore[attr-defined]
    monkeypatch.setenv("GEX_DEMO_SEED", "9")
    assert get_source("demo").seed == 9  # type: ignore[attr-defined]
    assert get_source("demo", seed=3).seed == 3  # type: ignore[attr-defined]
    store = get_source("files", root=str(tmp_path))
    assert store.name == "files" and store.root == tmp_path  # type: ignore[attr-defined]


def test_unknown_names_are_typed_errors() -> None:
    with pytest.raises(
        SourceConfigError, match="cboe, databento, demo, files, polygon, store, thetadata"
    ):
        get_source("bloomberg")
    assert issubclass(SourceConfigError, DataSourceError)
    assert issubclass(SymbolNotFoundError, DataSourceError) and issubclass(
        NoHistoryError, DataSourceError
    )


def test_modules_are_imported_lazily_and_given_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Settings] = []
    fake = types.ModuleType("data_adapters.polygon")

    def create(settings: Settings) -> object:
        seen.append(settings)
        return "built"

    fake.create = create  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "data_adapters.polygon", fake)
    assert get_source("POLYGON", api_key="k", limit=None) == "built"
    assert seen[0].source == "polygon" and seen[0].get("api_key") == "k"
    assert seen[0].get("limit", 250) == 250
    code = "import sys, data_adapters; print(sorted(m for m in sys.modules if m.startswith('data_adapters.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(eval(out.stdout))
    assert not {"data_adapters.demo", "data_adapters.files", "data_adapters.http"} & loaded


@pytest.mark.parametrize("name", ["cboe", "databento", "polygon", "thetadata"])
def test_the_http_sources_are_registered(name: str) -> None:
    source = get_source(name, api_key="not-a-real-key")
    assert isinstance(source, Source) and source.name == name
