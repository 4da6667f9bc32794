"""Full ``engine.analyze`` on an SPX-size chain against the open-source scripts' NumPy method.

Subject: ``analyze(snapshot)`` on the demo market's SPX chain (~22–25k contracts): validation,
exact T, implied forwards, IV (vendor / solved / smile), greeks, exposures, per-strike
tables, the 201-point profile with widening and refinement to 1e-6 of spot, levels, max
pain, hedging and 0DTE.

Baseline ("numpy+scipy.stats.norm script method"): the same numbers computed the way the
widely copied pandas/NumPy GEX scripts do — ``scipy.stats.norm`` greeks, a Python loop over
the 201 grid levels with the gamma of every contract vectorized per level, sign changes
refined by bisection (each step another vectorized pass over the chain), ``np.unique`` +
``np.bincount`` per-strike sums and argmax levels. It is handed the IVs, T and carries the
engine produced, so it does strictly less work than the subject.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from scipy.stats import norm

from benchmarks.harness import Row, best_time
from data_adapters import get_source
from engine._jit import set_threads
from engine.analysis.single import analyze

__all__ = ["numpy_script_analysis", "run"]

AS_OF = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


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
) -> dict[str, object]:
    """Baseline: greeks, exposures, per-strike table, 201-level profile, refined flip, levels."""
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
    for width in (0.20, 0.35, 0.50):
        levels = np.linspace(S * (1 - width), S * (1 + width), 201)
        values = np.array([profile(x) for x in levels])
        idx = np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)
        for i in idx:
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
    baseline = best_time(lambda: numpy_script_analysis(*args), repeat=1 if quick else 3)
    n = c.height
    rows = []
    all_threads = set_threads(None)
    for threads in sorted({1, all_threads}):
        set_threads(threads)
        subject = best_time(lambda: analyze(snap), repeat=3 if quick else 7)
        rows.append(
            Row(
                "analyze SPX chain",
                "engine.analyze (full)",
                "numpy+scipy.stats.norm script method",
                threads,
                n,
                "contract",
                subject,
                baseline,
            )
        )
    set_threads(all_threads)
    return rows
