"""Configuration: complete default, TOML round trip, overrides, and every class of bad input."""

import math
import tomllib

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from mscabm.config import (
    Config,
    ConfigError,
    apply_override,
    build_config,
    default_config_dict,
    load_config,
    merge,
    parse_value,
)


def test_default_is_complete_and_valid():
    cfg = load_config()
    assert isinstance(cfg, Config)
    assert set(cfg.cells) == {"MSC", "T", "CD8", "B", "NK", "DC", "MAC", "TISSUE", "PDC", "NEUT", "KERAT", "EPI"}
    assert {"IFNG", "IFNA", "TNF", "IL2", "IL6", "IL10", "IL12", "IL17", "TGFB", "PGE2", "HGF", "TRP", "KYN", "EV",
            "CXCL", "IG", "NO", "IL8", "IL22", "ROS"} <= set(cfg.fields)
    assert cfg.lattice_shape == (100, 100)
    assert len(cfg.rules) >= 5


def test_toml_round_trip(tmp_path):
    cfg = load_config(overrides=["cells.T.count=123", "model.name=roundtrip"])
    path = tmp_path / "c.toml"
    cfg.save(path)
    again = load_config(path)
    assert again == cfg
    assert again.cells["T"].count == 123


def test_presets_load():
    from mscabm.config import PRESET_DIR

    presets = sorted(PRESET_DIR.glob("*.toml"))
    assert presets, "src/mscabm/presets/ has no presets"
    for p in presets:
        load_config(p)
        load_config(p.stem)  # by name


def test_set_overrides_parse_toml_values():
    assert parse_value("3") == 3 and parse_value("2.5") == 2.5 and parse_value("true") is True
    assert parse_value("zero_flux") == "zero_flux" and parse_value('"x y"') == "x y"
    cfg = load_config(overrides=["domain.width_um=500", "fields.PGE2.boundary=periodic",
                                 "rules.pge2_arrests_T_activated.enabled=false"])
    assert cfg.domain.width_um == 500.0 and cfg.fields["PGE2"].boundary == "periodic"
    assert not cfg.rules["pge2_arrests_T_activated"].enabled


def test_a_table_value_merges_into_a_section_replaces_a_name_table_and_the_empty_table_clears():
    ibd = load_config("disease_ibd")
    assert set(ibd.cells["T"].state_fractions) == {"Treg", "Th1", "Th17"}
    set_ = load_config("disease_ibd", overrides=["cells.T.state_fractions={Treg=0.2}", "cells.MSC={count=5}",
                                                 "behaviours.TISSUE.healthy={speed_um_per_min=1.0}"])
    assert set_.cells["T"].state_fractions == {"Treg": 0.2}  # a table of names: exactly what was given
    assert set_.behaviours["TISSUE"]["healthy"] == {"speed_um_per_min": 1.0}
    assert set_.cells["MSC"].count == 5 and set_.cells["MSC"].radius_um == ibd.cells["MSC"].radius_um  # section
    cleared = load_config(overrides=["cells.T.state_fractions={}"], values={"interventions.supplement": {}})
    assert cleared.cells["T"].state_fractions == {} and cleared.interventions.supplement == {}
    with pytest.raises(ConfigError, match="cells.MSC"):
        load_config(overrides=["cells.MSC=5"])


@pytest.mark.parametrize(
    "override, path, fragment",
    [
        ("model.stepz=5", "model.stepz", "unknown key"),
        ("cells.Q.count=5", "cells.Q.states", "a new cell type needs its states"),
        ("model.steps=ten", "model.steps", "expected an integer"),
        ("model.steps=true", "model.steps", "expected an integer"),
        ("domain.width_um=0", "domain.width_um", "> 0.0"),
        ("fields.IL2.diffusion_um2_per_min=-1", "fields.IL2.diffusion_um2_per_min", ">= 0.0"),
        ("fields.IL2.decay_per_min=nan", "fields.IL2.decay_per_min", "finite"),
        ("fields.IL2.decay_per_min=inf", "fields.IL2.decay_per_min", "finite"),
        ("fields.IL2.boundary=open", "fields.IL2.boundary", "one of zero_flux"),
        ("cells.T.count=100000000", "cells", "domain holds at most"),
        ("domain.voxel_um=5000", "domain.voxel_um", "larger than the domain"),
        ("cells.T.initial_state=sleepy", "cells.T.initial_state", "naive"),
        ("rules.new.signal=field:IL2", "rules.new.cell_type", "required key is missing"),
        ("rules.pge2_arrests_T_activated.signal=field:XYZ", "rules.pge2_arrests_T_activated.signal", "unknown signal"),
        ("behaviours.T.activated.fly_per_min=1", "behaviours.T.activated.fly_per_min", "unknown behaviour"),
        ("behaviours.T.activated.speed_um_per_min=-3", "behaviours.T.activated.speed_um_per_min", ">= 0.0"),
        ("model.max_cells=10", "model.max_cells", ">="),
        ("cells.T.chemotaxis_field=XYZ", "cells.T.chemotaxis_field", "unknown field"),
        ("cells.T.state_fractions.sleepy=0.1", "cells.T.state_fractions.sleepy", "not a state of T"),
        ("cells.T.state_fractions.Treg=1.5", "cells.T.state_fractions.Treg", "<= 1.0"),
        ("rules.pge2_arrests_T_activated.responds_to=middle", "rules.pge2_arrests_T_activated.responds_to",
         "one of high, low"),
        ("interventions.knockout=[\"XYZ\"]", "interventions.knockout[0]", "one of IDO"),
        ("interventions.block=[\"aspirin\"]", "interventions.block[0]", "one of indomethacin"),
        ("interventions.prelicense=IL1", "interventions.prelicense", "one of none, IFNG, IFNG+TNF"),
        ("behaviours.MSC.licensed.kill_resistance=2", "behaviours.MSC.licensed.kill_resistance", "0..1"),
    ],
)
def test_bad_values_name_key_and_range(override, path, fragment):
    with pytest.raises(ConfigError) as info:
        load_config(overrides=[override])
    assert info.value.path == path
    assert fragment in str(info.value)


def test_supply_needs_a_zero_flux_or_periodic_field():
    with pytest.raises(ConfigError) as info:
        load_config(overrides=["fields.TRP.supply_per_min=1.0", "fields.TRP.boundary=dirichlet"])
    assert info.value.path == "fields.TRP.supply_per_min"
    assert load_config(overrides=["fields.TRP.supply_per_min=1.0"]).fields["TRP"].supply_per_min == 1.0


def test_bad_toml_file(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[model\nsteps = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(p)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


def test_mismatched_rule_saturation_rejected():
    with pytest.raises(ConfigError, match="differs from rule"):
        load_config(overrides=["rules.pge2_arrests_T_activated.saturation=0.5"])  # tgfb_arrests_T_activated: 0


def test_state_fractions_must_not_exceed_the_count_and_doses_need_a_field():
    with pytest.raises(ConfigError) as info:
        load_config(values={"cells.T.state_fractions": {"Treg": 0.6, "Th1": 0.6}})
    assert info.value.path == "cells.T.state_fractions" and "<= 1" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_config(values={"interventions.doses": [{"at_min": 5.0, "field": "EV", "level": -1.0}]})
    assert info.value.path == "interventions.doses[0].level"


def test_set_requires_assignment():
    with pytest.raises(ConfigError, match="section.key=value"):
        apply_override({}, "model.steps")


# ------------------------------------------------------------------ property tests
_leaf_values = st.one_of(
    st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=8), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def _paths():
    d = default_config_dict()
    out = []

    def walk(node, prefix):
        for k, v in node.items():
            p = prefix + [k]
            if isinstance(v, dict):
                walk(v, p)
            else:
                out.append(p)

    walk(d, [])
    return out


PATHS = _paths()


@given(st.lists(st.tuples(st.sampled_from(PATHS), _leaf_values), min_size=1, max_size=4))
def test_random_documents_either_validate_or_raise_config_error(changes):
    """Random types and values at real keys: a valid Config or a ConfigError, never anything else."""
    data = default_config_dict()
    for path, value in changes:
        node = data
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    try:
        cfg = build_config(data)
    except ConfigError as exc:
        assert exc.path  # the error names a key
    else:
        for sec in (cfg.model, cfg.domain):
            for v in vars(sec).values():
                if isinstance(v, float):
                    assert math.isfinite(v)


@given(st.dictionaries(st.text(min_size=1, max_size=6), st.integers(), min_size=1, max_size=3))
def test_unknown_top_level_keys_rejected(extra):
    data = default_config_dict()
    extra = {k: v for k, v in extra.items() if k not in data}
    if not extra:
        return
    with pytest.raises(ConfigError, match="unknown key"):
        build_config(merge(data, extra))


@given(st.integers(1, 10**6), st.floats(1000.0, 1e4), st.sampled_from(["zero_flux", "dirichlet", "periodic"]))
def test_valid_values_round_trip_through_toml(steps, width, boundary):
    cfg = load_config(overrides=[f"model.steps={steps}", f"domain.width_um={width!r}",
                                 f"fields.TNF.boundary={boundary}"])
    again = build_config(tomllib.loads(tomli_w.dumps(cfg.to_dict())))
    assert again == cfg


def test_rule_pathways_compile_to_separate_runs_and_keep_their_own_saturation():
    """Rules of one behaviour on different pathways become separate runs (Bliss), so their saturations may
    differ; on one pathway a different saturation is still refused with the key path."""
    from mscabm.assembly import build_tables

    shared = build_tables(load_config()).rules
    split = build_tables(load_config(overrides=['rules.pge2_arrests_T_activated.pathway="cAMP"',
                                                 'rules.tgfb_arrests_T_activated.pathway="SMAD"'])).rules
    assert split.n_runs == shared.n_runs + 2 and len(split.term_signal) == len(shared.term_signal)
    load_config(overrides=['rules.pge2_arrests_T_activated.pathway="cAMP"',
                           "rules.pge2_arrests_T_activated.saturation=0.5"])
    with pytest.raises(ConfigError) as info:
        load_config(overrides=['rules.pge2_arrests_T_activated.pathway="cAMP"',
                               'rules.tgfb_arrests_T_activated.pathway="cAMP"',
                               "rules.pge2_arrests_T_activated.saturation=0.5"])
    assert info.value.path.endswith(".saturation") and "on pathway 'cAMP'" in str(info.value)
