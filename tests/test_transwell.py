"""Transwell geometry (mscabm/transwell.py, engine/diffusion/vertical.py) against independent truth:
conservation of the layered column, the analytic 1-D diffusion-decay solution (cosine series) for
a protein crossing the gap, the analytic steady profile (cosh) of a short-lived species that does
not cross, and no contact between the compartments."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.engine.diffusion.vertical import apply_vertical, vertical_operator, vertical_propagators
from mscabm.model import MSCModel


@settings(max_examples=50, deadline=None)
@given(h=st.lists(st.floats(1.0, 500.0), min_size=1, max_size=8), D=st.floats(0.0, 1e5),
       cut=st.integers(-1, 7), P=st.floats(0.0, 100.0))
def test_vertical_operator_conserves_the_column_amount(h, D, cut, P):
    h = np.array(h)
    A = vertical_operator(h, D, cut if cut < len(h) - 1 else -1, P)
    np.testing.assert_allclose(h @ A, 0.0, atol=1e-9 * max(1.0, np.abs(A).max() * h.max()))
    M = vertical_propagators(h, [D], 1.0, cut if cut < len(h) - 1 else -1, 0.01, 10.0 if P > 0 else 0.0)[0]
    np.testing.assert_allclose(h @ M, h, rtol=1e-9)  # sum_i h_i c_i is kept by the step
    assert (M >= -1e-12).all()


def _cosine_series_layer_means(edges, H, D, k, t, top_width, n_terms=4000):
    """Layer means of c(z, t) on [0, H], zero flux at both ends, c(z, 0) = 1 on [H - w, H], 0 below."""
    n = np.arange(1, n_terms + 1)[:, None]
    w = top_width
    a = 2.0 / (n * np.pi) * (np.sin(n * np.pi) - np.sin(n * np.pi * (H - w) / H))  # cosine coefficients
    lo, hi = edges[:-1][None, :], edges[1:][None, :]
    mean_cos = (np.sin(n * np.pi * hi / H) - np.sin(n * np.pi * lo / H)) * H / (n * np.pi * (hi - lo))
    series = (a * np.exp(-D * (n * np.pi / H) ** 2 * t) * mean_cos).sum(axis=0)
    return (w / H + series) * np.exp(-k * t)


def test_protein_crossing_the_gap_matches_the_analytic_solution():
    H, layers, D, k = 1100.0, 110, 555.0, 0.01
    h = np.full(layers, H / layers)
    col = np.zeros((layers, 1, 1, 1))
    col[-10:] = 1.0  # a protein released into the top 100 um (the insert layer)
    M = vertical_propagators(h, [D], 60.0)
    edges = np.concatenate([[0.0], np.cumsum(h)])
    for hour in range(1, 25):
        apply_vertical(col, M)
        col *= np.exp(-k * 60.0)  # decay acts on every layer alike (it commutes with transport)
        if hour in (2, 8, 24):
            want = _cosine_series_layer_means(edges, H, D, k, hour * 60.0, 100.0)
            np.testing.assert_allclose(col[:, 0, 0, 0], want, rtol=2e-3, atol=1e-6 * want.max())
    # it equilibrates over hours: at 24 h the bottom sees a sizeable share of the top's level
    assert col[0, 0, 0, 0] > 0.5 * col[-1, 0, 0, 0]


def test_short_lived_species_does_not_cross():
    """Steady state of a source in the top layer with decay k: c ~ cosh(z / l), l = sqrt(D / k)."""
    H, layers, D, k = 1100.0, 220, 1.0e5, 6.0  # nitric oxide: half-life ~7 s, l = 129 um
    h = np.full(layers, H / layers)
    A = vertical_operator(h, D)
    src = np.zeros(layers)
    src[-1] = 1.0
    c = np.linalg.solve(A - k * np.eye(layers), -src)  # steady: A c - k c + s = 0
    z = (np.arange(layers) + 0.5) * H / layers
    ell = np.sqrt(D / k)
    want = np.cosh(z / ell) / np.cosh(z[-1] / ell)
    np.testing.assert_allclose(c / c[-1], want, rtol=2e-2, atol=1e-6)
    assert c[0] / c[-1] < 2e-3  # the well bottom sees a thousandth of the insert's NO


def _transwell_model(**kw):
    return MSCModel("coculture", rng=2, **{"model.steps": 60, "cells.MSC.count": 200, "cells.T.count": 300,
                                          "cells.CD8.count": 0, "cells.B.count": 0, "cells.NK.count": 0,
                                          "cells.MAC.count": 0, "cells.DC.count": 10, "domain.width_um": 300.0,
                                          "domain.height_um": 300.0, **kw})


def test_no_contact_across_the_compartments_and_insert_cells_sense_the_insert():
    pre = {"interventions.prelicense": "IFNG+TNF"}  # IDO expressed from the start
    plain, tw = _transwell_model(**pre), _transwell_model(**pre, **{"interventions.transwell": True})
    touched = {}
    for name, m in (("plain", plain), ("transwell", tw)):
        col = m.tables.signal_of("contact:MSC")
        total = 0.0
        for _ in range(20):
            m.step()
            t_rows = np.flatnonzero(m.population["type"] == m.tables.type_code("T"))
            total += float(m._signals[t_rows, col].sum())
        touched[name] = total
    assert touched["plain"] > 0 and touched["transwell"] == 0.0
    # MSCs take tryptophan from the insert layer; the well layer is only reached across the medium
    trp = tw.tables.field_names.index("TRP")
    assert tw.transwell.insert[trp].mean() < tw.lattice.data[trp].mean()
    assert tw.transwell.layers.shape[0] == 2 + tw.config.transwell.gap_layers


def test_transwell_conserves_a_stable_field_and_resumes_from_its_state():
    m = _transwell_model(**{"interventions.transwell": True, "cells.MSC.count": 0, "cells.DC.count": 0,
                            "cells.T.count": 0})
    tw = m.transwell
    trp = m.tables.field_names.index("TRP")
    before = float((tw.layers[:, trp].sum(axis=(1, 2)) * tw.thickness_um).sum())
    for _ in range(30):
        m.step()
    after = float((tw.layers[:, trp].sum(axis=(1, 2)) * tw.thickness_um).sum())
    assert after == pytest.approx(before, rel=1e-5)
    state = m.state_dict()
    assert state["fields"].shape == tw.layers.shape


def test_transwell_config_errors():
    from mscabm.config import ConfigError, load_config
    with pytest.raises(ConfigError, match="transwell.insert_types"):
        load_config(values={"transwell.insert_types": ["NOPE"]})
    with pytest.raises(ConfigError, match="transwell.membrane_height_um"):
        load_config(values={"interventions.transwell": True, "transwell.membrane_height_um": 50.0})
