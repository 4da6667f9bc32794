"""The memo of rendered views: identity of the inputs, TTL, bounded size, strict JSON."""

from __future__ import annotations

import pytest

from api.http.routes._respond import ViewCache, json_response


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rendered_once_per_inputs_until_they_change_or_expire() -> None:
    clock = Clock()
    cache = ViewCache(ttl=10.0, clock=clock)
    renders: list[int] = []
    first, second = object(), object()

    def render() -> dict[str, int]:
        renders.append(1)
        return {"n": len(renders)}

    assert cache.respond("k", (first,), render).body == b'{"n":1}'
    assert cache.respond("k", (first,), render).body == b'{"n":1}'
    assert cache.respond("k", (second,), render).body == b'{"n":2}'  # a new analysis
    clock.now = 10.0
    assert cache.respond("k", (second,), render).body == b'{"n":3}'  # expired
    assert len(renders) == 3


def test_bounded_and_swept() -> None:
    clock = Clock()
    cache = ViewCache(ttl=5.0, clock=clock, max_entries=3)
    for i in range(5):
        cache.respond(i, (), lambda: {})
    assert cache.cache.keys() == [2, 3, 4]
    clock.now = 6.0
    cache.respond("new", (), lambda: {})
    assert cache.cache.keys() == ["new"]
    assert ViewCache(ttl=0.0).respond("k", (), lambda: {}).status_code == 200


def test_json_is_compact_utf8_and_refuses_nan() -> None:
    response = json_response({"a": [1, None], "b": "é"}, status=404)
    assert response.status_code == 404 and response.body == '{"a":[1,null],"b":"é"}'.encode()
    with pytest.raises(ValueError):
        json_response({"x": float("nan")})
