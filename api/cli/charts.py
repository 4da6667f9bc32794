"""Terminal charts of ``gex chart`` and ``gex profile``, drawn as text from the API views.

Both charts are plain lines of characters (a rich :class:`~rich.text.Text`, coloured on a
terminal), exactly ``width`` columns wide at most, so that they fit the terminal and read
the same in a file:

- **on a terminal** (``plain=False``): block characters, calls ``█`` green, puts ``▓`` red,
  net ``◆``, spot and the gamma flip as rules of their own;
- **piped** (``plain=True``): ASCII only — calls ``#``, puts ``=``, net ``*``, axis ``|``,
  rules ``-`` — and no colour.

:func:`strike_chart` — exposure by strike (``/v1/exposure/gex`` or another metric's view):
one row per strike, highest at the top; calls and puts as bars from a zero axis (positive
to the right, negative to the left, a side's two parts stacked when they share a sign), the
net value as a marker and a number; spot, the gamma flip and the profile's other crossings
as rules between the strikes; the call and put walls, max ±gamma, highest OI, the 0DTE
magnet and max pain named beside their strikes. The rows are those ``gex strikes`` picks
(:func:`api.cli.render.pick_strikes`) plus max pain.

:func:`profile_chart` — the gamma profile (``/v1/exposure/profile``): net GEX against
hypothetical spot as columns from a zero line, spot and every crossing (the gamma flip
among them) as vertical rules, with the level axis below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from rich.text import Text

from api.cli.render import LEVEL_MARKS, level, level_marks, money, number, pct, pick_strikes

__all__ = ["Glyphs", "profile_chart", "strike_chart"]


@dataclass(frozen=True)
class Glyphs:
    """The characters of one output kind."""

    call: str
    put: str
    net: str
    axis: str
    rule: str
    cross: str
    fill_pos: str
    fill_neg: str


TERMINAL: Final = Glyphs("█", "▓", "◆", "│", "┈", "┆", "█", "█")
PLAIN: Final = Glyphs("#", "=", "*", "|", "-", ":", "#", "=")
_STYLES: Final = {"call": "green", "put": "red", "net": "bold yellow", "spot": "cyan",
                  "flip": "magenta", "mark": "yellow", "pos": "green", "neg": "red"}  # fmt: skip
MIN_BAR: Final = 10
"""Fewest columns of bars a chart keeps, whatever the width."""
MARKS_SHARE: Final = 3
"""The column of level names takes at most 1/MARKS_SHARE of the width."""


def _append(text: Text, chunk: str, style: str | None, plain: bool) -> None:
    text.append(chunk, style=None if plain else style)


def _cells(text: Text, cells: Sequence[tuple[str, str | None]], plain: bool) -> None:
    """Append (character, kind) cells, one run per kind."""
    run, kind = "", None
    for char, cell_kind in [*cells, ("", "end")]:
        if cell_kind != kind and run:
            _append(text, run, None if kind is None else _STYLES.get(kind, kind), plain)
            run = ""
        run, kind = run + char, cell_kind


def _fit(names: Sequence[str], width: int) -> str:
    """``call wall, max +gamma`` within ``width`` columns: whole names only, ``+N`` for the
    names left out."""
    shown: list[str] = []
    for i, name in enumerate(names):
        rest = len(names) - i - 1
        candidate = ", ".join([*shown, name]) + (f" +{rest}" if rest else "")
        if len(candidate) > width:
            break
        shown.append(name)
    left = len(names) - len(shown)
    text = ", ".join(shown) + (f" +{left}" if left else "")
    return text.strip()[:width]


@dataclass(frozen=True)
class _Rule:
    """A line between strikes: spot, the gamma flip or another crossing."""

    value: float
    label: str
    kind: str  # "spot" or "flip"


def _rules(spot: float | None, flip: float | None, crossings: Sequence[float]) -> list[_Rule]:
    rules = [] if spot is None else [_Rule(spot, "spot", "spot")]
    if flip is not None:
        rules.append(_Rule(flip, "gamma flip", "flip"))
    for crossing in crossings:
        if flip is None or abs(crossing - flip) > 1e-9 * max(1.0, abs(flip)):
            rules.append(_Rule(crossing, "crossing", "flip"))
    return rules


def _bar_cells(
    call: float, put: float, zero: int, cols: int, scale: float, g: Glyphs
) -> list[tuple[str, str | None]]:
    """The bar area of one strike: (character, style) per column."""
    cells: list[tuple[str, str | None]] = [(" ", None)] * cols
    cells[zero] = (g.axis, "dim")
    for sign in (1, -1):
        start = 0.0
        for value, kind in ((call, "call"), (put, "put")):
            if value * sign <= 0:
                continue
            end = start + abs(value)
            first, last = round(start / scale), round(end / scale)
            for step in range(first + 1, last + 1):
                col = zero + sign * step
                if 0 <= col < cols:
                    cells[col] = (g.call if kind == "call" else g.put, kind)
            start = end
    return cells


def _layout(width: int, label_w: int, value_w: int, marks_w: int) -> tuple[int, int]:
    """(bar columns, marks columns) that fit ``width``."""
    marks_w = min(marks_w, max(12, width // MARKS_SHARE))
    bars = width - label_w - value_w - marks_w - 3
    if bars < MIN_BAR:
        marks_w = max(0, marks_w - (MIN_BAR - bars))
        bars = width - label_w - value_w - marks_w - 3
    return max(bars, MIN_BAR), marks_w


def strike_chart(
    view: Mapping[str, Any],
    greek: str,
    levels: Mapping[str, Any] | None,
    crossings: Sequence[float],
    max_pain: float | None,
    *,
    width: int,
    rows: int = 30,
    plain: bool = False,
    unit: str = "",
) -> Text:
    """Exposure by strike as text (module docstring); ``rows`` strikes nearest spot plus the
    marked levels; ``unit`` names the metric's unit in the legend."""
    g = PLAIN if plain else TERMINAL
    spot = view.get("underlying_price")
    levels = dict(levels or {})
    every = view.get("strikes") or []
    picked = pick_strikes(every, spot, rows, levels)
    if max_pain is not None and rows > 0:
        extra = [r for r in every if float(r["strike"]) == float(max_pain)]
        picked = sorted({float(r["strike"]): r for r in [*picked, *extra]}.values(),
                        key=lambda r: r["strike"])  # fmt: skip
    marks = level_marks(levels)
    if max_pain is not None:
        marks.setdefault(float(max_pain), []).append("max pain")
    calls = [float(r.get(f"call_{greek}") or 0.0) for r in picked]
    puts = [float(r.get(f"put_{greek}") or 0.0) for r in picked]
    pos = max((max(c, 0) + max(p, 0) for c, p in zip(calls, puts, strict=True)), default=0.0)
    neg = max((max(-c, 0) + max(-p, 0) for c, p in zip(calls, puts, strict=True)), default=0.0)
    rules = _rules(spot, levels.get("gamma_flip"), crossings)
    labels = [number(float(r["strike"])) for r in picked] + [number(r.value) for r in rules]
    label_w = max((len(x) for x in labels), default=6)
    nets = [money(r.get(f"net_{greek}")) for r in picked]
    value_w = max([len(x) for x in nets] + [len("net")])
    mark_texts = {k: ", ".join(v) for k, v in marks.items()}
    marks_w = max([len(t) for t in mark_texts.values()] + [len(r.label) for r in rules] + [0])
    bars, marks_w = _layout(width, label_w, value_w, marks_w)
    total = pos + neg
    zero = 0 if total == 0 else min(bars - 1, max(0, round((bars - 1) * neg / total)))
    right, left = bars - 1 - zero, zero
    scale = max(pos / right if right else 0.0, neg / left if left else 0.0) or 1.0

    out = Text(no_wrap=True, overflow="crop")
    legend = (
        f"{g.call} calls  {g.put} puts  {g.net} net ({unit or greek.upper()}); "
        f"one column = {money(scale)}"
    )
    _append(out, f"{'strike':>{label_w}} {legend}"[:width] + "\n", "dim", plain)
    items: list[tuple[float, int, Any]] = [(float(r["strike"]), 1, r) for r in picked]
    items += [(rule.value, 0, rule) for rule in rules]
    for _, kind, item in sorted(items, key=lambda it: (-it[0], it[1])):
        if kind == 0:
            style = _STYLES[item.kind]
            _append(out, f"{number(item.value):>{label_w}} ", style, plain)
            _append(out, g.rule * bars, style, plain)
            _append(out, f" {'':>{value_w}} {item.label[:marks_w]}".rstrip() + "\n", style, plain)
            continue
        strike = float(item["strike"])
        call = float(item.get(f"call_{greek}") or 0.0)
        put = float(item.get(f"put_{greek}") or 0.0)
        net = item.get(f"net_{greek}")
        cells = _bar_cells(call, put, zero, bars, scale, g)
        if net is not None:
            col = min(bars - 1, max(0, zero + round(float(net) / scale)))
            cells[col] = (g.net, "net")
        _append(out, f"{number(strike):>{label_w}} ", "bold", plain)
        _cells(out, cells, plain)
        _append(out, f" {money(net):>{value_w}}", "bold", plain)
        mark = _fit(marks.get(strike, []), marks_w)
        _append(out, (f" {mark}" if mark else "") + "\n", "mark", plain)
    axis_left = "" if left == 0 else f"-{money(neg).removeprefix('-')}"
    axis_right = money(pos) if right else ""
    scale_line = [" "] * bars
    for i, ch in enumerate(axis_left[:left]):
        scale_line[i] = ch
    zero_text = "0"
    scale_line[zero] = zero_text
    for i, ch in enumerate(reversed(axis_right[:right])):
        scale_line[bars - 1 - i] = ch
    _append(out, f"{'':>{label_w}} " + "".join(scale_line).rstrip(), "dim", plain)
    return out


def _interp(xs: Sequence[float], ys: Sequence[float], x: float) -> float:
    """Linear interpolation of ``ys`` at ``x`` (``xs`` ascending)."""
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    lo, hi = 0, len(xs) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if xs[mid] <= x:
            lo = mid
        else:
            hi = mid
    t = (x - xs[lo]) / (xs[hi] - xs[lo]) if xs[hi] != xs[lo] else 0.0
    return ys[lo] + t * (ys[hi] - ys[lo])


def profile_chart(
    view: Mapping[str, Any], *, width: int, height: int = 15, plain: bool = False
) -> Text:
    """The gamma profile as text (module docstring): ``height`` rows of columns."""
    g = PLAIN if plain else TERMINAL
    pairs = [
        (float(x), float(y))
        for x, y in zip(view.get("levels") or [], view.get("net_gex") or [], strict=False)
        if x is not None and y is not None
    ]
    out = Text(no_wrap=True, overflow="crop")
    if len(pairs) < 2:
        _append(out, "No gamma profile: too few levels could be computed.", None, plain)
        return out
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    top, bottom = max(0.0, max(ys)), min(0.0, min(ys))
    span = (top - bottom) or 1.0
    tick_top, tick_bottom = money(top), money(bottom)
    axis_w = max(len(tick_top), len(tick_bottom), 1)
    cols = max(MIN_BAR, width - axis_w - 2)
    height = max(3, height)
    step = (xs[-1] - xs[0]) / cols

    def row_of(value: float) -> int:
        return round((top - value) / span * (height - 1))

    def col_of(x: float) -> int:
        return min(cols - 1, max(0, int((x - xs[0]) / step))) if step > 0 else 0

    zero_row = row_of(0.0)
    grid: list[list[tuple[str, str | None]]] = [[(" ", None)] * cols for _ in range(height)]
    for c in range(cols):
        value = _interp(xs, ys, xs[0] + (c + 0.5) * step)
        r = row_of(value)
        lo, hi = sorted((zero_row, r))
        for row in range(lo, hi + 1):
            if value > 0 and row != zero_row:
                grid[row][c] = (g.fill_pos, "pos")
            elif value < 0 and row != zero_row:
                grid[row][c] = (g.fill_neg, "neg")
        if grid[zero_row][c][0] == " ":
            grid[zero_row][c] = ("-" if plain else "─", "dim")
    spot = view.get("underlying_price")
    flip = view.get("gamma_flip")
    marks: list[tuple[float, str, str]] = []
    if spot is not None:
        marks.append((float(spot), g.axis, "spot"))
    for crossing in view.get("crossings") or []:
        if crossing is not None and xs[0] <= crossing <= xs[-1]:
            marks.append((float(crossing), g.cross, "flip"))
    for x, char, kind in marks:
        c = col_of(x)
        for row in range(height):
            if grid[row][c][0] in (" ", "-", "─"):
                grid[row][c] = (char, kind)
    legend = f"net GEX (USD per 1% move) at each spot level; {g.axis} spot, {g.cross} crossings"
    _append(out, legend[:width] + "\n", "dim", plain)
    for row in range(height):
        tick = tick_top if row == 0 else tick_bottom if row == height - 1 else ""
        tick = "0" if row == zero_row else tick
        _append(out, f"{tick:>{axis_w}} ", "dim", plain)
        _append(out, g.axis if row != zero_row else "+" if plain else "┼", "dim", plain)
        _cells(out, grid[row], plain)
        out.append("\n")
    axis = [" "] * cols
    labels = [(0, level(xs[0]), "left"), (cols - 1, level(xs[-1]), "right")]
    if spot is not None:
        labels.append((col_of(float(spot)), f"spot {level(float(spot))}", "center"))
    for col, text, how in sorted(labels, key=lambda item: item[2] != "center"):
        start = (
            col
            if how == "left"
            else col - len(text) + 1
            if how == "right"
            else col - len(text) // 2
        )
        start = min(max(0, start), max(0, cols - len(text)))
        if any(ch != " " for ch in axis[max(0, start - 1) : start + len(text) + 1]):
            continue
        axis[start : start + len(text)] = list(text)
    _append(out, f"{'':>{axis_w}}  " + "".join(axis).rstrip() + "\n", "dim", plain)
    crossings = [c for c in view.get("crossings") or [] if c is not None]
    parts = []
    for c in crossings:
        is_flip = flip is not None and abs(c - flip) < 1e-9 * max(1.0, abs(flip))
        where = f"{pct((c / spot - 1) * 100)} from spot" if spot else ""
        tag = ", the gamma flip" if is_flip else ""
        parts.append(f"{number(c)} ({where}{tag})")
    summary = "crossings: " + ("; ".join(parts) if parts else "none in the grid")
    _append(out, summary, "magenta", plain)
    return out


def describe_marks() -> str:
    """The names of the marked levels, for help texts."""
    return ", ".join([*LEVEL_MARKS.values(), "max pain"])
