"""Time-series charts of a run (and its comparison run on the same axes).

:func:`chart_panels` decides what is drawn (six panels of series); :func:`chart_svg` draws them as
inline SVG for the page (a few milliseconds, so the live page redraws them every second or two
without holding up frames) and :func:`chart_png` as one matplotlib PNG (the live page's "charts (PNG)"
export). Both draw the same panels.
"""

from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mscabm.dashboard.render import TYPE_COLOURS

#: percentage panel: (column of session.derived, label); a column the run lacks is skipped
_PCT = [("pct_MSC_surviving", "MSC surviving"), ("pct_MSC_licensed", "MSC licensed"), ("pct_MAC_M2", "M2 of MAC"),
        ("pct_T_Th1", "Th1 of CD4"), ("pct_T_Th17", "Th17 of CD4"), ("pct_T_Treg", "Treg of CD4"),
        ("pct_T_Th2", "Th2 of CD4"),
        ("pct_CD8_CTL", "CTL of CD8"), ("pct_B_plasma", "plasma of B"), ("pct_PDC_active", "active of pDC"),
        ("pct_NEUT_active", "active of neutrophils"), ("pct_TISSUE_damaged", "tissue damaged"),
        ("pct_KERAT_hyperproliferative", "hyperproliferative keratinocytes"),
        ("pct_EPI_damaged", "epithelium breached"),
        ("pct_suppression_T_proliferation", "suppression of T proliferation")]
#: cumulative events panel: (readout, label)
_EVENTS = [("kills_by_NK_total", "NK kills"), ("kills_by_CD8_total", "CTL kills"), ("killed_MSC_total", "MSCs killed"),
           ("engulfed_total", "apoptotic bodies engulfed")]
#: ratios panel: (readout, label)
_RATIOS = [("Th17_Treg_ratio", "Th17 / Treg"), ("T_proliferation_index", "T proliferation index (divisions per T)")]
#: tab10 / tab20 as hex (matplotlib's category colours, without importing matplotlib)
TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
TAB20 = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd", "#c5b0d5",
         "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5"]


#: the percentage panel's colours: tab10, then tab20's light shades (it has more than ten series)
_PCT_COLOURS = TAB10 + TAB20[1::2]


def _hex(rgb) -> str:
    return "#%02x%02x%02x" % tuple(rgb)


@dataclass
class Series:
    """One line: x in hours, y in the panel's unit; ``dashed`` for the comparison run; ``label``
    None to leave it out of the legend (the comparison run repeats the main run's labels)."""

    x: np.ndarray
    y: np.ndarray
    colour: str
    label: str | None
    dashed: bool = False
    width: float = 1.3


@dataclass
class Panel:
    title: str
    ylabel: str = ""
    xlabel: str = ""
    log: bool = False
    series: list[Series] = field(default_factory=list)


def chart_panels(main: pd.DataFrame, control: pd.DataFrame | None = None, *, type_names=(), state_type: str = "T",
                 state_names=(), field_units: dict[str, str] | None = None,
                 suppression: pd.Series | None = None) -> list[Panel]:
    """Six panels: cells by type, cells by state (one type), cumulative kills and engulfment,
    percentages (CD4 fates, CD8 CTLs, plasma cells, M2 macrophages, MSC licensing and survival,
    suppression vs the control), ratios (Th17/Treg, T proliferation index) and mean field levels
    (log). ``control`` (if given) is dashed on the same axes."""
    runs = [(main, False)] + ([(control, True)] if control is not None and len(control) else [])

    def hours(df):
        return np.asarray(df["time_min"], dtype=float) / 60.0

    def add(panel, items):
        for df, dashed in runs:
            for col, label, colour in items:
                if col in df:
                    y = np.asarray(df[col], dtype=float)
                    if np.isfinite(y).any():
                        panel.series.append(Series(hours(df), y, colour, None if dashed else label, dashed))

    types = Panel("live cells by type", "cells")
    add(types, [(f"n_{t}", t, _hex(TYPE_COLOURS.get(t, (80, 80, 80)))) for t in type_names])
    states = Panel(f"{state_type} cells by state")
    add(states, [(f"n_{state_type}_{s}", f"{state_type} {s}", TAB10[k % 10]) for k, s in enumerate(state_names)])
    events = Panel("kills and clearance (cumulative)", "events")
    add(events, [(c, lab, TAB10[k]) for k, (c, lab) in enumerate(_EVENTS)])
    pct = Panel("percentages", "%", "time (h)")
    add(pct, [(c, lab, _PCT_COLOURS[k]) for k, (c, lab) in enumerate(_PCT)])
    if suppression is not None and len(suppression) and np.isfinite(suppression.to_numpy(dtype=float)).any():
        pct.series.append(Series(hours(main), suppression.to_numpy(dtype=float), "#000000",
                                 "% suppression of T proliferation vs control", width=2.2))
    ratios = Panel("ratios", "", "time (h)")
    add(ratios, [(c, lab, TAB10[k]) for k, (c, lab) in enumerate(_RATIOS)])
    fields = Panel("mean field level (log)", "", "time (h)", log=True)
    units = (field_units or {}).items()
    add(fields, [(f"mean_{f}_{u}", f"{f} ({u})", TAB20[k % 20]) for k, (f, u) in enumerate(units)])
    for s in fields.series:
        s.y = np.where(s.y > 0, s.y, np.nan)
    return [types, states, events, pct, ratios, fields]


# ---------------------------------------------------------------------------------------------- SVG


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values (1, 2, 5 x 10^k steps) covering [lo, hi]."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + (abs(lo) if lo else 1.0)
    raw = (hi - lo) / max(1, n)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    return [round(start + i * step, 12) for i in range(int((hi - start) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    """A tick label: whole numbers up to 10^6 in full (1,500), else 3 significant digits."""
    if float(v).is_integer() and abs(v) < 1e6:
        return f"{int(v):,}"
    return f"{v:.3g}"


def _downsample(x: np.ndarray, y: np.ndarray, most: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``most`` points, evenly spaced in the index (the last point kept)."""
    if len(x) <= most:
        return x, y
    idx = np.unique(np.r_[np.linspace(0, len(x) - 1, most).astype(int), len(x) - 1])
    return x[idx], y[idx]


def panel_svg(panel: Panel, width: int = 430, height: int = 260, most_points: int = 400) -> str:
    """One panel as an ``<svg>``: axes with round ticks, one polyline per series (broken at NaN),
    dashed for the comparison run, a legend below. Data maps linearly (log10 for a log panel) from
    the data range to the plot box; ``data-*`` attributes on the plot box record the mapping."""
    left, right, top, bottom = 52, 8, 20, 34
    pw, ph = width - left - right, height - top - bottom
    xs = [s.x[np.isfinite(s.y)] for s in panel.series]
    ys = [s.y[np.isfinite(s.y)] for s in panel.series]
    xs, ys = [a for a in xs if len(a)], [a for a in ys if len(a)]
    x0, x1 = (min(a.min() for a in xs), max(a.max() for a in xs)) if xs else (0.0, 1.0)
    if x1 <= x0:
        x1 = x0 + 1.0
    tf = np.log10 if panel.log else (lambda v: np.asarray(v, dtype=float))
    if ys:
        y0, y1 = float(min(tf(a).min() for a in ys)), float(max(tf(a).max() for a in ys))
    else:
        y0, y1 = 0.0, 1.0
    if not panel.log:
        y0 = min(y0, 0.0)
    if y1 <= y0:
        y1 = y0 + (abs(y0) if y0 else 1.0)
    pad = 0.04 * (y1 - y0)
    y0, y1 = y0 - (pad if panel.log or y0 < 0 else 0.0), y1 + pad

    def px(v):
        return left + (np.asarray(v, dtype=float) - x0) / (x1 - x0) * pw

    def py(v):
        return top + ph - (tf(v) - y0) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'style="font:10px sans-serif;background:white">',
           f'<text x="{left + pw / 2}" y="13" text-anchor="middle" style="font-weight:600">'
           f'{html.escape(panel.title)}</text>',
           f'<rect class="plot" x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#888" '
           f'data-x0="{float(x0)!r}" data-x1="{float(x1)!r}" data-y0="{float(y0)!r}" data-y1="{float(y1)!r}" '
           f'data-log="{int(panel.log)}"/>']
    for t in nice_ticks(x0, x1):
        X = float(px(t))
        out.append(f'<line x1="{X:.1f}" x2="{X:.1f}" y1="{top + ph}" y2="{top + ph + 4}" stroke="#888"/>'
                   f'<text x="{X:.1f}" y="{top + ph + 14}" text-anchor="middle">{_fmt(t)}</text>')
    if panel.log:
        decades = list(range(math.ceil(y0), math.floor(y1) + 1))
        yt = [10.0 ** k for k in decades[::max(1, math.ceil(len(decades) / 6))]]
    else:
        yt = nice_ticks(y0, y1)
    for t in yt:
        Y = float(py(t))
        out.append(f'<line x1="{left - 4}" x2="{left + pw}" y1="{Y:.1f}" y2="{Y:.1f}" stroke="#eee"/>'
                   f'<text x="{left - 6}" y="{Y + 3:.1f}" text-anchor="end">{_fmt(t)}</text>')
    if panel.xlabel:
        out.append(f'<text x="{left + pw / 2}" y="{height - 3}" text-anchor="middle">'
                   f'{html.escape(panel.xlabel)}</text>')
    if panel.ylabel:
        out.append(f'<text transform="translate(11,{top + ph / 2}) rotate(-90)" text-anchor="middle">'
                   f'{html.escape(panel.ylabel)}</text>')
    for s in panel.series:
        x, y = _downsample(np.asarray(s.x, dtype=float), np.asarray(s.y, dtype=float), most_points)
        ok = np.isfinite(y) & np.isfinite(x)
        X, Y = px(x), py(np.where(ok, y, 1.0))
        dash = ' stroke-dasharray="5,3"' if s.dashed else ""
        for run in np.split(np.arange(len(x)), np.flatnonzero(~ok)):
            run = run[ok[run]]
            if len(run) == 0:
                continue
            pts = " ".join(f"{X[i]:.1f},{Y[i]:.1f}" for i in run)
            if len(run) == 1:
                out.append(f'<circle cx="{X[run[0]]:.1f}" cy="{Y[run[0]]:.1f}" r="2" fill="{s.colour}"/>')
            else:
                out.append(f'<polyline class="series" points="{pts}" fill="none" stroke="{s.colour}" '
                           f'stroke-width="{s.width}"{dash}><title>{html.escape(s.label or "")}</title></polyline>')
    out.append("</svg>")
    return "".join(out)


def legend_html(panel: Panel) -> str:
    items = [s for s in panel.series if s.label]
    return "".join(f'<span style="white-space:nowrap;margin-right:6px"><span style="display:inline-block;width:14px;'
                   f'height:3px;background:{s.colour};vertical-align:middle"></span> {html.escape(s.label)}</span> '
                   for s in items)


def chart_svg(main: pd.DataFrame, control: pd.DataFrame | None = None, *, labels=("treated", "control"),
              **kw) -> str:
    """The six panels as HTML: inline SVGs with their legends, wrapping in rows (``kw`` as :func:`chart_panels`)."""
    panels = chart_panels(main, control, **kw)
    cells = "".join(f'<div style="display:inline-block;vertical-align:top;width:430px;margin:0 6px 6px 0">'
                    f'{panel_svg(p)}<div style="font-size:10px;line-height:1.3">{legend_html(p)}</div></div>'
                    for p in panels)
    note = (f'<div style="font-size:11px">solid: {html.escape(labels[0])} &nbsp; dashed: {html.escape(labels[1])}'
            f'</div>') if control is not None and len(control) else ""
    return f'<div class="mscabm-chart-svg">{note}{cells}</div>'


# ---------------------------------------------------------------------------------------------- PNG


def chart_png(main: pd.DataFrame, control: pd.DataFrame | None = None, *, labels=("treated", "control"),
              width_in: float = 13.0, **kw) -> bytes:
    """The six panels of :func:`chart_panels` as one matplotlib PNG (``kw`` as :func:`chart_panels`)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, 6.4), dpi=80)
    axes = fig.subplots(2, 3).ravel()
    order = [0, 1, 2, 3, 4, 5]
    panels = chart_panels(main, control, **kw)
    for ax, k in zip(axes, order):
        p = panels[k]
        for s in p.series:
            ax.plot(s.x, s.y, "--" if s.dashed else "-", marker="o" if len(s.x) < 3 else None, color=s.colour,
                    lw=s.width, label=s.label)
        ax.set_title(p.title)
        if p.ylabel:
            ax.set_ylabel(p.ylabel)
        if p.xlabel:
            ax.set_xlabel(p.xlabel)
        if p.log and p.series:
            ax.set_yscale("log")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6 if p.log else 7, ncol=2 if p.log else 1)
    if control is not None and len(control):
        fig.suptitle(f"solid: {labels[0]}   dashed: {labels[1]}", fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.08, top=0.92, wspace=0.2, hspace=0.3)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _sim_chart_args(sim, state_type: str) -> tuple[pd.DataFrame, pd.DataFrame | None, dict]:
    from mscabm.dashboard.session import suppression

    with sim.lock:
        m = sim.main.model
        t = m.tables
        main = sim.main.timeseries()
        control = sim.compare.timeseries() if sim.compare is not None else None
        states = t.state_names[t.type_names.index(state_type)] if state_type in t.type_names else ()
        units = {f: m.config.fields[f].unit for f in t.field_names}
        labels = (sim.main.label, sim.compare.label if sim.compare is not None else "")
        is_control = sim.compare_is_control
    sup = suppression(main, control) if control is not None and is_control else None
    return main, control, dict(type_names=t.type_names, state_type=state_type, state_names=states,
                               field_units=units, labels=labels, suppression=sup)


def sim_chart_png(sim, state_type: str = "T") -> bytes:
    """The chart of a :class:`~mscabm.dashboard.session.Sim` as a PNG (main run, comparison dashed)."""
    main, control, kw = _sim_chart_args(sim, state_type)
    return chart_png(main, control, **kw)


def sim_chart_svg(sim, state_type: str = "T") -> str:
    """The chart of a :class:`~mscabm.dashboard.session.Sim` as inline SVG (what the page shows)."""
    main, control, kw = _sim_chart_args(sim, state_type)
    return chart_svg(main, control, **kw)
