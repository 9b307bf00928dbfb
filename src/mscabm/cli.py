"""The ``mscabm`` command (also ``python -m mscabm``).

Exit codes: 0 success, 1 the run failed while running (or a file could not be written), 2 bad
input (config, options), 130 interrupted by Ctrl-C (SIGINT), 143 stopped by SIGTERM. Either
signal stops a run the same way: what is complete is written (the time series so far and a
``summary.json`` marked ``interrupted``; an experiment's finished runs and manifest), then the
command exits.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from pathlib import Path

from mscabm import __version__
from mscabm.config import ConfigError, load_config
from mscabm.interrupts import exit_code, install_sigterm

EXAMPLES = """\
examples:
  mscabm run                                   built-in default configuration
  mscabm run src/mscabm/presets/coculture.toml --steps 2880 --seed 7
  mscabm run --set cells.MSC.count=0 --set model.name=no_msc
  mscabm validate src/mscabm/presets/coculture.toml
  mscabm show-config > my.toml                 the full default, to edit
  mscabm describe tests/data/open_vocabulary.toml   the cell types, fields and rules a config declares
  mscabm import-rules cell_rules.csv --out rules.toml    PhysiCell rules as [rules.*]
"""


def _add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", nargs="?", default=None,
                   help="TOML file or preset name (src/mscabm/presets/) (default: the built-in default)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override one config value (repeatable), e.g. --set domain.width_um=500")


COMMANDS: dict = {}  # filled by build_parser: name -> handler

#: Modules that add subcommands: each has ``register(subparsers) -> {name: handler(args) -> int}``.
#: Handlers may raise ConfigError (exit 2, message with the key path).
PLUGIN_MODULES = ("mscabm.experiments.cli", "mscabm.bench.cli", "mscabm.dashboard.cli", "mscabm.calibration",
                  "mscabm.fit.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mscabm", description="Agent-based simulation of MSC immunomodulation.",
                                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"mscabm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run one simulation and write its output folder",
                       description="Run one simulation. Writes config.toml, timeseries.parquet, cells/, fields/ "
                                   "and summary.json into the output folder.")
    _add_config_args(p)
    p.add_argument("--steps", type=int, help="number of steps (overrides model.steps)")
    p.add_argument("--seed", type=int, help="master seed (overrides model.seed)")
    p.add_argument("--out", type=Path, help="output folder (default runs/<name>-<timestamp>/)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run files of an earlier run in --out (default: a non-empty --out is refused)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--checkpoint-every", type=int, default=0, metavar="N",
                   help="write OUT/checkpoint.npz every N steps (atomic), so a killed run can be resumed")
    p.add_argument("--resume", type=Path, metavar="DIR",
                   help="continue the killed run in DIR from its checkpoint, with DIR/config.toml "
                        "(bit-identical to an uninterrupted run)")

    p = sub.add_parser("validate", help="check a config file and print what it resolves to",
                       description="Validate a config (exit 0 if valid, 2 with the key path if not).")
    _add_config_args(p)

    p = sub.add_parser("show-config", help="print the resolved configuration as TOML",
                       description="Print the resolved configuration (default, file and --set merged) as TOML.")
    _add_config_args(p)

    p = sub.add_parser("describe", help="print the model a config declares: cell types, fields, variables, rules",
                       description="Print the Markdown tables of docs/model.md for a configuration's declared "
                                   "vocabulary: its cell types and states, fields, per-cell variables, base "
                                   "behaviours and rules (built-in and declared alike).")
    _add_config_args(p)

    p = sub.add_parser("import-rules", help="convert a PhysiCell rules CSV into mscabm [rules.*] TOML",
                       description="Read a PhysiCell rules CSV (v3 grammar: cell type, signal, increases/decreases, "
                                   "behaviour, max response, half-max, Hill power, applies to dead) and write the "
                                   "equivalent [rules.*] tables, checked against the config (exit 2 naming the CSV "
                                   "line and column for anything that cannot be mapped). Mapping: "
                                   "src/mscabm/rules_import.py, docs/model.md.")
    p.add_argument("csv", type=Path, help="the PhysiCell rules CSV (e.g. config/cell_rules.csv)")
    p.add_argument("--out", type=Path, help="TOML file to write (default: standard output)")
    p.add_argument("--map", dest="renames", action="append", default=[], metavar="OLD=NEW",
                   help="rename a PhysiCell cell type or substrate (repeatable), e.g. --map 'M1 macrophage=MAC.M1'")
    p.add_argument("--config", default=None, help="check against this config file or preset (default: built-in)")

    for module in PLUGIN_MODULES:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):  # a real import error inside the plugin
                raise
            continue
        COMMANDS.update(mod.register(sub))
    return parser


def _load(args: argparse.Namespace, extra: list[str] | None = None):
    return load_config(args.config, overrides=list(args.overrides) + (extra or []))


def cmd_run(args: argparse.Namespace) -> int:
    from mscabm.engine.population import PopulationCapacityError
    from mscabm.model import NumericalError
    from mscabm.observe.checkpoint import CheckpointError
    from mscabm.observe.io import OutputError
    from mscabm.run import run_simulation

    if args.checkpoint_every < 0:
        raise ConfigError("--checkpoint-every", f"{args.checkpoint_every} is out of range; allowed: >= 0 steps")
    out = args.out
    if args.resume is not None:
        if args.config or args.overrides or args.steps is not None or args.seed is not None or args.out:
            raise ConfigError("--resume", "takes the run folder only: its config.toml fixes the configuration")
        out = args.resume
        if not (out / "config.toml").is_file():
            raise ConfigError("--resume", f"{out} is not a run folder (no config.toml)")
        cfg = load_config(out / "config.toml")
    else:
        extra = []
        if args.steps is not None:
            extra.append(f"model.steps={args.steps}")
        if args.seed is not None:
            extra.append(f"model.seed={args.seed}")
        cfg = _load(args, extra)
        if out is not None:
            _clear_run_folder(out, args.overwrite)
    try:
        summary = run_simulation(cfg, out, progress=not args.quiet, checkpoint_every=args.checkpoint_every,
                                 resume=args.resume is not None)
    except CheckpointError as exc:
        print(f"mscabm: cannot resume: {exc}", file=sys.stderr)
        return 2
    except (PopulationCapacityError, OutputError, NumericalError) as exc:
        print(f"mscabm: run stopped: {exc}", file=sys.stderr)
        return 1
    final = summary["final"]
    counts = ", ".join(f"{k[2:]}={v}" for k, v in final.items()
                       if k.startswith("n_") and k.count("_") == 1 and k not in ("n_cells", "n_apoptotic"))
    print(f"mscabm: {summary['steps']} steps ({summary['time_min']:.0f} min simulated) in {summary['wall_s']:.1f} s, "
          f"{summary['cell_steps_per_s'] or 0:.3g} cell-steps/s")
    print(f"  cells: {final['n_cells']} alive ({counts}), {final['n_apoptotic']} apoptotic")
    fields = ", ".join(f"{k[5:]}={v:.3g}" for k, v in final.items() if k.startswith("mean_"))
    print(f"  mean fields: {fields}")
    print(f"  output: {summary['out_dir']}")
    return 0


#: what a run writes into its folder (observe/output.py, observe/checkpoint.py)
RUN_FILES = ("config.toml", "timeseries.parquet", "summary.json", "checkpoint.npz")
RUN_DIRS = ("cells", "fields")


def _clear_run_folder(out: Path, overwrite: bool) -> None:
    """Refuse a non-empty ``--out`` (its old snapshots would mix with the new run's) unless
    ``--overwrite``, which removes the earlier run's files only (and refuses a folder holding others)."""
    import shutil

    if out.exists() and not out.is_dir():
        raise ConfigError("--out", f"{out} is a file; allowed: a new or empty folder, or a run folder with --overwrite")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not overwrite:
        raise ConfigError("--out", f"{out} is not empty; allowed: a new or empty folder, or --overwrite to replace "
                                   "the earlier run there")
    other = [p.name for p in out.iterdir() if p.name not in RUN_FILES + RUN_DIRS]
    if other:
        raise ConfigError("--out", f"{out} holds files that are not a run's ({', '.join(sorted(other)[:5])}); "
                                   "--overwrite replaces only a run folder")
    for name in RUN_DIRS:
        shutil.rmtree(out / name, ignore_errors=True)
    for name in RUN_FILES:
        (out / name).unlink(missing_ok=True)


def cmd_validate(args: argparse.Namespace) -> int:
    cfg = _load(args)
    ny, nx = cfg.lattice_shape
    import numpy as np

    from mscabm.assembly import build_diffusion
    from mscabm.engine.lattice import Lattice

    build_diffusion(cfg, Lattice((ny, nx), cfg.domain.voxel_um, list(cfg.fields), dtype=np.dtype(cfg.domain.dtype),
                                 thickness_um=cfg.domain.thickness_um))
    total = sum(c.count for c in cfg.cells.values())
    print(f"{args.config or 'built-in default'}: valid ({total} cells, lattice {nx} x {ny} voxels, "
          f"{len(cfg.fields)} fields, {sum(r.enabled for r in cfg.rules.values())} rules, "
          f"{cfg.model.steps} steps of {cfg.model.dt_min} min)")
    return 0


def cmd_show_config(args: argparse.Namespace) -> int:
    sys.stdout.write(_load(args).to_toml())
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    from mscabm.modeldoc import render

    sys.stdout.write(render(_load(args)))
    return 0


def cmd_import_rules(args: argparse.Namespace) -> int:
    from mscabm.observe.io import OutputError, atomic_write_text
    from mscabm.rules_import import import_rules, read_rules_csv

    text, rules, warnings = import_rules(read_rules_csv(args.csv), str(args.csv), args.renames, args.config)
    for warning in warnings:
        print(f"mscabm: warning: {warning}", file=sys.stderr)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        atomic_write_text(args.out, text)
    except OutputError as exc:
        raise ConfigError("--out", str(exc)) from None
    print(f"mscabm: {len(rules)} rules from {args.csv} written to {args.out}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    COMMANDS.update({"run": cmd_run, "validate": cmd_validate, "show-config": cmd_show_config, "describe": cmd_describe,
                     "import-rules": cmd_import_rules})
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    previous = install_sigterm()
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"mscabm: config error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        name, code = exit_code(exc)
        print(f"mscabm: stopped by {name}; what was complete is written", file=sys.stderr)
        return code
    except OSError as exc:  # a file that cannot be written or read (full disk, read-only folder, no inodes)
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"mscabm: file error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
