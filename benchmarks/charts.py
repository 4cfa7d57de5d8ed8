"""Charts of one benchmark run, written as SVG files (no plotting library needed).

``python -m benchmarks --charts docs/images`` draws them at the end of a run, from that
run; ``python -m benchmarks.charts [suite.json] [folder]`` redraws them from a saved
``benchmarks/results/suite.json``. The charts:

- ``send-rps.svg``: requests/s against concurrency, one line per client (uvicorn mode;
  ``send-rps-responder.svg`` for the responder);
- ``send-cpu.svg``: client CPU µs per call against concurrency, one line per client
  (and ``send-cpu-responder.svg``);
- ``walk.svg``: messages/s walking 100,000 messages in each server mode: raw httpx, the
  SDK before the change (with ``--baseline``) and the SDK now.

SVG, written by hand, because the charts are a few lines and bars: the files are text
(reviewable in a diff), render in GitHub and the docs site, and drawing them needs no
dependency beyond the standard library (matplotlib would add numpy and a dozen
megabytes to the ``bench`` extra for three charts).
"""

from __future__ import annotations

import json
import math
import sys
from html import escape
from pathlib import Path
from typing import Any

# One colour per client, the same in every chart; the "[before]" rows are dashed.
COLOURS = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#17becf",
]
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"
WIDTH, HEIGHT = 820, 430
LEFT, RIGHT, TOP, BOTTOM = 70, 290, 50, 60


def _log_ticks(low: float, high: float) -> list[float]:
    ticks = []
    exponent = math.floor(math.log10(low))
    while 10**exponent <= high * 10:
        for step in (1, 2, 5):
            value = step * 10.0**exponent
            if low <= value <= high:
                ticks.append(value)
        exponent += 1
    return ticks


def _fmt(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def line_chart(
    title: str, y_label: str, series: dict[str, list[tuple[float, float]]], note: str
) -> str:
    """Log-log lines: x = concurrency, y = the measure; one series per client."""
    xs = sorted({x for points in series.values() for x, _ in points})
    ys = [y for points in series.values() for _, y in points if y > 0]
    y_low = 10 ** math.floor(math.log10(min(ys)))
    y_high = 10 ** math.ceil(math.log10(max(ys)))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        if len(xs) == 1:
            return LEFT + plot_w / 2
        return LEFT + plot_w * xs.index(x) / (len(xs) - 1)

    def py(y: float) -> float:
        span = math.log10(y_high) - math.log10(y_low)
        return TOP + plot_h * (1 - (math.log10(y) - math.log10(y_low)) / span)

    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}' "
        f"viewBox='0 0 {WIDTH} {HEIGHT}' {FONT} font-size='12'>",
        f"<rect width='{WIDTH}' height='{HEIGHT}' fill='white'/>",
        f"<text x='{LEFT}' y='24' font-size='16' font-weight='bold'>{escape(title)}</text>",
        f"<text x='{LEFT}' y='{HEIGHT - 12}' fill='#555'>{escape(note)}</text>",
    ]
    for tick in _log_ticks(y_low, y_high):
        y = py(tick)
        out.append(
            f"<line x1='{LEFT}' x2='{LEFT + plot_w}' y1='{y:.1f}' y2='{y:.1f}' stroke='#e5e5e5'/>"
        )
        out.append(
            f"<text x='{LEFT - 6}' y='{y + 4:.1f}' text-anchor='end' fill='#444'>"
            f"{_fmt(tick)}</text>"
        )
    for x in xs:
        out.append(
            f"<text x='{px(x):.1f}' y='{TOP + plot_h + 18}' text-anchor='middle' "
            f"fill='#444'>{x:g}</text>"
        )
    out.append(
        f"<text x='{LEFT + plot_w / 2}' y='{TOP + plot_h + 36}' text-anchor='middle'>"
        "concurrency (calls in flight)</text>"
    )
    out.append(
        f"<text transform='translate(16,{TOP + plot_h / 2}) rotate(-90)' "
        f"text-anchor='middle'>{escape(y_label)}</text>"
    )
    out.append(
        f"<rect x='{LEFT}' y='{TOP}' width='{plot_w}' height='{plot_h}' fill='none' stroke='#999'/>"
    )
    for index, (name, points) in enumerate(series.items()):
        colour = COLOURS[_base_index(list(series), name) % len(COLOURS)]
        dash = " stroke-dasharray='5,4'" if name.endswith("[before]") else ""
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in sorted(points) if y > 0)
        out.append(
            f"<polyline points='{path}' fill='none' stroke='{colour}' stroke-width='2'{dash}/>"
        )
        for x, y in points:
            if y > 0:
                out.append(f"<circle cx='{px(x):.1f}' cy='{py(y):.1f}' r='3' fill='{colour}'/>")
        legend_y = TOP + 8 + index * 20
        legend_x = LEFT + plot_w + 16
        out.append(
            f"<line x1='{legend_x}' x2='{legend_x + 22}' y1='{legend_y}' y2='{legend_y}' "
            f"stroke='{colour}' stroke-width='2'{dash}/>"
        )
        out.append(f"<text x='{legend_x + 28}' y='{legend_y + 4}'>{escape(name)}</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _base_index(names: list[str], name: str) -> int:
    """Colour index: a "[before]" row takes its current row's colour."""
    base = name.removesuffix(" [before]")
    bases: list[str] = []
    for other in names:
        stripped = other.removesuffix(" [before]")
        if stripped not in bases:
            bases.append(stripped)
    return bases.index(base)


def bar_chart(title: str, unit: str, bars: list[tuple[str, float]], note: str) -> str:
    """Horizontal bars, one per label."""
    height = 90 + 34 * len(bars)
    label_w, plot_w = 190, WIDTH - 190 - 110
    top = max(value for _, value in bars) or 1.0
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
        f"viewBox='0 0 {WIDTH} {height}' {FONT} font-size='12'>",
        f"<rect width='{WIDTH}' height='{height}' fill='white'/>",
        f"<text x='16' y='24' font-size='16' font-weight='bold'>{escape(title)}</text>",
        f"<text x='16' y='{height - 12}' fill='#555'>{escape(note)}</text>",
    ]
    for index, (label, value) in enumerate(bars):
        y = 44 + index * 34
        width = plot_w * value / top
        colour = COLOURS[index % len(COLOURS)]
        out.append(f"<text x='{label_w - 8}' y='{y + 17}' text-anchor='end'>{escape(label)}</text>")
        out.append(f"<rect x='{label_w}' y='{y}' width='{width:.1f}' height='24' fill='{colour}'/>")
        out.append(
            f"<text x='{label_w + width + 6:.1f}' y='{y + 17}'>{value:,.0f} {escape(unit)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def draw(suite: dict[str, Any], folder: Path) -> list[Path]:
    """Write the charts of ``suite`` (the dict ``python -m benchmarks`` saves) to ``folder``.

    The send charts of the uvicorn mode are ``send-rps.svg`` and ``send-cpu.svg`` (the
    responder's when only it ran), those of the responder, when both ran,
    ``send-rps-responder.svg`` and ``send-cpu-responder.svg``; ``walk.svg`` has the walks
    of every mode.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    machine = suite.get("machine", {})
    note = (
        f"python -m benchmarks, one run; {machine.get('nproc', '?')} cores shared with "
        f"other work; Python {machine.get('python', '?')}; medians of repeats"
    )
    sends = suite.get("send", {})
    if "rows" in sends:  # a run from before the server modes
        sends = {"responder": sends}
    for mode, send in sends.items():
        suffix = "" if mode == "uvicorn" or len(sends) == 1 else f"-{mode}"
        for key, name, title, label in (
            ("rps", "send-rps", "send: requests/s by concurrency", "requests/s (log)"),
            (
                "cpu_us_per_call",
                "send-cpu",
                "send: client CPU per call by concurrency",
                "client CPU µs per call (log)",
            ),
        ):
            series: dict[str, list[tuple[float, float]]] = {}
            for row in send["rows"]:
                series.setdefault(row["client"], []).append((row["concurrency"], row[key]))
            path = folder / f"{name}{suffix}.svg"
            path.write_text(line_chart(f"{title} ({mode})", label, series, note), encoding="utf-8")
            written.append(path)
    bars: list[tuple[str, float]] = []
    messages = 0
    for mode, section in suite.get("pagination", {}).items():
        walk = _walk_row(section)
        if walk is None:
            continue
        messages = walk["messages"]
        bars.append((f"{mode}: raw httpx + json", walk["raw_httpx_messages_per_s"]))
        if "before" in walk:
            bars.append((f"{mode}: SDK, before", walk["before"]["messages_per_s"]))
        bars.append((f"{mode}: SDK, now", walk["messages_per_s"]))
    if bars:
        path = folder / "walk.svg"
        path.write_text(
            bar_chart(f"Walking {messages:,} messages (full models), asyncio", "msg/s", bars, note),
            encoding="utf-8",
        )
        written.append(path)
    return written


def _walk_row(section: dict[str, Any]) -> dict[str, Any] | None:
    runs = section.get("results", {}).get("backends", {}).get("asyncio", [])
    return runs[-1] if runs else None


def main(argv: list[str]) -> None:
    source = Path(argv[0]) if argv else Path(__file__).parent / "results" / "suite.json"
    folder = Path(argv[1]) if len(argv) > 1 else Path("docs/images")
    for path in draw(json.loads(source.read_text()), folder):
        print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
