"""Calibration targets: the check picks the right runs, computes mean and interval, flags ranges."""

import math

import pandas as pd

from mscabm.calibration import TARGETS, Target, check_targets, to_markdown
from mscabm.experiments import load_spec


def test_every_target_reads_a_spec_and_a_readout_it_produces():
    specs = {name: load_spec(name) for name in {t.spec for t in TARGETS}}
    for t in TARGETS:
        spec = specs[t.spec]
        produced = set(spec.final) | {d.name for d in spec.derived}
        assert t.readout in produced, (t.name, t.readout)
        assert t.low < t.high and t.source


def test_check_selects_condition_rows_and_computes_the_interval():
    target = Target("x", "s", "supp", {"stimulus": "MLR", "dose": "1:10"}, 60.0, 90.0, "obs", "src")
    rows = [{"role": "condition", "stimulus": "MLR", "dose": "1:10", "supp": v} for v in (70.0, 80.0, 75.0)]
    rows += [{"role": "condition", "stimulus": "mitogen", "dose": "1:10", "supp": 5.0},   # other stimulus
             {"role": "control", "stimulus": "MLR", "dose": "1:10", "supp": 0.0},          # the matched control
             {"role": "condition", "stimulus": "MLR", "dose": "1:10", "supp": math.nan}]   # a failed run
    table = check_targets({"s": pd.DataFrame(rows)}, (target,))
    r = table.iloc[0]
    assert r["n"] == 3 and r["model_mean"] == 75.0 and r["in_range"]
    half = 4.303 * 5.0 / math.sqrt(3)  # Student t, 2 degrees of freedom (t table: 4.303); sd of 70, 80, 75 = 5
    assert math.isclose(r["ci95_low"], 75.0 - half, rel_tol=1e-4) and math.isclose(r["ci95_high"], 75.0 + half,
                                                                                  rel_tol=1e-4)
    out = check_targets({"s": pd.DataFrame(rows).assign(supp=lambda d: d["supp"] + 20)}, (target,))
    assert not out.iloc[0]["in_range"]
    missing = check_targets({}, (target,))
    assert missing.iloc[0]["n"] == 0 and not missing.iloc[0]["in_range"]
    assert "no runs" in to_markdown(missing)
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in to_markdown(table).splitlines()]
    assert rows[2][0] == "x" and rows[2][1].startswith("75 [") and rows[2][1].endswith("n=3") and rows[2][3] == "yes"


def test_route_targets_name_levels_of_the_route_spec():
    from mscabm.calibration import ROUTE_SPEC, ROUTE_TARGETS

    spec = load_spec(ROUTE_SPEC)
    levels = {f.name: {lv.label for lv in f.levels} for f in spec.factors}
    for t in ROUTE_TARGETS:
        assert t.route in levels["route_blocked"], t.name
        for col, val in t.where.items():
            assert val in levels[col], (t.name, col)
        assert 0 <= t.low < t.high <= 100 and t.source


def test_route_share_is_per_replicate_against_the_unblocked_suppression():
    """share = 100 (S_none - S_blocked) / S_none with S_none of the same replicate (seed)."""
    from mscabm.calibration import RouteTarget, check_route_targets, route_shares

    rows = []
    for rep, (s0, s1) in enumerate([(80.0, 20.0), (60.0, 30.0), (90.0, 45.0)]):
        for route, s in (("none", s0), ("IDO (1-MT)", s1)):
            rows.append({"role": "condition", "species": "human", "msc_per_responder": "1:10",
                         "route_blocked": route, "replicate": rep, "supp": s})
        rows.append({"role": "control", "species": "human", "msc_per_responder": "1:10", "route_blocked": "none",
                     "replicate": rep, "supp": math.nan})
    df = pd.DataFrame(rows).rename(columns={"supp": "suppression_T_proliferation_pct"})
    shares = route_shares(df)
    got = shares[shares["route_blocked"] == "IDO (1-MT)"].sort_values("replicate")["share_removed_pct"].tolist()
    assert got == [75.0, 50.0, 50.0]
    t = RouteTarget("ido", {"species": "human", "msc_per_responder": "1:10"}, "IDO (1-MT)", 50.0, 100.0, "o", "s")
    r = check_route_targets(df, (t,)).iloc[0]
    assert r["n"] == 3 and math.isclose(r["model_mean"], 175.0 / 3) and r["in_range"]
    assert check_route_targets(pd.DataFrame(), (t,)).iloc[0]["n"] == 0


def test_the_fit_route_spec_is_the_human_arm_of_route_decomposition():
    """route_human (run by the fit human_routes) is route_decomposition's human 1:10 arm: the same seeds, steps,
    base, control and readouts, and each of its levels sets what the decomposition's level of that name sets, so
    its route shares are the decomposition's."""
    import tomllib

    from mscabm.experiments.spec import SPEC_DIR

    full, arm = (tomllib.loads((SPEC_DIR / f"{n}.toml").read_text()) for n in ("route_decomposition", "route_human"))
    for key in ("master_seed", "steps", "record_every"):
        assert arm["experiment"][key] == full["experiment"][key], key
    for key in ("base", "control", "readouts"):
        assert arm[key] == full[key], key
    factors = {f["name"]: f for f in full["design"]["factors"]}
    for f in arm["design"]["factors"]:
        if "levels" in f:
            want = {lv["label"]: lv["set"] for lv in factors[f["name"]]["levels"]}
            assert all(want[lv["label"]] == lv["set"] for lv in f["levels"]), f["name"]
        else:
            full_f = factors[f["name"]]
            assert f["key"] == full_f["key"]
            assert dict(zip(f["values"], f["labels"])).items() <= dict(zip(full_f["values"], full_f["labels"])).items()
    from mscabm.calibration import ROUTE_TARGETS
    from mscabm.fit.spec import load_fit_spec

    human = [t for t in ROUTE_TARGETS if t.where.get("species") == "human"]
    levels = {lv["label"] for f in arm["design"]["factors"] if f["name"] == "route_blocked" for lv in f["levels"]}
    assert human and {t.route for t in human} <= levels
    # the fit human_routes fits exactly these targets, with the same ranges, on this arm
    fit = {t.route: t for t in load_fit_spec("human_routes").targets if t.route is not None}
    assert set(fit) == {t.route for t in human}
    for t in human:
        assert fit[t.route].accepted == (t.low, t.high) and fit[t.route].where == t.where, t.name
        assert fit[t.route].spec == "route_human"


def test_the_mouse_fit_route_spec_is_the_mouse_arm_of_route_decomposition():
    """route_mouse (run by the fit human_mouse_routes) builds the configs of route_decomposition's mouse 1:10
    arm: the mouse level's keys sit in its [base.set] (so that a fitted factor scales them) and every
    condition's and control's config equals the decomposition's condition of the same levels; the fit fits the
    mouse route target with its range."""
    from mscabm.calibration import ROUTE_TARGETS
    from mscabm.experiments.plan import plan
    from mscabm.fit.spec import load_fit_spec

    def configs(name):  # (species, dose, route) -> the first replicate's config, of the design's conditions
        pl = plan(load_spec(name))
        conds = {c.id: c for c in pl.conditions}
        out = {}
        for r in pl.runs:
            c = conds[r.condition]
            if c.role == "condition" and r.replicate == 0:
                cfg = {**r.config, "model": {k: v for k, v in r.config["model"].items() if k != "name"}}
                out[tuple(str(c.columns[k]) for k in ("species", "msc_per_responder", "route_blocked"))] = cfg
        return out

    arm, full = configs("route_mouse"), configs("route_decomposition")  # the seeds included
    assert set(arm) == {("mouse", "1:10", "none"), ("mouse", "1:10", "NO (L-NMMA)")}
    for key, cfg in arm.items():
        assert cfg == full[key], key
    mouse = next(t for t in ROUTE_TARGETS if t.where.get("species") == "mouse")
    fit = load_fit_spec("human_mouse_routes")
    t = next(t for t in fit.targets if t.route == mouse.route)
    assert t.spec == "route_mouse" and t.accepted == (mouse.low, mouse.high) and t.where == mouse.where
    kept = {fp.name: fp.specs for fp in fit.parameters if fp.specs}  # each species' own MSC table entries
    assert kept == {"ido_vmax": ("route_human", "dose_response", "pge2_24h"), "mouse_no_export": ("route_mouse",)}


def test_the_route_diagnosis_specs_are_valid():
    """benchmarks/routes/*.toml (the diagnosis in docs/calibration.md) stay runnable as the model changes."""
    from pathlib import Path

    from mscabm.experiments.plan import plan
    from mscabm.experiments.runner import _check_readouts

    specs = sorted((Path(__file__).resolve().parents[1] / "benchmarks" / "routes").glob("*.toml"))
    assert specs
    for p in specs:
        pl = plan(load_spec(p))  # every condition's config is built and validated
        _check_readouts(pl)
        assert pl.runs, p.name
