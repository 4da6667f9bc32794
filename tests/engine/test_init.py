"""The package's public names: sorted, complete, importable."""

from __future__ import annotations

import pytest

import engine


def test_all_is_sorted_and_unique() -> None:
    """Sorted as ruff's RUF022 sorts it: constants, then classes, then functions."""

    def key(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert engine.__all__ == sorted(set(engine.__all__), key=key)


@pytest.mark.parametrize("name", engine.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(engine, name) is not None


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError):
        engine.not_a_name  # noqa: B018
