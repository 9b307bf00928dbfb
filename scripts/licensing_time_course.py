"""The MSC licensing time course: expression levels over 48 h of each stimulus, then 72 h after removal.

Integrates one MSC in medium with the model's own rules (mscabm/pretreatment.py) and draws
docs/figures/licensing_time_course.png next to the kinetics of SCIENCE.md s3b (induction over
~24-48 h, decline over ~1-3 days after removal). Also prints the levels at 24 h, 48 h and 72 h
after removal as a Markdown table (pasted into docs/model.md).

    python scripts/licensing_time_course.py [--out docs/figures/licensing_time_course.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

#: stimulus -> field levels held for 48 h (the pre-treatment protocols' concentrations; TLR ligands
#: are held as long as the cytokines here, to show the response, not the 1-h priming protocol)
STIMULI = {"IFN-gamma": {"IFNG": 1000.0}, "IFN-gamma + TNF-alpha": {"IFNG": 1000.0, "TNF": 600.0},
           "TNF-alpha alone": {"TNF": 600.0}, "TLR3 (poly(I:C))": {"PIC": 1.0}, "TLR4 (LPS)": {"LPS": 1.0}}
SHOWN = ("IDO1", "PTGS2", "CD274", "TNFAIP6", "NOS2")
LABEL = {"IDO1": "IDO1 (IDO)", "PTGS2": "PTGS2 (COX-2)", "CD274": "CD274 (PD-L1)", "TNFAIP6": "TNFAIP6 (TSG-6)",
         "NOS2": "NOS2 (iNOS)"}


def time_courses(on_h: float = 48.0, off_h: float = 72.0) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]:
    """stimulus -> (hours, variable -> level) over ``on_h`` with the stimulus and ``off_h`` without."""
    from mscabm.assembly import build_tables
    from mscabm.config import build_config, load_config
    from mscabm.pretreatment import pretreat_in_medium

    cfg = load_config(None)
    tables = build_tables(cfg)
    out = {}
    for name, levels in STIMULI.items():
        on = pretreat_in_medium(tables, cfg, "MSC", levels, on_h * 60.0)
        data = cfg.to_dict()
        for v, value in on.levels.items():
            data["cells"]["MSC"]["variables"][v]["initial"] = value
        cfg_off = build_config(data)
        off = pretreat_in_medium(build_tables(cfg_off), cfg_off, "MSC", {}, off_h * 60.0, state=on.state)
        traj = np.vstack([on.trajectory, off.trajectory[1:]])
        hours = np.arange(len(traj)) * cfg.model.dt_min / 60.0
        out[name] = (hours, {v: traj[:, tables.variable_names.index(v)] for v in SHOWN})
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs/figures/licensing_time_course.png")
    args = p.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    courses = time_courses()
    fig, axes = plt.subplots(1, len(SHOWN), figsize=(3.0 * len(SHOWN), 3.0), sharey=True)
    for ax, v in zip(axes, SHOWN):
        ax.axvspan(24, 48, color="0.9", lw=0)
        ax.axvspan(48 + 24, 48 + 72, color="0.95", lw=0)
        for name, (hours, levels) in courses.items():
            ax.plot(hours, levels[v], label=name)
        ax.axvline(48, color="0.5", lw=0.8, ls="--")
        ax.set_title(LABEL[v], fontsize=9)
        ax.set_xlabel("h (stimulus removed at 48 h)", fontsize=8)
        ax.set_xticks([0, 24, 48, 72, 96, 120])
    axes[0].set_ylabel("expression level (1 = maximal)")
    axes[-1].legend(fontsize=7, loc="upper right")
    fig.suptitle("MSC expression kinetics (model); shaded: induction over 24-48 h and decline over 1-3 days "
                 "after removal (SCIENCE.md s3b)", fontsize=9)
    fig.tight_layout()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")
    print("| stimulus | level | 24 h | 48 h | 48 h + 24 h off | 48 h + 72 h off |")
    print("|---|---|---|---|---|---|")
    for name, (_hours, levels) in courses.items():
        for v in SHOWN:
            at = [levels[v][int(round(h * 60))] for h in (24, 48, 72, 120)]
            if max(at) > 0.01:
                print(f"| {name} | {v} | " + " | ".join(f"{x:.2f}" for x in at) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
