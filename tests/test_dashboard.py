"""Dashboard without a browser: rendering, controls as data, the session, assets, the CLI plug-in."""

from __future__ import annotations

import argparse
import io
import tomllib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.biology.interventions import BLOCKERS, GENE_MODIFICATIONS, MSC_FACTORS, PRETREATMENTS
from mscabm.config import ConfigError, load_config
from mscabm.dashboard import render as R
from mscabm.dashboard.controls import (
    DEFAULT_PRESET,
    EV_FIELD,
    PENDING,
    Settings,
    blocker_label,
    intervention_meta,
    knockout_label,
    parse_extra,
    presets,
    toggled,
    transgene_label,
)
from mscabm.dashboard.session import COMPARE_VARIANTS, Sim, derived, suppression

#: a 400 um square holds ~1.45e5 um^2 of packed discs: the default's other types scaled down to fit
#: next to the T cells and MSCs the tests set
SMALL_OTHERS = {"cells.B.count": 40, "cells.NK.count": 30, "cells.DC.count": 6, "cells.MAC.count": 30}


def small(**kw) -> Settings:
    """Settings for a small, quick session (400 um square, every type present)."""
    kw.setdefault("domain_um", 400.0)
    kw.setdefault("cd8_count", 100)
    return Settings(overrides_extra=dict(SMALL_OTHERS), **kw)


def test_render_draws_cells_by_type_over_field():
    pal = R.palette(["MSC", "T"], [("naive", "licensed"), ("naive", "activated")])
    view = R.full_view(100.0, 100.0, 100, field="f", outline=False)
    field = np.zeros((10, 10), dtype=np.float32)
    field[0, 0] = 5.0  # voxel at x 0-10, y 0-10: bottom-left of the image (y up)
    fr = R.render(view, np.array([50.0]), np.array([50.0]), np.array([1]), np.array([1]), np.array([3.0]),
                  np.array([False]), pal, field, 10.0)
    assert fr.rgb.shape == (100, 100, 3) and fr.n_drawn == 1
    assert tuple(fr.rgb[50, 50]) == tuple(pal[1, 1])           # the T activated cell
    assert tuple(fr.rgb[95, 5]) == tuple(R.colormap_lut()[255])  # field maximum, bottom-left
    assert tuple(fr.rgb[5, 95]) == tuple(R.colormap_lut()[0])
    assert (fr.vmin, fr.vmax) == (0.0, 5.0)
    png = R.encode_png(fr.rgb)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_apoptotic_zoom_and_pixel_mapping():
    pal = R.palette(["MSC"], [("naive",)])
    view = R.zoom_view(R.full_view(1000.0, 1000.0, 200), 250.0, 250.0, 4.0, 1000.0, 1000.0)
    assert (view.x0, view.x1, view.y0, view.y1) == (125.0, 375.0, 125.0, 375.0)
    x, y = R.pixel_to_um(view, 100, 100)
    assert abs(x - 250.0) < 2 and abs(y - 250.0) < 2
    fr = R.render(view, np.array([250.0, 900.0]), np.array([250.0, 900.0]), np.array([0, 0]), np.array([0, 0]),
                  np.array([5.0, 5.0]), np.array([True, False]), pal, None)
    assert fr.n_drawn == 1  # the cell outside the window is not drawn
    assert tuple(fr.rgb[100, 100]) == R.APOPTOTIC_COLOUR


def test_render_scales_to_1e5_cells():
    rng = np.random.default_rng(0)
    n = 100_000
    pal = R.palette(["MSC", "T"], [("a",), ("b",)])
    view = R.full_view(5000.0, 5000.0, 600, field="f")
    fr = R.render(view, rng.uniform(0, 5000, n), rng.uniform(0, 5000, n), rng.integers(0, 2, n), np.zeros(n, int),
                  np.full(n, 5.0), None, pal, rng.random((500, 500)).astype(np.float32), 10.0)
    assert fr.n_drawn == n


def _draw_discs_reference(img, px, py, r, colours):
    """Plain reference of the disc stamp: one vectorised write per stamp offset, for all cells at
    once (numpy's fancy assignment: the last of repeated indices wins)."""
    h, w = img.shape[:2]
    flat = img.reshape(-1, 3)
    for dx, dy in zip(*R._stamp(r)):
        xs, ys = px + dx, py + dy
        ok = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
        flat[ys[ok] * w + xs[ok]] = colours[ok]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 60), st.integers(0, 6), st.integers(1, 40), st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_disc_stamp_kernel_equals_the_plain_reference(n, r, h, w, seed):
    """The numba disc stamp writes exactly what the vectorised reference writes, overlaps (the
    write order) and discs half outside the image included."""
    rng = np.random.default_rng(seed)
    px = rng.integers(-r - 2, w + r + 2, n).astype(np.int32)
    py = rng.integers(-r - 2, h + r + 2, n).astype(np.int32)
    colours = rng.integers(0, 256, (n, 3)).astype(np.uint8)
    background = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
    got, want = background.copy(), background.copy()
    R._draw_discs(got, px, py, r, colours)
    _draw_discs_reference(want, px, py, r, colours)
    np.testing.assert_array_equal(got, want)
    if r == 0:  # one pixel per cell, checked without the reference: the last cell on a pixel shows
        for i in range(n):
            if 0 <= px[i] < w and 0 <= py[i] < h and not ((px[i + 1:] == px[i]) & (py[i + 1:] == py[i])).any():
                assert tuple(got[py[i], px[i]]) == tuple(colours[i])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 70), st.integers(1, 70), st.integers(0, 9), st.integers(0, 2**32 - 1))
def test_png_encoder_round_trips_through_pillow(h, w, level, seed):
    """The frame encoder's PNG decodes (Pillow's reader, independent of the writer) to the exact
    pixels, at every compression level; a non-RGB array is refused."""
    from PIL import Image

    rgb = np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.uint8)
    png = R.encode_png(rgb, compress_level=level)
    img = Image.open(io.BytesIO(png))
    img.load()
    assert img.mode == "RGB" and img.size == (w, h)
    np.testing.assert_array_equal(np.asarray(img), rgb)
    for bad in (rgb[:, :, 0], rgb.astype(np.float64), rgb[:0]):  # not RGB, not uint8, empty
        with pytest.raises(ValueError, match="H, W, 3"):
            R.encode_png(bad)


def test_legend_covers_every_type_and_state():
    m = load_config()
    from mscabm.biology.celltypes import CELL_TYPES

    items = R.legend(list(CELL_TYPES), [t.states for t in CELL_TYPES.values()])
    assert len(items) == sum(len(t.states) for t in CELL_TYPES.values())
    assert len({c for _, _, c in items}) == len(items)  # distinguishable colours
    assert m is not None


def test_interventions_become_config_keys():
    cfg = load_config()
    s = Settings(transwell=True, prelicense="IFNG+TNF", knockout=("COX2",), block=("1-MT",), deplete=("B",),
                 immunosuppressant=0.5)
    o = s.overrides(cfg)
    assert o == {"interventions.transwell": True, "interventions.prelicense": "IFNG+TNF",
                 "interventions.knockout": ["COX2"], "interventions.block": ["1-MT"], "interventions.deplete": ["B"],
                 "interventions.immunosuppressant": 0.5}
    assert Settings().overrides(cfg) == {}  # None: the preset's values, nothing overridden
    assert toggled(["IDO"], "COX2", True) == ("COX2", "IDO") and toggled(("COX2",), "COX2", False) == ()
    assert intervention_meta("immunosuppressant")["max"] == 1.0
    # the controls come from the tables: every factor, blocker and pre-treatment is a valid config value
    from mscabm.dashboard.controls import resolve

    for f in MSC_FACTORS:
        assert resolve(Settings(knockout=(f,), t_count=10, msc_count=1))[0].interventions.knockout == [f]
    for d in BLOCKERS:
        assert resolve(Settings(block=(d,), t_count=10, msc_count=1))[0].interventions.block == [d]
    for p in PRETREATMENTS:
        assert resolve(Settings(prelicense=p, t_count=10, msc_count=1))[0].interventions.prelicense == p
    with pytest.raises(ConfigError, match="interventions.immunosuppressant"):
        resolve(Settings(immunosuppressant=2.0))
    with pytest.raises(ConfigError, match="interventions.knockout"):
        resolve(Settings(knockout=("NOPE",)))
    with pytest.raises(ConfigError, match="interventions.block"):
        resolve(Settings(block=("aspirin-X",)))
    # gene-modified MSCs: one transgene box per factor of GENE_MODIFICATIONS, each a valid config value
    for f in GENE_MODIFICATIONS:
        preset = "mouse" if f == "iNOS" else DEFAULT_PRESET  # human MSCs make no NO: refused there (below)
        cfg_f = resolve(Settings(preset=preset, overexpress=((f, 1.5),), t_count=10, msc_count=1))[0]
        assert cfg_f.interventions.overexpress == {f: 1.5}
        assert f in transgene_label(f) and "_per_min" not in transgene_label(f)
    with pytest.raises(ConfigError, match="interventions.overexpress.iNOS"):
        resolve(Settings(overexpress=(("iNOS", 1.0),)))
    with pytest.raises(ConfigError, match="interventions.overexpress"):
        resolve(Settings(overexpress=(("IDO", -1.0),)))
    # labels say what each control does, for both kinds of blocker (factor, neutralising antibody)
    for f, spec in MSC_FACTORS.items():
        label = knockout_label(f)
        # in words, no internal column names (export_KYN_molecules_per_min was the label the issue met)
        assert f in label and "_per_min" not in label and "contact_level" not in label, label
        assert all(b.split("_")[1] in label for b in spec["behaviours"]), label
    for d, spec in BLOCKERS.items():
        label = blocker_label(d)
        assert (spec["factor"] in label) if "factor" in spec else all(f in label for f in spec["neutralise"])
    assert {"IFNG", "IFNG+TNF", "none"} <= set(PRETREATMENTS)
    # what the model lacks is listed, not faked: nothing now (Th17/Treg exist; the species are presets)
    assert PENDING == () and {"human", "mouse"} <= set(presets())
    assert presets()[0] == "default" and "coculture" in presets()


def test_settings_to_overrides_and_errors():
    cfg = load_config()
    s = Settings(msc_count=10, cd8_count=40, knockout=("IDO",), rules_off=("pge2_arrests_T_activated",),
                 doses=({"at_min": 0.0, "field": EV_FIELD, "level": 5.0, "placement": "uniform"},),
                 extra="domain.width_um = 500  # comment\n")
    o = s.overrides(cfg)
    assert o["cells.MSC.count"] == 10 and o["rules.pge2_arrests_T_activated.enabled"] is False
    assert o["cells.CD8.count"] == 40
    assert o["interventions.doses"] == [{"at_min": 0.0, "field": "EV", "level": 5.0, "placement": "uniform"}]
    assert o["interventions.knockout"] == ["IDO"] and o["domain.width_um"] == 500
    with pytest.raises(ConfigError):
        Settings(rules_off=("nope",)).overrides(cfg)
    with pytest.raises(ConfigError):
        parse_extra("no equals sign")
    with pytest.raises(ConfigError):
        Settings(msc_count="1.5").overrides(cfg)


@pytest.fixture(scope="module")
def sim():
    s = Sim(small(t_count=300, msc_count=30))
    assert s.error == "", s.error
    return s


def test_session_steps_resets_and_keeps_model_on_bad_input(sim):
    sim.reset(small(t_count=300, msc_count=30), compare_variant=None)
    sim.step(3)
    assert sim.main.model.steps == 3
    assert not sim.reset(small(msc_count=-5))
    assert "cells.MSC.count" in sim.error and sim.main.model.steps == 3  # the old model kept running
    # macrophages make PGE2 too: without them, COX-2 knocked out in MSCs leaves no PGE2 source
    no_mac = small(t_count=300, msc_count=30, knockout=("COX2",), transwell=True)
    no_mac.overrides_extra["cells.MAC.count"] = 0
    assert sim.reset(no_mac)
    assert sim.error == "" and "interventions.knockout=['COX2']" in sim.notice and sim.main.model.steps == 0
    assert sim.main.model.config.interventions.knockout == ["COX2"] and sim.main.model.config.interventions.transwell
    sim.step(10)
    assert sim.field_means()["PGE2"] == 0.0  # only MSCs and macrophages make PGE2
    data = tomllib.loads(sim.config_toml())["interventions"]
    assert data["knockout"] == ["COX2"] and data["transwell"] is True


def test_infuse_now_adds_cells_without_reset_and_export_reproduces_it(tmp_path):
    sim = Sim(small(t_count=200, msc_count=20, prelicense="IFNG+TNF"))
    sim.step(4)
    n0 = sim.count("MSC")
    assert sim.infuse(15), sim.error
    assert sim.count("MSC") == n0 + 15 and sim.main.model.steps == 4  # no reset
    assert "Infused 15 MSC at t = 4 min" in sim.notice
    inf = sim.main.model.config.interventions.infusions
    assert [(x.at_min, x.count, x.state) for x in inf] == [(4.0, 15, "")]  # the model pre-treats them like the dose
    m = sim.main.model
    licensed = m.tables.state_code("MSC", "licensed")
    msc = m.population["type"] == m.tables.type_code("MSC")
    assert (m.population["state"][msc] == licensed).sum() == n0 + 15  # with the pre-treatment's levels and label
    sim.step(6)
    _assert_export_replays(sim, tmp_path / "exported.toml")  # mscabm run repeats it
    # bad counts change nothing
    n1 = sim.count("MSC")
    for bad in (0, -3, "x"):
        assert not sim.infuse(bad) and "nothing was infused" in sim.error
    assert sim.count("MSC") == n1 and sim.main.model.steps == 10
    # a reset keeps the recorded infusion (an event at 4 min); clear_infusions drops it
    assert sim.reset() and sim.main.model.steps == 0 and len(sim.main.model.config.interventions.infusions) == 1
    for _ in range(4):
        sim.step(1)
    assert sim.count("MSC") >= 20 + 15 - 2
    assert sim.clear_infusions() and sim.main.model.config.interventions.infusions == []
    # at t = 0 an infusion is the initial dose (the model schedules infusions after t = 0 only)
    assert sim.infuse(5) and sim.main.model.config.cells["MSC"].count == 25 and sim.count("MSC") == 25
    # compare: the no-MSC control gets no infused MSCs, a transwell variant gets the same cells
    sim.reset(compare_variant="no MSCs (control)")
    sim.step(2)
    assert sim.infuse(3) and sim.count("MSC", sim.compare) == 0
    sim.reset(compare_variant="transwell")
    sim.step(2)
    before = sim.count("MSC", sim.compare)
    assert sim.infuse(3) and sim.count("MSC", sim.compare) == before + 3
    # CXCR4-modified MSCs: the live infusion delivers what a rerun of the recorded config delivers
    assert sim.reset(small(t_count=200, msc_count=20, overexpress=(("CXCR4", 1.0),)), compare_variant=None), sim.error
    sim.step(2)
    n2 = sim.count("MSC")
    assert sim.infuse(6) and sim.count("MSC") == n2 + 12 and "(12 reach the tissue" in sim.notice
    sim.step(2)
    _assert_export_replays(sim, tmp_path / "cxcr4.toml")


def _assert_export_replays(sim, path):
    """The session's exported config, run as a fresh model to the same step, gives the identical cells and fields."""
    from mscabm.model import MSCModel

    path.write_text(sim.config_toml())
    replay = MSCModel(str(path))
    for _ in range(sim.main.model.steps):
        replay.step()
    assert replay.cells.to_frame().equals(sim.main.model.cells.to_frame())
    assert np.array_equal(replay.lattice.data, sim.main.model.lattice.data)


def test_session_compare_inspect_and_exports(sim):
    sim.reset(small(t_count=300, msc_count=30), compare_variant="no MSCs (control)")
    assert sim.compare is not None and sim.compare.model.config.cells["MSC"].count == 0
    sim.step(20)
    assert sim.compare.model.steps == 20
    df = sim.timeseries()
    assert {"n_T", "n_CD8", "control:n_T", "pct_MAC_M2", "pct_MSC_licensed", "pct_MSC_surviving", "pct_T_Th1",
            "pct_T_Th17", "pct_T_Treg", "pct_CD8_CTL", "pct_B_plasma", "kills_by_NK_total", "Th17_Treg_ratio",
            "pct_suppression_T_proliferation"} <= set(df.columns)
    assert (df["pct_MSC_surviving"] <= 100.0).all() and df["pct_T_Treg"].iloc[0] > 0  # the default seeds Tregs
    assert tomllib.loads(sim.config_toml())["model"]["steps"] == 20
    assert pd.read_csv(io.BytesIO(sim.csv_bytes())).shape[0] == len(df)
    assert pd.read_parquet(io.BytesIO(sim.parquet_bytes())).shape[0] == len(df)
    assert sim.png()[:4] == b"\x89PNG" and sim.figure_png()[:4] == b"\x89PNG"
    from mscabm.dashboard.charts import sim_chart_png

    assert sim_chart_png(sim)[:4] == b"\x89PNG"
    pop = sim.main.model.population
    cid = sim.pick(float(pop["x_um"][0]), float(pop["y_um"][0]))
    info = sim.inspect(cid)
    assert info["id"] == cid and "time_in_state_min" in info and any(k.startswith("local IFNG") for k in info)
    assert sim.pick(-1e6, -1e6) is None
    sim.view.field, sim.view.zoom = "PGE2", 3.0
    fr, view = sim.frame()
    assert fr.rgb.shape[:2] == (view.height_px, view.width_px) and view.x1 - view.x0 == pytest.approx(400 / 3)
    assert "PGE2 (nM)" == sim.field_label()
    assert {"no MSCs (control)", "transwell"} <= set(COMPARE_VARIANTS)
    assert {f"{f} knock-out" for f in MSC_FACTORS} <= set(COMPARE_VARIANTS)  # from the tables
    assert set(BLOCKERS) <= set(COMPARE_VARIANTS)
    # a non-control variant: columns prefixed compare:, no suppression (it is not a control)
    sim.reset(small(t_count=300, msc_count=30, knockout=("IDO",)), compare_variant="COX2 knock-out")
    assert sim.compare.model.config.interventions.knockout == ["COX2", "IDO"] and not sim.compare_is_control
    sim.step(2)
    df = sim.timeseries()
    assert "compare:n_T" in df and "pct_suppression_T_proliferation" not in df
    assert sim_chart_png(sim)[:4] == b"\x89PNG"


def test_suppression_definition():
    treated = pd.DataFrame({"step": [0, 10, 20], "births_T_total": [0, 5, 30]})
    control = pd.DataFrame({"step": [0, 10, 20], "births_T_total": [0, 10, 120]})
    s = suppression(treated, control)
    assert np.isnan(s.iloc[0]) and s.iloc[1] == 50.0 and s.iloc[2] == 75.0
    # CD8 divisions count as T proliferation too: (5 + 5) / (10 + 30) and (30 + 10) / (120 + 40)
    treated["births_CD8_total"] = [0, 5, 10]
    control["births_CD8_total"] = [0, 30, 40]
    s = suppression(treated, control)
    assert s.iloc[1] == 75.0 and s.iloc[2] == 75.0


def test_derived_percentages_cover_every_state():
    from mscabm.biology.celltypes import CELL_TYPES

    row = {"step": 0, "time_min": 0.0}
    for t, spec in CELL_TYPES.items():
        row[f"n_{t}"] = 10 * len(spec.states)
        for s in spec.states:
            row[f"n_{t}_{s}"] = 10
    df = derived(pd.DataFrame([row]))
    for t, spec in CELL_TYPES.items():
        for s in spec.states:
            assert df[f"pct_{t}_{s}"].iloc[0] == pytest.approx(100.0 / len(spec.states))
    empty = derived(pd.DataFrame([{**row, "n_CD8": 0, "n_CD8_CTL": 0, "n_CD8_naive": 0}]))
    assert np.isnan(empty["pct_CD8_CTL"].iloc[0])  # no live CD8 cell: undefined, not 0


def test_ev_dose_now_without_reset_and_export_reproduces_it(tmp_path):
    sim = Sim(small(t_count=100, msc_count=10, domain_um=300.0, cd8_count=40))
    sim.step(3)
    before = sim.field_means()[EV_FIELD]
    assert sim.dose(40.0), sim.error
    assert sim.main.model.steps == 3  # no reset
    assert sim.field_means()[EV_FIELD] == pytest.approx(before + 40.0, rel=1e-5)
    assert [(d.at_min, d.field, d.level) for d in sim.main.model.config.interventions.doses] == [(3.0, EV_FIELD, 40.0)]
    assert "Dosed EV +40" in sim.notice
    sim.step(4)
    _assert_export_replays(sim, tmp_path / "exported.toml")  # mscabm run repeats it
    for bad in (0, -1, "x"):
        assert not sim.dose(bad) and "nothing was dosed" in sim.error
    assert len(sim.main.model.config.interventions.doses) == 1
    # the no-MSC control gets no MSC-EVs; a reset keeps the dose, clear_doses drops it
    sim.reset(compare_variant="no MSCs (control)")
    sim.step(1)
    assert sim.dose(10.0) and sim.field_means(sim.compare)[EV_FIELD] == 0.0  # only MSCs release EVs
    assert sim.compare.model.config.interventions.doses == []
    assert sim.clear_doses() and sim.main.model.config.interventions.doses == []
    # at t = 0 the dose is part of the initial state
    assert sim.dose(7.0) and sim.main.model.steps == 0
    assert sim.field_means()[EV_FIELD] == pytest.approx(7.0, rel=1e-5)


def test_assets_list_comes_from_solara_template():
    from mscabm.dashboard import assets

    pkgs = dict(assets.required_packages())
    assert "@widgetti/solara-vuetify-app" in pkgs and "requirejs" in pkgs and "font-awesome" in pkgs
    assert all(v.count(".") == 2 for v in pkgs.values())


def test_cli_registers_dashboard():
    from mscabm.dashboard.cli import cmd_dashboard, register

    parser = argparse.ArgumentParser()
    handlers = register(parser.add_subparsers(dest="command"))
    assert handlers == {"dashboard": cmd_dashboard}
    args = parser.parse_args(["dashboard", "coculture"])
    assert (args.config, args.host, args.port) == ("coculture", "127.0.0.1", 8765)


def test_cli_rejects_bad_config():
    from mscabm.cli import main

    assert main(["dashboard", "/nonexistent.toml"]) == 2


# ---------------------------------------------------------------- issue 23: colour scales, colour by, replay


def test_side_by_side_views_share_one_colour_scale(sim):
    """One colour = one level: both views use 0 .. the larger maximum in view (brute force over both
    lattices), and a fixed range is used as given."""
    sim.reset(small(t_count=300, msc_count=30), compare_variant="no MSCs (control)")
    sim.step(15)
    sim.view.field, sim.view.zoom = "TNF", 1.0
    (a, _), (b, _) = sim.frames()
    maxima = [float(r.model.lattice.data[r.model.tables.field_names.index("TNF")].max()) for r in sim.runs()]
    assert min(maxima) > 0 and maxima[0] != maxima[1]
    assert (a.vmin, a.vmax) == (b.vmin, b.vmax) == (0.0, pytest.approx(max(maxima)))
    sim.view.vmin, sim.view.vmax = 1.0, 7.5
    (a, _), (b, _) = sim.frames()
    assert (a.vmin, a.vmax) == (b.vmin, b.vmax) == (1.0, 7.5)
    sim.view.vmin = sim.view.vmax = None
    # the exported figure holds both views
    png = sim.figure_png()
    from PIL import Image

    w, h = Image.open(io.BytesIO(png)).size
    assert w > 1.5 * h, (w, h)  # two panels side by side


def test_flat_field_is_reported_not_scaled():
    view = R.full_view(100.0, 100.0, 50, field="f")
    fr = R.render(view, np.array([]), np.array([]), np.array([], int), np.array([], int), None, None,
                  R.palette(["A"], [["s"]]), np.zeros((10, 10)), 10.0)
    assert fr.flat and fr.vmin == 0.0
    assert (fr.rgb == R.colormap_lut("viridis")[0]).all()  # all zero is the bottom colour, not mid-scale
    fr = R.render(view, np.array([]), np.array([]), np.array([], int), np.array([], int), None, None,
                  R.palette(["A"], [["s"]]), np.arange(100.0).reshape(10, 10), 10.0)
    assert not fr.flat and fr.vmax == 99.0


def test_colour_cells_by_a_variable_marks_types_without_it(sim):
    sim.reset(small(t_count=300, msc_count=30), compare_variant=None)
    sim.step(5)
    m = sim.main.model
    t = m.tables
    choices = R.colour_by_choices(t.variable_names, t.field_names)
    assert choices[0] == R.COLOUR_BY_TYPE and "time in state (min)" in choices
    assert {f"var {v}" for v in t.variable_names} | {f"local {f}" for f in t.field_names} <= set(choices)
    var = t.variable_names[0]
    sim.view.colour_by = f"var {var}"
    vals = sim.cell_values()
    k = t.variable_names.index(var)
    declared = t.variable_declared[m.population["type"], k]
    assert np.isnan(vals[~declared]).all() and np.isfinite(vals[declared]).all()
    np.testing.assert_array_equal(vals[declared], m.population[var][declared])
    # a local level is the field at the cell's voxel (brute force)
    sim.view.colour_by = "local TNF"
    vals = sim.cell_values()
    data = m.lattice.data[t.field_names.index("TNF")]
    i = 7
    iy, ix = int(m.population["y_um"][i] // m.lattice.spacing_um), int(m.population["x_um"][i] // m.lattice.spacing_um)
    assert vals[i] == data[iy, ix]
    lo, hi = sim.value_range()
    assert lo <= np.nanmin(vals) and hi >= np.nanmax(vals)
    fr, _ = sim.frame()
    assert fr.rgb.shape[2] == 3
    sim.view.colour_by = R.COLOUR_BY_TYPE


def test_value_colours_and_nan():
    rgb = R.value_colours(np.array([0.0, 10.0, np.nan]), 0.0, 10.0, "plasma")
    lut = R.colormap_lut("plasma")
    assert (rgb[0] == lut[0]).all() and (rgb[1] == lut[255]).all() and tuple(rgb[2]) == R.NOT_APPLICABLE_COLOUR
    assert R.finite_range(np.array([np.nan, 2.0, 2.0])) == (2.0, 4.0)  # no span: a scale above the value
    assert R.finite_range(np.array([np.nan])) == (0.0, 1.0)


def test_inspector_and_notice_in_words(sim):
    from mscabm.dashboard.session import apoptosis_text, format_time

    sim.reset(small(t_count=300, msc_count=30), compare_variant="transwell")
    assert "side by side with: transwell" in sim.notice and "side by side with: transwell" in sim.in_force()
    info = sim.inspect(int(sim.main.model.population["id"][0]))
    assert "apoptosis_left_min" not in info and info["apoptosis"] == "not apoptotic"
    assert apoptosis_text(12.4) == "apoptotic, removed in 12 min"
    assert format_time(90) == "1.5 h" and format_time(1440 * 2 + 210) == "2 d 3.5 h"
    sim.reset(compare_variant=None)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A real run folder (mscabm run) and the live model at the same steps, for the replay's truth."""
    from mscabm.cli import main

    out = tmp_path_factory.mktemp("replay") / "run"
    sets = ["--set", "domain.width_um=300", "--set", "domain.height_um=300", "--set", "output.snapshot_every=4"]
    for k, v in {"cells.T.count": 120, "cells.MSC.count": 12, "cells.CD8.count": 30, **{k: v // 4 for k, v in
                 SMALL_OTHERS.items()}}.items():
        sets += ["--set", f"{k}={v}"]
    assert main(["run", "--steps", "8", "--out", str(out), "--quiet", *sets]) == 0
    return out


def test_replay_draws_each_snapshot_as_the_live_model_did(run_folder):
    """The replay of step k equals the live render of the same model at step k, pixel for pixel."""
    from mscabm.dashboard.replay import RunFolder
    from mscabm.model import MSCModel

    rf = RunFolder(run_folder)
    assert rf.steps == [0, 4, 8]
    live = MSCModel(str(run_folder / "config.toml"))
    for step in rf.steps:
        while live.steps < step:
            live.step()
        for field, colour_by in ((None, R.COLOUR_BY_TYPE), ("IL6", R.COLOUR_BY_TYPE), ("TNF", "time in state (min)"),
                                 (None, "local IL6")):
            view = rf.view(200, field=field, vmin=0.0 if field else None, vmax=3.0 if field else None)
            vr = (0.0, 10.0) if colour_by != R.COLOUR_BY_TYPE else None
            expected = R.render_model(live, view, rf.colours, colour_by, vr)
            got = rf.frame(step, view, colour_by, vr)
            np.testing.assert_array_equal(got.rgb, expected.rgb)
        cid = int(live.population["id"][3])
        info = rf.inspect(step, cid)
        assert info["type"] == live.cells.cell(cid).type and info["x_um"] == round(live.cells.cell(cid).x_um, 1)
    ts = rf.timeseries()
    assert list(ts["step"])[-1] == 8 and "pct_MSC_surviving" in ts
    assert rf.pick(step, -1e6, -1e6) is None


def test_replay_movie_and_bad_folders(run_folder, tmp_path):
    import zipfile

    from mscabm.dashboard.folders import folder_kind
    from mscabm.dashboard.replay import RunFolder

    rf = RunFolder(run_folder)
    seen = []
    z = zipfile.ZipFile(io.BytesIO(rf.movie_zip(rf.view(120, field="IL2"), progress=lambda i, n: seen.append(i))))
    assert z.namelist() == ["frame_0000.png", "frame_0001.png", "frame_0002.png"] and seen == [1, 2, 3]
    assert all(z.read(n)[:4] == b"\x89PNG" for n in z.namelist())
    with pytest.raises(ConfigError, match="has no snapshot"):
        rf.snapshot(5)
    assert folder_kind(run_folder) == "run"
    for bad, msg in ((tmp_path / "nope", "no such folder"), (tmp_path, "neither a run folder")):
        with pytest.raises(ConfigError, match=msg):
            folder_kind(bad)
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        folder_kind(f)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.toml").write_text("[cells.MSC]\ncount = -5\n")
    (broken / "timeseries.parquet").write_bytes(b"")
    with pytest.raises(ConfigError, match="cells.MSC.count"):
        RunFolder(broken)
    from mscabm.cli import main

    assert main(["dashboard", str(tmp_path)]) == 2
    assert main(["dashboard", str(broken)]) == 2
    assert main(["dashboard", str(tmp_path / "typo") + "/"]) == 2  # a mistyped folder: named as a folder


def test_pages_render_without_a_browser(run_folder, tmp_path):
    """Every page renders in Solara's test renderer with no error and no hook-rule warning (a wrong
    keyword or a hook inside a condition fails here in seconds, before a browser test would)."""
    import warnings

    import solara
    from test_dashboard_results import SPEC

    import mscabm.experiments as mx
    from mscabm.dashboard.app import LivePage
    from mscabm.dashboard.replay_page import ReplayPage
    from mscabm.dashboard.results_page import ResultsPage

    out = tmp_path / "exp"
    spec = {**SPEC, "experiment": {**SPEC["experiment"], "replicates": 1, "steps": 10}}
    mx.run(spec, out=out, in_process=True, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for page in (ReplayPage(str(run_folder)), ResultsPage(str(out)), ResultsPage(str(tmp_path / "nope"))):
            solara.render(page, handle_error=False)
        solara.render(LivePage(), handle_error=False)


def test_svg_chart_points_map_back_to_the_data():
    """Each polyline's points, mapped back through the plot box's recorded axis range, are the data
    (linear and log panels); NaN breaks a line; the PNG draws the same panels."""
    import xml.etree.ElementTree as ET

    from mscabm.dashboard.charts import Panel, Series, chart_panels, chart_png, nice_ticks, panel_svg

    x = np.linspace(0.0, 5.0, 11)
    y = np.array([0.0, 1, 4, 9, np.nan, 25, 36, 49, 64, 81, 100])
    for log, yy in ((False, y), (True, np.where(y > 0, y, np.nan))):
        svg = panel_svg(Panel("t", log=log, series=[Series(x, yy, "#123456", "a")]))
        root = ET.fromstring(svg)
        ns = "{http://www.w3.org/2000/svg}"
        box = root.find(f"{ns}rect")
        x0, x1, y0, y1 = (float(box.get(k)) for k in ("data-x0", "data-x1", "data-y0", "data-y1"))
        left, top, pw, ph = (float(box.get(k)) for k in ("x", "y", "width", "height"))
        lines = root.findall(f"{ns}polyline")
        assert len(lines) == 2  # broken at the NaN (and at 0 on the log panel, which has no value there)
        got = []
        for line in lines:
            for pt in line.get("points").split():
                px, py = map(float, pt.split(","))
                gx = x0 + (px - left) / pw * (x1 - x0)
                gy = y0 + (top + ph - py) / ph * (y1 - y0)
                got.append((gx, 10 ** gy if log else gy))
        ok = np.isfinite(yy)
        np.testing.assert_allclose([g[0] for g in got], x[ok], atol=0.02)
        np.testing.assert_allclose([g[1] for g in got], yy[ok], rtol=0.02, atol=0.3)
    assert nice_ticks(0, 97) == [0, 20, 40, 60, 80]
    assert nice_ticks(0.1, 0.35) == [0.1, 0.15, 0.2, 0.25, 0.3, 0.35]
    df = pd.DataFrame({"time_min": [0.0, 60.0, 120.0], "n_T": [10, 12, 15], "n_T_naive": [10, 9, 8],
                       "mean_IL2_pM": [0.0, 1.0, 2.0]})
    panels = chart_panels(df, df, type_names=["T"], state_names=["naive"], field_units={"IL2": "pM"})
    assert [s.dashed for s in panels[0].series] == [False, True] and panels[0].series[1].label is None
    assert chart_png(df, type_names=["T"])[:4] == b"\x89PNG"


def _png_pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_recorder_keeps_each_step_once_and_zips_numbered_frames(monkeypatch):
    import zipfile

    from mscabm.dashboard import recording

    rng = np.random.default_rng(1)
    a, b = (rng.integers(0, 255, (20, 30, 3), dtype=np.uint8) for _ in range(2))
    rec = recording.FrameRecorder()
    assert not rec.add([a], 1, 1.0, token=7) and rec.frames == []  # off: nothing kept
    rec.start()
    assert rec.add([a], 1, 1.0, token=7) and not rec.add([a], 1, 1.0, token=7)  # one frame per step
    assert rec.add([a, b], 2, 2.0, token=7)  # side by side: one image, a white gap between the views
    joined = _png_pixels(rec.frames[1])
    assert joined.shape == (20, 30 + recording.GAP_PX + 30, 3)
    assert np.array_equal(joined[:, :30], a) and np.array_equal(joined[:, -30:], b)
    assert (joined[:, 30:30 + recording.GAP_PX] == 255).all()
    with zipfile.ZipFile(io.BytesIO(rec.zip_bytes())) as z:
        assert z.namelist() == ["frame_0000.png", "frame_0001.png", "frames.csv"]
        assert np.array_equal(_png_pixels(z.read("frame_0000.png")), a)
        assert z.read("frames.csv").decode() == "frame,step,time_min\n0,1,1\n1,2,2\n"
    # a reset (a new model) stops recording and keeps the earlier run's frames unmixed
    assert not rec.add([a], 1, 1.0, token=8) and not rec.on and "reset" in rec.full and len(rec.frames) == 2
    rec.clear()
    rec.start()
    assert rec.add([a], 1, 1.0, token=8) and rec.token == 8
    # the memory limits stop recording and say so
    monkeypatch.setattr(recording, "MAX_FRAMES", 2)
    assert rec.add([a], 2, 2.0, token=8) and not rec.add([a], 3, 3.0, token=8)
    assert not rec.on and "2 frames" in rec.full and "2 frames recorded" in rec.status()


def test_play_loop_frames_are_recorded_as_the_page_shows_them():
    from mscabm.dashboard.app import push_frame

    class Widget:
        attributes: dict = {}

    sim = Sim(small(t_count=200, msc_count=20))
    widgets = {"main": Widget()}
    sim.recorder.start()
    for _ in range(3):
        sim.step(1)
        assert push_frame(sim, widgets)
    assert sim.recorder.steps == [1, 2, 3]
    assert np.array_equal(_png_pixels(sim.recorder.frames[-1]), sim.frame()[0].rgb)
    # side by side: both views in one frame, as the page shows them
    sim.reset(compare_variant="no MSCs (control)")
    sim.recorder.clear()
    sim.recorder.start()
    sim.step(1)
    widgets["compare"] = Widget()
    assert push_frame(sim, widgets)
    (main, _), (comp, _) = sim.frames()
    assert _png_pixels(sim.recorder.frames[0]).shape[1] == main.rgb.shape[1] + comp.rgb.shape[1] + 8
