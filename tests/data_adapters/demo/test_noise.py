"""Counter-based randomness: pure functions of their keys."""

from __future__ import annotations

import numpy as np

from data_adapters.demo.noise import hashes, key, normals, uniforms


def test_keys_are_stable_across_processes_and_versions() -> None:
    # Fixed values: a change here changes every demo number (and breaks determinism).
    assert key("demo", 1) == key("demo", 1) != key("demo", 2)
    assert key("demo", 1) != key("demo", "1")
    assert key("a", 1) == 0x53024C7A2FC3E0E8
    assert uniforms(key("a", 1), np.array([0, 1]), 5).tolist() == [
        0.7306392431379873,
        0.0315986572405928,
    ]
    assert hashes(0, np.array([1, 2])).dtype == np.uint64


def test_uniforms_are_in_the_open_interval_and_broadcast() -> None:
    u = uniforms(key("t"), np.arange(1000)[:, None], np.arange(3)[None, :])
    assert u.shape == (1000, 3)
    assert ((u > 0) & (u < 1)).all()
    assert abs(u.mean() - 0.5) < 0.02
    assert len(np.unique(u)) == u.size


def test_a_value_depends_only_on_its_ids() -> None:
    whole = uniforms(key("t"), np.arange(100), 7)
    part = uniforms(key("t"), np.array([42, 3]), 7)
    assert part.tolist() == [whole[42], whole[3]]
    assert not np.array_equal(whole, uniforms(key("t"), np.arange(100), 8))


def test_normals_look_standard() -> None:
    z = normals(key("n"), np.arange(200_000))
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert np.isfinite(z).all()
