"""MSC expression kinetics and pre-treatment (biology/rules.py "MSC expression", mscabm/pretreatment.py)
against independent truth: the exact solution of the signalling ODE, an independent ODE solve
(scipy) of the expression system written out from its documented equations, pure first-order
decay after removal, and the model starting where the integration ends."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from mscabm.assembly import build_tables
from mscabm.biology.celltypes import EXPRESSION_DECAY_PER_MIN, MSC_VARIABLES, SIGNALLING_DECAY_PER_MIN
from mscabm.biology.rules import DEFAULT_RULES
from mscabm.config import ConfigError, load_config
from mscabm.model import MSCModel
from mscabm.pretreatment import pretreat_in_medium

K_EXPR, K_SIG = EXPRESSION_DECAY_PER_MIN, SIGNALLING_DECAY_PER_MIN


def hill(s, k, n):
    return s**n / (k**n + s**n) if s > 0 else 0.0


@pytest.fixture(scope="module")
def default():
    cfg = load_config(None)
    return cfg, build_tables(cfg)


def test_rule_constants_match_the_variable_table():
    assert MSC_VARIABLES["IDO1"]["decay_per_min"] == K_EXPR == 1 / 1440
    assert MSC_VARIABLES["STAT1"]["decay_per_min"] == K_SIG
    for name in ("nfkb_raises_msc_ido", "nfkb_induces_msc_cox2", "stat1_induces_msc_pdl1"):
        assert DEFAULT_RULES[name]["saturation"] == pytest.approx(K_EXPR)  # level 1 = maximal expression
    assert DEFAULT_RULES["ifng_activates_msc_stat1"]["saturation"] == pytest.approx(K_SIG)


def test_signalling_rise_is_the_exact_first_order_solution(default):
    cfg, t = default
    ifng = 200.0
    r = pretreat_in_medium(t, cfg, "MSC", {"IFNG": ifng}, 600.0)
    j = t.variable_names.index("STAT1")
    minutes = np.arange(601) * cfg.model.dt_min
    exact = hill(ifng, 50.0, 2.0) * -np.expm1(-K_SIG * minutes)
    np.testing.assert_allclose(r.trajectory[:, j], exact, rtol=1e-5, atol=1e-7)


def _reference(ifng, tnf, minutes):
    """The IFN-gamma x TNF-alpha system of biology/rules.py, written out and solved with scipy."""
    def rhs(_t, y):
        stat1, nfkb, ido, cox2, pdl1 = y
        up_ido = 0.5 + 0.5 * (nfkb / 0.5) / (1 + nfkb / 0.5)  # base half, NF-kB raises toward full
        gate = hill(stat1, 0.5, 2.0)  # needs STAT1
        return [K_SIG * (hill(ifng, 50, 2) - stat1),
                K_SIG * (hill(tnf, 50, 2) - nfkb),
                K_EXPR * (up_ido * gate - ido),
                K_EXPR * (0.25 + 0.75 * (nfkb / 0.5) / (1 + nfkb / 0.5) - cox2),
                K_EXPR * ((stat1 / 0.5) / (1 + stat1 / 0.5) - pdl1)]
    sol = solve_ivp(rhs, (0, minutes), [0, 0, 0, 0.25, 0], rtol=1e-9, atol=1e-12, dense_output=True)
    return sol


@pytest.mark.parametrize("ifng,tnf", [(1000.0, 600.0), (1000.0, 0.0), (0.0, 600.0), (60.0, 30.0)])
def test_expression_rise_matches_an_independent_ode_solve(default, ifng, tnf):
    cfg, t = default
    r = pretreat_in_medium(t, cfg, "MSC", {"IFNG": ifng, "TNF": tnf}, 48 * 60.0)
    sol = _reference(ifng, tnf, 48 * 60.0)
    names = ["STAT1", "NFKB", "IDO1", "PTGS2", "CD274"]
    for h in (6, 24, 48):
        want = sol.sol(h * 60.0)
        got = [r.trajectory[h * 60, t.variable_names.index(v)] for v in names]
        # the model holds production constant over each 1-min step (operator splitting): O(dt / tau)
        np.testing.assert_allclose(got, want, rtol=0.02, atol=2e-3)


def test_licensing_labels_and_the_synergy(default):
    cfg, t = default
    ifng = pretreat_in_medium(t, cfg, "MSC", {"IFNG": 1000.0}, 48 * 60.0)
    both = pretreat_in_medium(t, cfg, "MSC", {"IFNG": 1000.0, "TNF": 600.0}, 48 * 60.0)
    tnf = pretreat_in_medium(t, cfg, "MSC", {"TNF": 600.0}, 48 * 60.0)
    assert ifng.state == "primed" and both.state == "licensed" and tnf.state == "naive"
    assert both.levels["IDO1"] > 1.5 * ifng.levels["IDO1"]  # TNF raises IDO only with IFN-gamma
    assert tnf.levels["IDO1"] == 0.0 and tnf.levels["PTGS2"] > 0.6  # TNF alone: COX-2, no IDO
    assert ifng.levels["PTGS2"] == pytest.approx(0.25, abs=1e-6)  # IFN-gamma alone: no COX-2 induction
    assert tnf.levels["TNFAIP6"] > 0.5 and ifng.levels["TNFAIP6"] == 0.0  # TSG-6 by TNF
    # induction takes a day or two: at 6 h the level is below a third of its 48-h value
    j = t.variable_names.index("IDO1")
    assert both.trajectory[360, j] < both.trajectory[-1, j] / 3


def test_expression_decays_first_order_after_the_cytokines_go(default):
    cfg, t = default
    pre = pretreat_in_medium(t, cfg, "MSC", {"IFNG": 1000.0, "TNF": 600.0}, 48 * 60.0)
    data = cfg.to_dict()
    for v, value in pre.levels.items():
        data["cells"]["MSC"]["variables"][v]["initial"] = value
    for state in ("naive", "primed", "licensed"):  # no constitutive COX-2: pure decay
        data["behaviours"]["MSC"][state]["produce_PTGS2_per_min"] = 0.0
    from mscabm.config import build_config
    cfg2 = build_config(data)
    t2 = build_tables(cfg2)
    after = pretreat_in_medium(t2, cfg2, "MSC", {}, 3 * 1440.0, state="licensed")
    j = t2.variable_names.index("PTGS2")
    minutes = np.arange(3 * 1440 + 1) * cfg.model.dt_min
    # the label falls to naive within the first day; COX-2 production is then 0: exact exponential decay
    # (its NF-kB-driven part dies with NF-kB within hours, so compare from day 1 on)
    tail = after.trajectory[1440:, j]
    np.testing.assert_allclose(tail, tail[0] * np.exp(-K_EXPR * (minutes[1440:] - 1440)), rtol=1e-4)
    k = t2.variable_names.index("IDO1")
    assert after.trajectory[-1, k] < 0.1 * pre.levels["IDO1"]  # e^-3 = 5% plus the first hours' production
    assert after.states[-1] == "naive"


def _readouts(**overrides):
    m = MSCModel("coculture", rng=4, **{"model.steps": 30, "cells.MSC.count": 20, "cells.T.count": 80,
                                        "cells.CD8.count": 20, **overrides})
    for _ in range(30):
        m.step()
    return m, m.log.to_frame()


def test_zero_hour_pretreatment_equals_none():
    _, a = _readouts()
    _, b = _readouts(**{"interventions.prelicense": "IFNG+TNF", "interventions.prelicense_hours": 0.0})
    assert a.equals(b)


def test_pretreated_msc_start_with_the_levels_the_ode_gives():
    m = MSCModel("coculture", rng=1, **{"model.steps": 1, "interventions.prelicense": "IFNG+TNF",
                                        "interventions.prelicense_hours": 24.0})
    want = pretreat_in_medium(m.tables, m.config, "MSC", {"IFNG": 1000.0, "TNF": 600.0}, 24 * 60.0)
    msc = m.population["type"] == m.tables.type_code("MSC")
    assert msc.sum() == m.config.cells["MSC"].count
    for v, value in want.levels.items():
        np.testing.assert_array_equal(m.population[v][msc], value)
    licensed = m.tables.state_code("MSC", "licensed")
    assert (m.population["state"][msc] == licensed).all()


def test_pretreatment_needs_its_fields_declared():
    data = load_config(None).to_dict()
    del data["fields"]["PIC"]
    data["interventions"]["prelicense"] = "TLR3"
    from mscabm.config import build_config
    with pytest.raises(ConfigError, match="interventions.prelicense"):
        build_config(data)


def test_enzyme_config_errors_name_the_key():
    from mscabm.config import build_config
    data = load_config(None).to_dict()
    data["enzymes"]["IDO"]["substrate"] = "NOPE"
    with pytest.raises(ConfigError, match="enzymes.IDO.substrate"):
        build_config(data)
    data = load_config(None).to_dict()
    data["enzymes"]["IDO"]["product"] = "TRP"
    with pytest.raises(ConfigError, match="enzymes.IDO.product"):
        build_config(data)
