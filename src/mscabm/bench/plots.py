"""One PNG per kernel from a results dict (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_plots(res: dict, out_dir: str | Path) -> list[Path]:
    """Write ``diffusion.png``, ``contact.png``, ``exchange.png``, ``model.png``, ``well.png``,
    ``startup.png`` (those present)."""
    plt = _plt()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    bw = res["stream"]["limit_gb_s"]
    stamp = f"{res['machine']['cpu']}, {res['machine']['numba_threads']} threads, {res['date'][:10]}"

    d = res.get("diffusion")
    if d:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        ax = axes[0]
        for scheme, colour in (("explicit", "C0"), ("lod", "C1"), ("kernel", "C2")):
            for dtype, ls in (("float32", "-"), ("float64", "--")):
                rows = [r for r in d["throughput"] if r["scheme"] == scheme and r["dtype"] == dtype
                        and r["species_set"] == "6"] or \
                       [r for r in d["throughput"] if r["scheme"] == scheme and r["dtype"] == dtype]
                if not rows:
                    continue
                ns = max(r["species"] for r in rows)
                rows = sorted((r for r in rows if r["species"] == ns), key=lambda r: r["size"])
                ax.plot([r["size"] for r in rows], [r["voxel_sweeps_per_s"] for r in rows], ls, color=colour,
                        marker="o", label=f"{scheme} {dtype} (x{ns} fields)")
        for dtype, ls in (("float32", ":"), ("float64", "-.")):
            item = 4 if dtype == "float32" else 8
            ax.axhline(bw * 1e9 / (2 * item), ls=ls, color="k", lw=1,
                       label=f"STREAM limit {dtype} (read+write)")
        ax.axhline(2e8, color="grey", lw=1, ls="--", label="BioFVM 2 threads (issue)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("lattice side (voxels)")
        ax.set_ylabel("voxel-sweeps / s")
        ax.set_title("Diffusion throughput per sweep")
        ax.legend(fontsize=7)
        ax = axes[1]
        rows = d["model_step"]
        labels = [f"{r['scheme']}\n{r['size']}^2" for r in rows]
        ax.bar(range(len(rows)), [r["sim_min_per_wall_s"] for r in rows], color="C2")
        for i, r in enumerate(rows):
            ax.text(i, r["sim_min_per_wall_s"], f"err {r['max_error']:.0e}", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(rows)), labels, fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("simulated min / wall s")
        ax.set_title(f"Default {rows[0]['species'] if rows else ''} fields at dt = 1 min")
        fig.suptitle(stamp, fontsize=8)
        fig.tight_layout()
        written.append(_save(fig, out / "diffusion.png", plt))

    c = res.get("contact")
    if c and c["rows"]:
        fig, ax = plt.subplots(figsize=(6, 4.2))
        rows = sorted(c["rows"], key=lambda r: r["n"])
        n = [r["n"] for r in rows]
        ax.plot(n, [r["agent_updates_per_s"]["median"] for r in rows], "o-", label="mscabm cell list")
        ax.plot(n, [r["sorted_agent_updates_per_s"]["median"] for r in rows], "o--", label="mscabm, cells in bin order")
        ax.plot(n, [r["kdtree_agent_updates_per_s"]["median"] for r in rows], "s-", label="scipy cKDTree")
        ax.axhline(2e7, color="grey", ls="--", lw=1, label="target 2e7")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("cells (~6 neighbours each)")
        ax.set_ylabel("agent-updates / s")
        ax.set_title(f"Contact finding ({stamp})", fontsize=9)
        ax.legend(fontsize=8)
        fig.tight_layout()
        written.append(_save(fig, out / "contact.png", plt))

    e = res.get("exchange")
    if e and e["rows"]:
        fig, ax = plt.subplots(figsize=(6, 4.2))
        rows = sorted(e["rows"], key=lambda r: r["n"])
        ax.plot([r["n"] for r in rows], [r["cells_per_s"]["median"] for r in rows], "o-", label="exchange")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("cells")
        ax.set_ylabel("cells / s")
        ax.set_title(f"Exchange, {rows[0]['species']} fields ({stamp})", fontsize=9)
        ax.legend(fontsize=8)
        fig.tight_layout()
        written.append(_save(fig, out / "exchange.png", plt))

    m = res.get("model")
    if m and m["rows"]:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        rows = sorted(m["rows"], key=lambda r: r["n"])
        n = [r["n"] for r in rows]
        ax = axes[0]
        ax.plot(n, [r["ns_per_cell_step"] for r in rows], "o-", label="mscabm, default biology")
        ax.plot([1e4, 1e5], [1e9 / 4e5, 1e9 / 1.3e5], "s--", color="grey", label="PhysiCell 1.14 (issue)")
        ax.axhline(1e9 / 2e6, color="C3", ls=":", lw=1, label="target 2e6 cell-steps/s")
        me = res.get("mesa")
        if me and me.get("rows"):
            mr = sorted(me["rows"], key=lambda r: r["n"])
            ax.plot([r["n"] for r in mr], [1e9 / r["mesa_cell_steps_per_s"] for r in mr], "^-", color="C1",
                    label="pure Mesa, reduced model")
            ax.plot([r["n"] for r in mr], [1e9 / r["mscabm_cell_steps_per_s"] for r in mr], "v-", color="C4",
                    label="mscabm, reduced model")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("cells")
        ax.set_ylabel("ns per cell-step")
        ax.set_title("Cost per cell-step vs N (flat = linear scaling)")
        ax.legend(fontsize=7)
        ax = axes[1]
        ax.plot(n, [r["bytes_per_cell"] / 1e3 for r in rows], "o-", label="mscabm (tracemalloc peak)")
        ax.set_ylim(0, 9)
        ax.axhline(1.0, color="C3", ls=":", lw=1, label="target 1 KB")
        ax.axhline(7.8, color="grey", ls="--", lw=1, label="PhysiCell 7.8 KB (issue)")
        ax.set_xscale("log")
        ax.set_xlabel("cells")
        ax.set_ylabel("KB per cell")
        ax.set_title("Memory per cell")
        ax.legend(fontsize=7)
        fig.suptitle(stamp, fontsize=8)
        fig.tight_layout()
        written.append(_save(fig, out / "model.png", plt))
    w = res.get("well")
    if w:
        r = w["median"]
        items = sorted(list(r["phases_s"].items()) + [("glue", r["glue_s"])], key=lambda kv: kv[1])
        fig, ax = plt.subplots(figsize=(6.5, 3.6))
        ax.barh([k.strip("_") for k, _ in items], [1e3 * v / r["steps"] for _, v in items], color="C0")
        ax.set_xlabel("ms per step")
        ax.set_title(f"Co-culture well, {r['steps']} steps in {r['wall_s']:.1f} s (1 thread; goal: 4 days in 2 s)",
                     fontsize=9)
        fig.suptitle(stamp, fontsize=8)
        fig.tight_layout()
        written.append(_save(fig, out / "well.png", plt))
    st = res.get("startup")
    if st:
        m = st["median"]
        parts = [("Mesa's import", m["import_mesa_s"]), ("mscabm's imports", m["import_s"] - m["import_mesa_s"]),
                 ("config", m["config_s"]), ("build", m["build_s"]), ("first step", m["first_step_s"])]
        parts.insert(0, ("interpreter", max(0.0, m["to_first_step_s"] - sum(v for _, v in parts))))
        parts.append(("exit", max(0.0, m["process_s"] - m["to_first_step_s"])))
        fig, ax = plt.subplots(figsize=(7, 3.2))
        left = 0.0
        for i, (label, v) in enumerate(parts):
            after = label == "exit"  # after the first step: not start-up, drawn apart
            ax.barh([0], [v], left=left, color="0.85" if after else f"C{i}", hatch="//" if after else None,
                    label=f"{label} {v:.2f} s" + (" (not start-up)" if after else ""))
            left += v
        ax.axvline(1.5, color="k", ls=":", lw=1, label="goal 1.5 s (to the end of the first step)")
        ax.set_yticks([])
        ax.set_xlabel("seconds")
        ax.set_title(f"Start-up of a fresh process to its first step ({st['preset']})", fontsize=9)
        ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.5))
        fig.suptitle(stamp, fontsize=8)
        fig.tight_layout()
        written.append(_save(fig, out / "startup.png", plt))
    return written


def _save(fig, path: Path, plt) -> Path:
    from mscabm.observe.io import atomic_write_figure

    try:
        return atomic_write_figure(path, fig, dpi=110)
    finally:
        plt.close(fig)
