"""Charts drawn on the server as SVG: the nine-box heat map, trend lines and bar charts.

Pure functions of plain data (no Flask, no database): they return ``markupsafe.Markup``
holding one ``<svg>`` element, every text in it escaped. Each chart is an image with a name:
``role="img"`` and ``aria-labelledby`` pointing at its ``<title>`` and ``<desc>``, whose
texts the caller passes (translated); the page shows the same numbers in a table beside it.
Charts scale with their container (a ``viewBox`` and ``width="100%"``), use no script and
no style attribute (the Content-Security-Policy forbids both), only presentation attributes,
and keep text readable: every label on a coloured fill is black or white, whichever contrasts
more (WCAG 2), and the series colours keep at least 3:1 against the white background.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence

from markupsafe import Markup, escape

from sikd_simantap.scoring.mapping import KINERJA_BANDS, NINE_BOX, POTENSIAL_BANDS

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK = "#212529"  # text and axes
MUTED = "#495057"  # secondary text, 8.2:1 on white
GRID_LINE = "#ced4da"
EMPTY = "#f8f9fa"  # a heat-map cell nobody is in
HEAT_LOW = "#deebf7"  # the fewest (but some) employees
HEAT_HIGH = "#08306b"  # the most
# series and segment colours, each at least 3:1 against white (tested)
PALETTE = (
    "#1f5fa8",
    "#b35806",
    "#2e7d32",
    "#7b3294",
    "#c2185b",
    "#00695c",
    "#5d4037",
    "#455a64",
)
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2", "10 4", "3 6")
# the grid as DOMAIN.md section 5 draws it: kinerja "di atas" at the top, potensial "rendah"
# on the left
HEAT_ROWS = tuple(reversed(KINERJA_BANDS))
HEAT_COLUMNS = POTENSIAL_BANDS
SAFE_ID = re.compile(r"^[A-Za-z][\w-]{0,60}$")


# --- colours ------------------------------------------------------------------------------


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def luminance(colour: str) -> float:
    """Relative luminance of a ``#rrggbb`` colour (WCAG 2)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (at least 4.5:1 either way)."""
    return "#000000" if contrast(fill, "#000000") >= contrast(fill, "#ffffff") else "#ffffff"


def mix(low: str, high: str, t: float) -> str:
    """The colour ``t`` (0 to 1) of the way from ``low`` to ``high``."""
    t = min(1.0, max(0.0, t))
    a, b = _rgb(low), _rgb(high)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def heat_colour(count: int, most: int) -> str:
    """A cell's fill: neutral when empty, then lighter to darker blue as the count grows."""
    if count <= 0 or most <= 0:
        return EMPTY
    return mix(HEAT_LOW, HEAT_HIGH, count / most)


# --- helpers ------------------------------------------------------------------------------


def _e(value: object) -> str:
    return str(escape("" if value is None else str(value)))


def _n(value: float) -> str:
    """A coordinate, short."""
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def number(value: float | None) -> str:
    """A value as the tables show it: whole numbers bare, others to at most 2 decimals."""
    if value is None:
        return "-"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _lines(label: str, width: int, most: int = 2) -> list[str]:
    """A label wrapped into at most ``most`` lines of about ``width`` characters."""
    lines = textwrap.wrap(str(label), width) or [""]
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: max(1, width - 1)].rstrip() + "\u2026"
    return lines


def _text(
    x: float,
    y: float,
    label: object,
    *,
    size: float = 12,
    anchor: str = "start",
    fill: str = INK,
    weight: str | None = None,
    css: str | None = None,
    extra: str = "",
) -> str:
    attributes = f' x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" fill="{fill}"'
    if anchor != "start":
        attributes += f' text-anchor="{anchor}"'
    if weight:
        attributes += f' font-weight="{weight}"'
    if css:
        attributes += f' class="{css}"'
    return f"<text{attributes}{extra}>{_e(label)}</text>"


def _wrapped(
    x: float, y: float, label: str, width: int, *, size: float = 12, anchor: str = "end"
) -> str:
    """A label of one or two lines centred vertically on ``y``."""
    lines = _lines(label, width)
    first = y - (len(lines) - 1) * size * 0.55 + size * 0.35
    spans = "".join(
        f'<tspan x="{_n(x)}" y="{_n(first + i * size * 1.1)}">{_e(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text font-size="{_n(size)}" fill="{INK}" text-anchor="{anchor}">{spans}</text>'


def legend_layout(names: Sequence[str], width: float, size: float = 11) -> tuple[int, int]:
    """How many legend entries fit in a row of ``width`` (3, 2 or 1) so that the longest
    name shows whole when it can, and how many characters an entry may then show."""
    longest = max((len(str(name)) for name in names), default=0)
    for per_row in (3, 2, 1):
        chars = int(width / per_row / (size * 0.6)) - 5
        if longest <= chars or per_row == 1:
            return per_row, max(chars, 8)
    raise AssertionError("unreachable")


def _svg(chart_id: str, width: float, height: float, title: str, desc: str, body: str) -> Markup:
    if not SAFE_ID.match(chart_id):
        raise ValueError(f"not a usable element id: {chart_id!r}")
    return Markup(
        f'<svg xmlns="{SVG_NS}" id="{chart_id}" class="simantap-chart" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc"'
        f' viewBox="0 0 {_n(width)} {_n(height)}" width="100%"'
        f' preserveAspectRatio="xMidYMid meet" font-family="{_e(FONT)}">'
        f'<title id="{chart_id}-title">{_e(title)}</title>'
        f'<desc id="{chart_id}-desc">{_e(desc)}</desc>'
        f"{body}</svg>"
    )


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def nice_max(value: float, ticks: int = 5) -> float:
    """The smallest multiple of a nice step at or above ``value`` (at least 1)."""
    if value <= 0:
        return 1.0
    step = nice_step(value, ticks)
    return math.ceil(value / step - 1e-9) * step


# --- the nine-box heat map ----------------------------------------------------------------


def heat_map(
    counts: Mapping[int, int],
    *,
    title: str,
    description: str,
    row_labels: Mapping[str, str],
    column_labels: Mapping[str, str],
    row_axis: str,
    column_axis: str,
    box_label: str = "Box %(box)s",
    total: int | None = None,
    highlight: Iterable[int] = (),
    chart_id: str = "ninebox-chart",
) -> Markup:
    """The 3x3 grid of section 5: kinerja rows from "di atas" (top) to "di bawah" (bottom),
    potensial columns from "rendah" (left) to "tinggi" (right). Each cell shows its box
    number, how many employees it holds and their percentage of ``total`` (by default the
    sum of ``counts``, the mapped employees), to one decimal; darker cells hold more.

    ``row_labels``/``column_labels`` map the band names to their (translated) labels;
    ``box_label`` is a %-format with ``box``; ``highlight`` boxes get a thick outline.
    """
    total = sum(counts.values()) if total is None else total
    most = max(counts.values(), default=0)
    chosen = set(highlight)
    left, top, cell_w, cell_h = 150.0, 16.0, 140.0, 96.0
    width = left + 3 * cell_w + 16
    height = top + 3 * cell_h + 64
    parts = ['<g class="heat-cells">']
    for r, row in enumerate(HEAT_ROWS):
        for c, column in enumerate(HEAT_COLUMNS):
            box = NINE_BOX[(row, column)]
            count = int(counts.get(box, 0))
            share = round(count / total * 100, 1) if total else 0.0
            fill = heat_colour(count, most)
            ink = text_colour(fill)
            x, y = left + c * cell_w, top + r * cell_h
            outline = (
                ' stroke="#000000" stroke-width="4"'
                if box in chosen
                else f' stroke="{MUTED}" stroke-width="1"'
            )
            parts.append(
                f'<g class="cell" data-box="{box}" data-count="{count}"'
                f' data-percent="{share:.1f}" data-row="{row}" data-column="{column}">'
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(cell_w)}" height="{_n(cell_h)}"'
                f' fill="{fill}"{outline}/>'
                + _text(x + 8, y + 18, box_label % {"box": box}, size=12, fill=ink,
                        css="cell-box")
                + _text(x + cell_w / 2, y + cell_h / 2 + 10, count, size=28, anchor="middle",
                        fill=ink, weight="bold", css="cell-count")
                + _text(x + cell_w / 2, y + cell_h - 12, percent(share), size=13,
                        anchor="middle", fill=ink, css="cell-percent")
                + "</g>"
            )  # fmt: skip
    parts.append("</g>")
    for r, row in enumerate(HEAT_ROWS):
        parts.append(
            _wrapped(left - 8, top + r * cell_h + cell_h / 2, row_labels.get(row, row), 16)
        )
    for c, column in enumerate(HEAT_COLUMNS):
        parts.append(
            _text(left + c * cell_w + cell_w / 2, top + 3 * cell_h + 18,
                  column_labels.get(column, column), anchor="middle", css="column-label")
        )  # fmt: skip
    axis_y = top + 3 * cell_h + 44
    parts.append(
        _text(left + 1.5 * cell_w, axis_y, column_axis, size=13, anchor="middle",
              weight="bold", css="axis-title")
        + _text(14, top + 1.5 * cell_h, row_axis, size=13, anchor="middle", weight="bold",
                css="axis-title", extra=f' transform="rotate(-90 14 {_n(top + 1.5 * cell_h)})"')
    )  # fmt: skip
    return _svg(chart_id, width, height, title, description, "".join(parts))


# --- line chart ---------------------------------------------------------------------------


def line_chart(
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    description: str,
    y_label: str = "",
    y_min: float = 0.0,
    y_max: float | None = None,
    value_format: Callable[[float], str] = number,
    chart_id: str = "line-chart",
) -> Markup:
    """Trends across periods: one line per named series, a value (or None: no data) per
    period in ``periods`` order. Lines break where a value is missing; each point is a
    circle carrying its series, period and value; a legend names the series by colour and
    dash pattern."""
    for name, values in series:
        if len(values) != len(periods):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(periods)}")
    present = [v for _name, values in series for v in values if v is not None]
    top_value = y_max if y_max is not None else nice_max(max(present, default=0.0))
    if top_value <= y_min:
        top_value = y_min + 1
    step = nice_step(top_value - y_min)
    left, top, plot_w, plot_h = 64.0, 16.0, 520.0, 220.0
    width = left + plot_w + 36
    per_row, chars = legend_layout([name for name, _values in series], plot_w)
    legend_rows = math.ceil(len(series) / per_row) if series else 0
    height = top + plot_h + 44 + legend_rows * 20 + 8

    def x_of(i: int) -> float:
        if len(periods) <= 1:
            return left + plot_w / 2
        return left + 12 + i * (plot_w - 24) / (len(periods) - 1)

    def y_of(value: float) -> float:
        clipped = min(max(value, y_min), top_value)
        return top + plot_h - (clipped - y_min) / (top_value - y_min) * plot_h

    parts = ['<g class="axes">']
    tick = y_min
    while tick <= top_value + 1e-9:
        y = y_of(tick)
        parts.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(left + plot_w)}" y2="{_n(y)}"'
            f' stroke="{GRID_LINE}" stroke-width="1"/>'
            + _text(left - 6, y + 4, value_format(tick), size=11, anchor="end", fill=MUTED,
                    css="y-tick")
        )  # fmt: skip
        tick += step
    parts.append(
        f'<line x1="{_n(left)}" y1="{_n(top)}" x2="{_n(left)}" y2="{_n(top + plot_h)}"'
        f' stroke="{INK}" stroke-width="1"/>'
        f'<line x1="{_n(left)}" y1="{_n(top + plot_h)}" x2="{_n(left + plot_w)}"'
        f' y2="{_n(top + plot_h)}" stroke="{INK}" stroke-width="1"/>'
    )
    for i, period in enumerate(periods):
        parts.append(
            _text(x_of(i), top + plot_h + 18, period, size=11, anchor="middle", css="x-tick")
        )
    if y_label:
        middle = top + plot_h / 2
        parts.append(
            _text(14, middle, y_label, size=12, anchor="middle", weight="bold",
                  css="axis-title", extra=f' transform="rotate(-90 14 {_n(middle)})"')
        )  # fmt: skip
    parts.append("</g>")
    for s, (name, values) in enumerate(series):
        colour, dash = PALETTE[s % len(PALETTE)], DASHES[s % len(DASHES)]
        path, pen_down = [], False
        for i, value in enumerate(values):
            if value is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{_n(x_of(i))} {_n(y_of(value))}")
            pen_down = True
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<g class="series" data-series="{_e(name)}">')
        if path:
            parts.append(
                f'<path d="{" ".join(path)}" fill="none" stroke="{colour}"'
                f' stroke-width="2.5"{dash_attr}/>'
            )
        for i, value in enumerate(values):
            if value is None:
                continue
            parts.append(
                f'<circle class="point" cx="{_n(x_of(i))}" cy="{_n(y_of(value))}" r="4"'
                f' fill="{colour}" stroke="#ffffff" stroke-width="1"'
                f' data-series="{_e(name)}" data-period="{_e(periods[i])}"'
                f' data-value="{_e(value_format(value))}">'
                f"<title>{_e(name)}, {_e(periods[i])}: {_e(value_format(value))}</title>"
                "</circle>"
            )
        parts.append("</g>")
    legend_top = top + plot_h + 40
    for s, (name, _values) in enumerate(series):
        colour, dash = PALETTE[s % len(PALETTE)], DASHES[s % len(DASHES)]
        x = left + (s % per_row) * (plot_w / per_row)
        y = legend_top + (s // per_row) * 20
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<g class="legend-item"><title>{_e(name)}</title>'
            f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 24)}"'
            f' y2="{_n(y)}" stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
            + _text(x + 30, y + 4, _lines(name, chars, 1)[0], size=11) + "</g>"
        )  # fmt: skip
    return _svg(chart_id, width, height, title, description, "".join(parts))


# --- bar chart ----------------------------------------------------------------------------


def bar_chart(
    bars: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    description: str,
    segments: Sequence[str] = (),
    colours: Sequence[str] | None = None,
    as_percent: bool = False,
    max_value: float | None = None,
    value_label: str = "",
    totals: bool | None = None,
    chart_id: str = "bar-chart",
) -> Markup:
    """Horizontal bars, one per category, in the order given: ``(label, values)`` with
    one value (a plain bar) or one per name in ``segments`` (stacked left to right).

    ``as_percent`` draws values as percentages on a 0-100 axis; ``totals`` writes each
    bar's sum at its end (by default unless the bars are stacked percentages, which sum to
    100). Segments wide enough carry their own value, in black or white for contrast.
    """
    stacked = len(segments) > 0
    for label, values in bars:
        if len(values) != (len(segments) if stacked else 1):
            raise ValueError(f"bar {label!r} has {len(values)} values")
    palette = tuple(colours) if colours else PALETTE
    show_totals = (not (stacked and as_percent)) if totals is None else totals
    sums = [sum(v for v in values if v) for _label, values in bars]
    if max_value is not None:
        top_value = max_value
    elif as_percent:
        top_value = 100.0
    else:
        top_value = nice_max(max(sums, default=0.0))
    fmt = percent if as_percent else number

    def tick_format(value: float) -> str:
        return f"{value:g}%" if as_percent else number(value)

    left, top, plot_w, bar_h, gap = 180.0, 12.0, 400.0, 22.0, 12.0
    width = left + plot_w + 64
    plot_h = len(bars) * (bar_h + gap) + gap
    legend_x, legend_w = 16.0, width - 32
    per_row, chars = legend_layout(segments, legend_w)
    legend_rows = math.ceil(len(segments) / per_row) if stacked else 0
    height = top + plot_h + 40 + (16 if value_label else 0) + legend_rows * 20 + 8

    def x_of(value: float) -> float:
        return left + min(max(value, 0.0), top_value) / top_value * plot_w

    parts = ['<g class="axes">']
    step = nice_step(top_value, 4)
    tick = 0.0
    while tick <= top_value + 1e-9:
        x = x_of(tick)
        parts.append(
            f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(top + plot_h)}"'
            f' stroke="{GRID_LINE}" stroke-width="1"/>'
            + _text(x, top + plot_h + 16, tick_format(tick), size=11, anchor="middle", fill=MUTED,
                    css="x-tick")
        )  # fmt: skip
        tick += step
    parts.append(
        f'<line x1="{_n(left)}" y1="{_n(top)}" x2="{_n(left)}" y2="{_n(top + plot_h)}"'
        f' stroke="{INK}" stroke-width="1"/>'
    )
    if value_label:
        parts.append(
            _text(left + plot_w / 2, top + plot_h + 34, value_label, size=12, anchor="middle",
                  weight="bold", css="axis-title")
        )  # fmt: skip
    parts.append("</g>")
    for b, (label, values) in enumerate(bars):
        y = top + gap + b * (bar_h + gap)
        parts.append(f'<g class="bar" data-label="{_e(label)}" data-total="{_e(number(sums[b]))}">')
        parts.append(_wrapped(left - 8, y + bar_h / 2, label, 26, size=11))
        start = 0.0
        names = segments if stacked else ("",)
        for s, value in enumerate(values):
            value = float(value or 0)
            colour = palette[s % len(palette)]
            x0, x1 = x_of(start), x_of(start + value)
            segment = f' data-segment="{_e(names[s])}"' if stacked else ""
            parts.append(
                f'<rect class="segment" x="{_n(x0)}" y="{_n(y)}" width="{_n(x1 - x0)}"'
                f' height="{_n(bar_h)}" fill="{colour}" stroke="#ffffff" stroke-width="1"'
                f'{segment} data-value="{_e(number(value))}">'
                f"<title>{_e(label)}{': ' + _e(names[s]) if stacked else ''}: {_e(fmt(value))}"
                "</title></rect>"
            )
            if stacked and x1 - x0 >= 36 and value:
                parts.append(
                    _text((x0 + x1) / 2, y + bar_h / 2 + 4, fmt(value), size=10,
                          anchor="middle", fill=text_colour(colour), css="segment-value")
                )  # fmt: skip
            start += value
        if show_totals:
            parts.append(
                _text(x_of(start) + 6, y + bar_h / 2 + 4, fmt(sums[b]), size=11,
                      css="bar-total")
            )  # fmt: skip
        parts.append("</g>")
    if stacked:
        legend_top = top + plot_h + 40 + (16 if value_label else 0)
        for s, name in enumerate(segments):
            x = legend_x + (s % per_row) * (legend_w / per_row)
            y = legend_top + (s // per_row) * 20
            parts.append(
                f'<g class="legend-item"><title>{_e(name)}</title>'
                f'<rect x="{_n(x)}" y="{_n(y - 10)}" width="14"'
                f' height="14" fill="{palette[s % len(palette)]}"/>'
                + _text(x + 20, y + 2, _lines(name, chars, 1)[0], size=11) + "</g>"
            )  # fmt: skip
    return _svg(chart_id, width, height, title, description, "".join(parts))
