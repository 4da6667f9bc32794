"""Full ``engine.analyze`` on an SPX-size chain against the open-source scripts' NumPy method.

Subject: ``analyze(snapshot)`` on the demo market's SPX chain (~22–25k contracts): validation,
exact T, implied forwards, IV (vendor / solved / smile), greeks, exposures, per-strike
tables, the 201-point profile with widening and refinement to 1e-6 of spot, levels, max
pain, hedging and 0DTE — the batched stages of ``analyze_market`` run on one underlying.

Baselines, each handed the IVs, T and carries the engine produced, so they do strictly less
work than the subject:

- "numpy script, 60 levels" — the widely copied pandas/NumPy GEX script's method:
  ``scipy.stats.norm`` greeks and exposures, ``np.unique`` + ``np.bincount`` per-strike sums
  and argmax walls, a Python loop over 60 levels (0.8–1.2 · spot) with the gamma of every
  contract vectorized per level, the first sign change interpolated linearly.
- "numpy script, 201 levels + bisection" — the same method on the engine's grid (201
  levels, widened to ±35 % and ±50 % while no sign change) with every sign change refined
  by bisection to 1e-6 of spot (each step another vectorized pass over the chain).
- "own profile kernel" — the engine's profile kernel alone on the same chain and 201-level
  grid (:func:`engine.analysis.profile.evaluate_profile`): the part of ``analyze`` no
  pipeline work can remove; its "speedup" is kernel time over ``analyze`` time.

The notes give ``analyze``'s time over the kernel's and over each baseline's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from scipy.stats import norm

from benchmarks.harness import Row, best_time
from data_adapters import get_source
from engine._jit import set_threads
from engine.analysis.profile import evaluate_profile, profile_terms
from engine.analysis.single import analyze

__all__ = ["notes", "numpy_script_analysis", "run"]

AS_OF = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
_notes: list[str] = []


def notes() -> list[str]:
    return list(_notes)


def numpy_script_analysis(
    S: float,
    U,
    K,
    T,
    iv,
    r,
    b,
    calls,
    oi,
    m,  # type: ignore[no-untyped-def]
    *,
    points: int = 201,
    widths: Sequence[float] = (0.20, 0.35, 0.50),
    bisect: bool = True,
) -> dict[str, object]:
    """Baseline: greeks, exposures, per-strike table, the profile on ``points`` levels over
    ±``widths[0]`` (widened while no sign change), the flip (bisection to 1e-6 of spot, or
    the first sign change interpolated linearly), levels."""
    sign = np.where(calls, 1.0, -1.0)
    vst = iv * np.sqrt(T)
    d1 = (np.log(U / K) + (b + 0.5 * iv * iv) * T) / vst
    d2 = d1 - vst
    carry_df = np.exp((b - r) * T)
    pdf = norm.pdf(d1)
    cdf = norm.cdf(sign * d1)
    gamma = carry_df * pdf / (U * vst)
    delta = sign * carry_df * cdf
    vanna = -carry_df * pdf * d2 / iv
    charm = -carry_df * (pdf * (b / vst - d2 / (2 * T)) + sign * (b - r) * cdf)
    gex = sign * gamma * oi * m * U * U * 0.01
    dex = sign * delta * oi * m * U  # every exposure is the dealer's (street: +calls, −puts)
    vex = sign * vanna * oi * m * U * 0.01
    chex = sign * charm * oi * m * U / 365.0
    strikes, inverse = np.unique(K, return_inverse=True)
    per_strike = {
        name: np.bincount(inverse, values, strikes.size)
        for name, values in (("gex", gex), ("dex", dex), ("vex", vex), ("chex", chex))
    }
    call_gex = np.bincount(inverse, np.where(calls, gex, 0.0), strikes.size)
    put_gex = np.bincount(inverse, np.where(calls, 0.0, gex), strikes.size)

    def profile(level: float) -> float:
        u = U * (level / S)
        d = (np.log(u / K) + (b + 0.5 * iv * iv) * T) / vst
        g = carry_df * norm.pdf(d) / (u * vst)
        return float(np.sum(sign * g * oi * m * u * u * 0.01))

    crossings: list[float] = []
    for width in widths:
        levels = np.linspace(S * (1 - width), S * (1 + width), points)
        values = np.array([profile(x) for x in levels])
        idx = np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)
        if not bisect:
            for i in idx[:1]:  # the script: the first sign change, linearly
                lo, hi = levels[i], levels[i + 1]
                crossings.append(lo - values[i] * (hi - lo) / (values[i + 1] - values[i]))
        for i in idx if bisect else ():
            lo, hi, flo = levels[i], levels[i + 1], values[i]
            while hi - lo > 1e-6 * S:
                mid = 0.5 * (lo + hi)
                fm = profile(mid)
                if np.sign(fm) == np.sign(flo):
                    lo, flo = mid, fm
                else:
                    hi = mid
            crossings.append(0.5 * (lo + hi))
        if crossings:
            break
    flip = min(crossings, key=lambda x: abs(x - S)) if crossings else None
    return {
        "totals": {k: float(v.sum()) for k, v in per_strike.items()},
        "call_wall": strikes[np.argmax(call_gex)],
        "put_wall": strikes[np.argmin(put_gex)],
        "flip": flip,
    }


def run(quick: bool = False) -> list[Row]:
    _notes.clear()
    snap = get_source("demo").snapshot("SPX", AS_OF)
    analysis = analyze(snap)  # compile / load kernels before timing
    c = analysis.priced.contracts
    args = (
        snap.spot,
        c["underlying_price"].to_numpy(),
        c["strike"].to_numpy(),
        c["t"].to_numpy(),
        c["iv"].to_numpy(),
        c["rate"].to_numpy(),
        c["carry"].to_numpy(),
        c["is_call"].to_numpy(),
        c["open_interest"].to_numpy().astype(np.float64),
        c["multiplier"].to_numpy(),
    )
    check = numpy_script_analysis(*args)
    assert abs(check["totals"]["gex"] / analysis.net_gex - 1) < 1e-9  # same work, same answer
    assert abs(check["flip"] - analysis.gamma_flip) < 1e-5 * snap.spot  # type: ignore[operator]
    terms = profile_terms(snap.spot, *args[1:7], c["gex_weight"].to_numpy(), args[9])
    levels = analysis.profile_levels
    repeat = 1 if quick else 3
    script201 = best_time(lambda: numpy_script_analysis(*args), repeat=repeat)
    script60 = best_time(
        lambda: numpy_script_analysis(*args, points=60, widths=(0.2,), bisect=False),
        repeat=repeat,
    )
    n = c.height
    rows = []
    all_threads = set_threads(None)
    for threads in sorted({1, all_threads}):
        set_threads(threads)
        subject = best_time(lambda: analyze(snap), repeat=5 if quick else 15)
        kernel = best_time(lambda: evaluate_profile(terms, levels), repeat=5 if quick else 15)
        for name, base in (
            ("numpy script, 60 levels", script60),
            ("numpy script, 201 lv + bisect", script201),
            ("own profile kernel, 201 lv", kernel),
        ):
            rows.append(
                Row("analyze SPX chain", "engine.analyze (full)", name, threads, n, "contract",
                    subject, base)
            )  # fmt: skip
        _notes.append(
            f"{threads} thread(s): analyze {subject * 1e3:.2f} ms = "
            f"{subject / kernel:.2f}x its profile kernel ({kernel * 1e3:.2f} ms); "
            f"{script60 / subject:.1f}x the 60-level script ({script60 * 1e3:.1f} ms), "
            f"{script201 / subject:.1f}x the 201-level script ({script201 * 1e3:.1f} ms)"
        )
    set_threads(all_threads)
    return rows
