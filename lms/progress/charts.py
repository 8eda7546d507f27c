"""Bar charts, funnels and monthly columns as inline SVG, drawn on the server.

No JavaScript and no style attributes (the Content-Security-Policy allows
none): only SVG presentation attributes. Each chart is decoration for sighted
readers: it is `aria-hidden`, and the template puts the same figures in a
<table> right after it, which screen readers read (and the CSV export copies).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask_babel import format_decimal, format_percent
from markupsafe import Markup, escape

BRAND = "#0b5d4b"
ACCENT = "#9a3412"
SOFT = "#e3e8e5"
INK = "#1b1f24"
MUTED = "#4a5560"
SERIES_COLOURS = (BRAND, ACCENT, "#2f5d9a", "#6b4c9a")

WIDTH = 640
LABEL_WIDTH = 220
ROW = 30
FONT = 'font-family="system-ui, sans-serif"'


def _short(text: str, limit: int = 30) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: float) -> str:
    """In the reader's locale (1.234 in Spanish, 1,234 in English)."""
    return format_decimal(value, format="#,##0.#")


def percent_text(value: float) -> str:
    """A 0..100 value as a percentage in the reader's locale ("62 %" in Spanish)."""
    return format_percent(value / 100, format="#,##0%")


def _svg(height: int, body: list[str], title: str, width: int = WIDTH) -> Markup:
    return Markup(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" aria-hidden="true" focusable="false">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def bar_chart(
    rows: Sequence[tuple[str, float]],
    *,
    title: str,
    max_value: float | None = None,
    value_text: Callable[[float], str] = _number,
    colour: str = BRAND,
) -> Markup:
    """Horizontal bars, one per (label, value); `max_value` fixes the scale (100 for percentages)."""
    scale = max_value or max((value for _label, value in rows), default=0) or 1
    bar_space = WIDTH - LABEL_WIDTH - 70
    body = []
    for index, (label, value) in enumerate(rows):
        y = index * ROW + 6
        width = max(0.0, min(1.0, (value or 0) / scale)) * bar_space
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" font-size="13" fill="{INK}" {FONT}>'
            f"{escape(_short(label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar_space}" height="20" fill="{SOFT}"/>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="20" fill="{colour}"/>'
            f'<text x="{LABEL_WIDTH + bar_space + 6}" y="{y + 15}" font-size="13" fill="{INK}" {FONT}>'
            f"{escape(value_text(value or 0))}</text>"
        )
    return _svg(max(len(rows), 1) * ROW + 8, body, title)


def funnel_chart(steps: Sequence[tuple[str, int]], *, title: str) -> Markup:
    """Centred bars narrowing from the first step; each shows its count and share of the first."""
    first = steps[0][1] if steps and steps[0][1] else 0
    bar_space = WIDTH - LABEL_WIDTH - 20
    centre = LABEL_WIDTH + bar_space / 2
    body = []
    for index, (label, value) in enumerate(steps):
        y = index * (ROW + 4) + 6
        share = (value / first) if first else 0
        width = max(share * bar_space, 2 if value else 0)
        text = f"{_number(value)} ({percent_text(share * 100)})" if first else _number(value)
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="{INK}" {FONT}>'
            f"{escape(_short(label))}</text>"
            f'<rect x="{centre - width / 2:.1f}" y="{y}" width="{width:.1f}" height="24" fill="{BRAND}"/>'
            f'<text x="{centre:.1f}" y="{y + 17}" text-anchor="middle" font-size="13" '
            f'fill="{"#ffffff" if share > 0.25 else INK}" {FONT}>{escape(text)}</text>'
        )
    return _svg(max(len(steps), 1) * (ROW + 4) + 8, body, title)


def column_chart(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, title: str
) -> Markup:
    """Grouped vertical columns (e.g. months), one colour per series, with a legend."""
    height, top, bottom, left = 260, 28, 40, 40
    plot_height = height - top - bottom
    count = max(len(labels), 1)
    group = (WIDTH - left - 10) / count
    bar = max(2.0, min(24.0, (group - 6) / max(len(series), 1)))
    scale = max((value for _name, values in series for value in values), default=0) or 1
    body = [
        f'<line x1="{left}" y1="{top + plot_height}" x2="{WIDTH - 10}" y2="{top + plot_height}" '
        f'stroke="{MUTED}" stroke-width="1"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11" fill="{MUTED}" {FONT}>'
        f"{escape(_number(scale))}</text>",
        f'<text x="{left - 6}" y="{top + plot_height}" text-anchor="end" font-size="11" fill="{MUTED}" '
        f"{FONT}>0</text>",
    ]
    for s, (name, _values) in enumerate(series):
        colour = SERIES_COLOURS[s % len(SERIES_COLOURS)]
        x = left + s * 160
        body.append(
            f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="16" font-size="12" fill="{INK}" {FONT}>{escape(_short(name, 22))}</text>'
        )
    every = max(1, count // 12)
    for i, label in enumerate(labels):
        x0 = left + i * group + (group - bar * len(series)) / 2
        for s, (_name, values) in enumerate(series):
            value = values[i] if i < len(values) else 0
            h = (value / scale) * plot_height
            body.append(
                f'<rect x="{x0 + s * bar:.1f}" y="{top + plot_height - h:.1f}" width="{bar - 1:.1f}" '
                f'height="{h:.1f}" fill="{SERIES_COLOURS[s % len(SERIES_COLOURS)]}"/>'
            )
        if i % every == 0:
            body.append(
                f'<text x="{left + i * group + group / 2:.1f}" y="{top + plot_height + 16}" '
                f'text-anchor="middle" font-size="11" fill="{MUTED}" {FONT}>{escape(label)}</text>'
            )
    return _svg(height, body, title)
