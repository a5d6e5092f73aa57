"""Small, dependency-free SVG charts for the HTML report: grouped bars and a point map.

Hand-written SVG keeps a report self-contained (no script, no network) and deterministic; the
charts planners need here are simple enough not to justify a plotting library.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import pandas as pd

__all__ = ["PALETTE", "bar_chart", "point_map"]

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _el(tag: str, text: str = "", **attrs: object) -> str:
    """An SVG element; attribute names use ``_`` for ``-`` (``font_size`` → ``font-size``)."""
    rendered = " ".join(
        f'{name.replace("_", "-")}="{value:.1f}"'
        if isinstance(value, float)
        else f'{name.replace("_", "-")}="{_esc(value)}"'
        for name, value in attrs.items()
    )
    return f"<{tag} {rendered}>{text}</{tag}>"


def _nice(value: float) -> str:
    magnitude = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def _ticks(top: float, count: int = 5) -> list[float]:
    if top <= 0:
        return [0.0]
    raw = top / count
    step = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * step:
            step *= factor
            break
    return [step * i for i in range(int(top / step) + 2)]


def bar_chart(
    table: pd.DataFrame,
    *,
    category: str,
    series: str | None,
    value: str,
    title: str,
    width: int = 720,
    height: int = 320,
) -> str:
    """Grouped bars of ``value`` per ``category`` (one bar per ``series`` value in each group)."""
    if series is None:
        data = table.groupby(category, sort=True)[value].sum().to_frame(value)
        names: Sequence[str] = [value]
    else:
        data = table.pivot_table(index=category, columns=series, values=value, aggfunc="sum")
        data = data.fillna(0.0).sort_index()
        names = [str(name) for name in data.columns]
    left, right, top, bottom = 70, 150, 30, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = float(data.to_numpy().max()) if data.size else 0.0
    ticks = _ticks(max(highest, 0.0))
    scale = plot_h / ticks[-1] if ticks[-1] > 0 else 0.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart"><title>{_esc(title)}</title>',
        f'<text x="{left}" y="18" font-weight="bold">{_esc(title)}</text>',
    ]
    for tick in ticks:
        y = top + plot_h - tick * scale
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(_el("text", _nice(tick), x=left - 6, y=y + 4, text_anchor="end", font_size=11))
    groups = len(data.index) or 1
    group_w = plot_w / groups
    bar_w = group_w * 0.8 / max(len(names), 1)
    for g, (label, row) in enumerate(data.iterrows()):
        x0 = left + g * group_w + group_w * 0.1
        for s, amount in enumerate(row.to_numpy()):
            h = max(float(amount), 0.0) * scale
            x = x0 + s * bar_w
            tip = _el("title", _esc(f"{label} · {names[s]}: {_nice(float(amount))}"))
            colour = PALETTE[s % len(PALETTE)]
            y = float(top + plot_h - h)
            parts.append(_el("rect", tip, x=x, y=y, width=bar_w, height=h, fill=colour))
        parts.append(
            f'<text x="{x0 + group_w * 0.4:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'font-size="11">{_esc(label)}</text>'
        )
    for s, name in enumerate(names):
        y = top + 14 * s
        colour = PALETTE[s % len(PALETTE)]
        parts.append(_el("rect", x=width - right + 10, y=y, width=10, height=10, fill=colour))
        parts.append(
            f'<text x="{width - right + 25}" y="{y + 9}" font-size="11">{_esc(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def point_map(
    table: pd.DataFrame,
    *,
    lat: str,
    lon: str,
    size: str,
    label: str,
    title: str,
    width: int = 720,
    height: int = 480,
) -> str:
    """Territories as points at their coordinates, area proportional to ``size`` (zero: a dot)."""
    margin = 30
    points = table[[lat, lon, size, label]].dropna(subset=[lat, lon])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart"><title>{_esc(title)}</title>',
        f'<text x="{margin}" y="18" font-weight="bold">{_esc(title)}</text>',
    ]
    if not points.empty:
        lats, lons = points[lat].to_numpy(float), points[lon].to_numpy(float)
        mid = math.cos(math.radians(float(lats.mean())))
        xs, ys = lons * mid, lats
        span = max(float(xs.max() - xs.min()), float(ys.max() - ys.min()), 1e-9)
        scale = min(width, height - 20) - 2 * margin
        biggest = max(float(points[size].max()), 1e-9)
        for x, y, amount, name in zip(
            xs, ys, points[size].to_numpy(float), points[label], strict=True
        ):
            px = margin + (x - xs.min()) / span * scale
            py = 30 + margin + (ys.max() - y) / span * scale
            radius = 1.5 + 10 * math.sqrt(max(amount, 0.0) / biggest)
            fill = PALETTE[0] if amount > 0 else "#bbb"
            tip = _el("title", _esc(f"{name}: {amount:g}"))
            circle = _el("circle", tip, cx=px, cy=py, r=radius, fill=fill, fill_opacity=0.6)
            parts.append(circle)
    parts.append("</svg>")
    return "\n".join(parts)
