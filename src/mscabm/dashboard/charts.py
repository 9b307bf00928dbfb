"""Time-series charts of a run (and its comparison run on the same axes), as one PNG via matplotlib."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from mscabm.dashboard.render import TYPE_COLOURS

#: percentage panel: (column of session.derived, label); a column the run lacks is skipped
_PCT = [("pct_MSC_surviving", "MSC surviving"), ("pct_MSC_licensed", "MSC licensed"), ("pct_MAC_M2", "M2 of MAC"),
        ("pct_T_Th1", "Th1 of CD4"), ("pct_T_Th17", "Th17 of CD4"), ("pct_T_Treg", "Treg of CD4"),
        ("pct_CD8_CTL", "CTL of CD8"), ("pct_B_plasma", "plasma of B"), ("pct_TISSUE_damaged", "tissue damaged"),
        ("pct_suppression_T_proliferation", "suppression of T proliferation")]
#: cumulative events panel: (readout, label)
_EVENTS = [("kills_by_NK_total", "NK kills"), ("kills_by_CD8_total", "CTL kills"), ("killed_MSC_total", "MSCs killed"),
           ("engulfed_total", "apoptotic bodies engulfed")]
#: ratios panel: (readout, label)
_RATIOS = [("Th17_Treg_ratio", "Th17 / Treg"), ("T_proliferation_index", "T proliferation index (divisions per T)")]


def _hex(rgb) -> str:
    return "#%02x%02x%02x" % tuple(rgb)


def chart_png(main: pd.DataFrame, control: pd.DataFrame | None = None, *, type_names=(), state_type: str = "T",
              state_names=(), field_units: dict[str, str] | None = None, labels=("treated", "control"),
              suppression: pd.Series | None = None, width_in: float = 13.0) -> bytes:
    """Six panels: cells by type, cells by state (one type), cumulative kills and engulfment,
    percentages (CD4 fates, CD8 CTLs, plasma cells, M2 macrophages, MSC licensing and survival),
    ratios (Th17/Treg, T proliferation index) and mean field levels.

    ``control`` (if given) is drawn dashed on the same axes.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, 6.4), dpi=80)
    axes = fig.subplots(2, 3)
    few = len(main) < 3  # single points are invisible as lines
    marker = "o" if few else None
    runs = [(main, "-", labels[0])] + ([(control, "--", labels[1])] if control is not None and len(control) else [])

    def hours(df):
        return np.asarray(df["time_min"], dtype=float) / 60.0

    ax = axes[0, 0]
    for df, ls, _lab in runs:
        for _k, t in enumerate(type_names):
            col = f"n_{t}"
            if col in df:
                ax.plot(hours(df), df[col], ls, marker=marker, color=_hex(TYPE_COLOURS.get(t, (80, 80, 80))),
                        label=t if ls == "-" else None)
    ax.set_title("live cells by type")
    ax.set_ylabel("cells")
    ax.legend(fontsize=7, ncol=3)

    ax = axes[0, 1]
    cmap = matplotlib.colormaps["tab10"]
    for df, ls, _lab in runs:
        for k, s in enumerate(state_names):
            col = f"n_{state_type}_{s}"
            if col in df:
                ax.plot(hours(df), df[col], ls, marker=marker, color=cmap(k),
                        label=f"{state_type} {s}" if ls == "-" else None)
    ax.set_title(f"{state_type} cells by state")
    ax.legend(fontsize=7)

    def series_panel(ax, items, title, ylabel):
        for df, ls, _lab in runs:
            for k, (col, name) in enumerate(items):
                if col in df and np.isfinite(np.asarray(df[col], dtype=float)).any():
                    ax.plot(hours(df), np.asarray(df[col], dtype=float), ls, marker=marker, color=cmap(k),
                            label=name if ls == "-" else None)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)

    series_panel(axes[0, 2], _EVENTS, "kills and clearance (cumulative)", "events")
    series_panel(axes[1, 1], _RATIOS, "ratios", "")
    axes[1, 1].set_xlabel("time (h)")

    ax = axes[1, 0]
    for df, ls, _lab in runs:
        for k, (col, name) in enumerate(_PCT):
            if col in df and np.isfinite(np.asarray(df[col], dtype=float)).any():
                ax.plot(hours(df), df[col], ls, marker=marker, color=cmap(k), label=name if ls == "-" else None)
    if suppression is not None and len(suppression) and np.isfinite(suppression.to_numpy(dtype=float)).any():
        ax.plot(hours(main), suppression.to_numpy(dtype=float), "-", color="black", lw=2,
                label="% suppression of T proliferation vs control")
    ax.set_title("percentages")
    ax.set_ylabel("%")
    ax.set_xlabel("time (h)")
    ax.legend(fontsize=7)

    ax = axes[1, 2]
    fu = field_units or {}
    fcmap = matplotlib.colormaps["tab20"]  # up to 20 fields, distinguishable
    for df, ls, _lab in runs:
        for k, (f, unit) in enumerate(fu.items()):
            col = f"mean_{f}_{unit}"
            if col in df:
                y = np.asarray(df[col], dtype=float)
                ax.plot(hours(df), np.where(y > 0, y, np.nan), ls, marker=marker, color=fcmap(k % 20),
                        label=f"{f} ({unit})" if ls == "-" else None)
    ax.set_yscale("log")
    ax.set_title("mean field level (log)")
    ax.set_xlabel("time (h)")
    ax.legend(fontsize=6, ncol=2)
    if len(runs) > 1:
        fig.suptitle(f"solid: {labels[0]}   dashed: {labels[1]}", fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.08, top=0.92, wspace=0.2, hspace=0.3)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def sim_chart_png(sim, state_type: str = "T") -> bytes:
    """The chart of a :class:`~mscabm.dashboard.session.Sim` (main run, comparison dashed)."""
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
    return chart_png(main, control, type_names=t.type_names, state_type=state_type, state_names=states,
                     field_units=units, labels=labels, suppression=sup)
