"""`mscabm import-rules`: PhysiCell rules CSV (v3 grammar) -> [rules.*] TOML that loads and compiles.

The CSVs are written here from PhysiCell's documented grammar (PhysiCell core/PhysiCell_rules.cpp,
``parse_csv_rule_v3``: 8 comma- or tab-separated columns, ``//`` comments; names from the signal and
behaviour dictionaries of core/PhysiCell_signal_behavior.cpp), with PhysiCell-style cell type and
substrate names renamed by --map.
"""

import contextlib
import io
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from mscabm.assembly import build_tables
from mscabm.cli import main
from mscabm.config import load_config
from mscabm.rules_import import RulesImportError, parse_rules_csv

#: 1 pM in 1 um^3 = 1e-12 mol/L x 1e-15 L x 6.02214076e23 /mol molecules (SI 2019 Avogadro constant)
MOLECULES_PER_PM_UM3 = 1e-12 * 1e-15 * 6.02214076e23

CSV = """\
// rules of a PhysiCell model of MSC-like immunology (v3 grammar)
// Cell type, signal, direction, behavior, max response value, half-max, Hill power, applies to dead?
cell type,signal,direction,behavior,max response,half-max,Hill power,applies to dead
effector T cell,pro-inflammatory factor,increases,attack malignant epithelial cell,0.01,1,4,0
effector T cell,contact with malignant epithelial cell,decreases,migration speed,0.01,0.1,10,0

// macrophages
M0 macrophage,contact with apoptotic cell,increases,transform to M2 macrophage,0.004166666666666667,0.5,2,0
M0 macrophage\tIFNG\tincreases\tIL12 export\t1000\t50\t1\t0
macrophage, contact with dead cells, increases, phagocytose apoptotic cell, 0.05, 1, 1, 0
macrophage,PGE2,decreases,migration persistence time,2,10,1,0
fast T cell,CXCL,increases,migration bias,0.6,100,1,false
fast T cell,contact with M1 macrophage,increases,apoptosis,1e-3,2,1,0
MSC,IFNG,increases,TRP uptake,0.08,50,2,0
MSC,TNF,increases,TSG6 secretion target,20,100,1,0
MSC,TNF,increases,TSG6 secretion,0.5,100,1,0
"""
MAP = ["effector T cell=CD8.CTL", "malignant epithelial cell=TISSUE", "pro-inflammatory factor=TNF",
       "M0 macrophage=MAC.M0", "M1 macrophage=MAC.M1", "M2 macrophage=MAC.M2", "macrophage=MAC", "fast T cell=T"]


def _rule(line, cell_type, state, signal, direction, behaviour, saturation, half_max, hill_power, src):
    return dict(cell_type=cell_type, state=state, signal=signal, direction=direction, behaviour=behaviour,
                saturation=saturation, half_max=half_max, hill_power=hill_power, responds_to="high", enabled=True,
                source=f"PhysiCell rules CSV {src}:{line}")


def _expected(src):
    return {
        "physicell_line4_CD8_CTL_kill_TISSUE_per_min":
            _rule(4, "CD8", "CTL", "field:TNF", "increases", "kill_TISSUE_per_min", 0.01, 1.0, 4.0, src),
        "physicell_line5_CD8_CTL_speed_um_per_min":
            _rule(5, "CD8", "CTL", "contact:TISSUE", "decreases", "speed_um_per_min", 0.01, 0.1, 10.0, src),
        "physicell_line8_MAC_M0_to_M2_per_min":
            _rule(8, "MAC", "M0", "contact:apoptotic", "increases", "to_M2_per_min", 1 / 240, 0.5, 2.0, src),
        "physicell_line9_MAC_M0_export_IL12_molecules_per_min":
            _rule(9, "MAC", "M0", "field:IFNG", "increases", "export_IL12_molecules_per_min",
                  1000 * MOLECULES_PER_PM_UM3, 50.0, 1.0, src),
        "physicell_line10_MAC_phagocytosis_per_min":
            _rule(10, "MAC", "*", "contact:apoptotic", "increases", "phagocytosis_per_min", 0.05, 1.0, 1.0, src),
        "physicell_line11_MAC_persistence_min":
            _rule(11, "MAC", "*", "field:PGE2", "decreases", "persistence_min", 2.0, 10.0, 1.0, src),
        "physicell_line12_T_chemotaxis_bias":
            _rule(12, "T", "*", "field:CXCL", "increases", "chemotaxis_bias", 0.6, 100.0, 1.0, src),
        "physicell_line13_T_death_rate_per_min":
            _rule(13, "T", "*", "contact:MAC.M1", "increases", "death_rate_per_min", 0.001, 2.0, 1.0, src),
        "physicell_line14_MSC_uptake_TRP_per_min":
            _rule(14, "MSC", "*", "field:IFNG", "increases", "uptake_TRP_per_min", 0.08, 50.0, 2.0, src),
        "physicell_line15_MSC_saturation_TSG6":
            _rule(15, "MSC", "*", "field:TNF", "increases", "saturation_TSG6", 20.0, 100.0, 1.0, src),
        "physicell_line16_MSC_secretion_TSG6_per_min":
            _rule(16, "MSC", "*", "field:TNF", "increases", "secretion_TSG6_per_min", 0.5, 100.0, 1.0, src),
    }


def _run(argv):
    """main() in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def _import(tmp_path, text, *extra):
    csv = tmp_path / "cell_rules.csv"
    csv.write_text(text, encoding="utf-8")
    out = tmp_path / "rules.toml"
    rc, stdout, stderr = _run(["import-rules", str(csv), "--out", str(out), *extra])
    return rc, csv, out, stderr


def test_documented_grammar_gives_exact_rules(tmp_path):
    rc, csv, out, stderr = _import(tmp_path, CSV, *[a for m in MAP for a in ("--map", m)])
    assert rc == 0, stderr
    assert "warning" not in stderr and "11 rules" in stderr
    got = tomllib.loads(out.read_text())
    assert set(got) == {"rules"}  # a file of [rules.*] tables only
    expected = _expected(str(csv))
    assert list(got["rules"]) == list(expected)  # file order
    export = "physicell_line9_MAC_M0_export_IL12_molecules_per_min"
    assert got["rules"][export].pop("saturation") == pytest.approx(expected[export].pop("saturation"), rel=1e-12)
    assert got["rules"] == expected
    # stdout without --out: the same text
    rc, stdout, _ = _run(["import-rules", str(csv), *[a for m in MAP for a in ("--map", m)]])
    assert rc == 0 and stdout == out.read_text()


def test_written_file_validates_and_compiles(tmp_path):
    rc, csv, out, stderr = _import(tmp_path, CSV, *[a for m in MAP for a in ("--map", m)])
    assert rc == 0, stderr
    assert _run(["validate", str(out)])[0] == 0
    cfg = load_config(out)
    imported = {k: v for k, v in cfg.rules.items() if v.source.startswith("PhysiCell rules CSV")}
    assert len(imported) == 11 and set(load_config().rules) | set(imported) == set(cfg.rules)

    def terms(c):
        """Multiset of compiled terms: (type, state, behaviour, signal, half-max, Hill power)."""
        t = build_tables(c)
        r = t.rules
        out = Counter()
        for g in range(len(r.run_offsets) - 1):
            typ, st_ = divmod(g, t.n_states)
            for run in range(r.run_offsets[g], r.run_offsets[g + 1]):
                for k in range(r.term_start[run], r.term_end[run]):
                    behaviour = t.stored_behaviour_names[r.run_behaviour[run]]
                    signal = t.stored_signal_names[r.term_signal[k]]
                    out[(t.type_names[typ], t.state_names[typ][st_], behaviour, signal, float(r.term_half_max[k]),
                         float(r.term_power[k]))] += 1
        return out

    added = terms(cfg) - terms(load_config())
    want = Counter()
    default = load_config()
    for rule in _expected(str(csv)).values():
        states = default.states_of(rule["cell_type"]) if rule["state"] == "*" else (rule["state"],)
        for s in states:
            want[(rule["cell_type"], s, rule["behaviour"], rule["signal"], rule["half_max"], rule["hill_power"])] += 1
    assert added == want


@pytest.mark.parametrize("line, column, fragment", [
    ("T,pressure,increases,cycle entry,0,1,1,0", "column 2 (signal)", "no mechanical pressure"),
    ("T,time,increases,apoptosis,0.1,60,1,0", "column 2 (signal)", "time_in_state"),
    ("T,IL2,increases,necrosis,0.1,1,1,0", "column 4 (behaviour)", "no necrosis"),
    ("T,IL2,increases,dance,0.1,1,1,0", "column 4 (behaviour)", "unknown PhysiCell behaviour 'dance'"),
    ("T,IL2,raises,apoptosis,0.1,1,1,0", "column 3 (direction)", "allowed: increases, decreases"),
    ("T,IL2,increases,apoptosis,0.1,abc,1,0", "column 6 (half-max)", "'abc' is not a number"),
    ("T,IL2,increases,apoptosis,-0.1,1,1,0", "column 5 (max response)", "allowed: a number >= 0"),
    ("T,IL2,increases,apoptosis,0.1,0,1,0", "column 6 (half-max)", "allowed: a number > 0"),
    ("T,IL2,increases,apoptosis,0.1,1,nan,0", "column 7 (Hill power)", "not a number"),
    ("T,IL2,increases,apoptosis,0.1,1,1,1", "column 8 (applies to dead)", "live cells only"),
    ("T,IL2,increases,apoptosis,0.1,1,1", "7 columns", "allowed: 8 columns"),
    ("T,IL2,increases,apoptosis,0,0.1,1,1,0", "9 columns", "v2 grammar"),
    ("T,IL2,increases,,0.1,1,1,0", "column 4 (behaviour)", "empty column"),
    ("tumor cell,IL2,increases,apoptosis,0.1,1,1,0", "column 1 (cell type)", "'tumor cell' is not an mscabm cell type"),
    ("T.exhausted,IL2,increases,apoptosis,0.1,1,1,0", "column 1 (cell type)", "'exhausted' is not a state of T"),
    ("T,oxygen,increases,apoptosis,0.1,1,1,0", "column 2 (signal)", "substrate 'oxygen' is not an mscabm field"),
    ("T,contact with tumor,increases,apoptosis,0.1,1,1,0", "column 2 (signal)", "'tumor' is not an mscabm cell type"),
    ("T,IL2,increases,transform to MAC,0.1,1,1,0", "column 4 (behaviour)", "do not change type"),
    ("T,IL2,increases,attack NK.active,0.1,1,1,0", "column 4 (behaviour)", "kills by cell type"),
    ("T,IL2,increases,chemotactic response to IL2,0.1,1,1,0", "column 4 (behaviour)", "follow 'CXCL'"),
    ("T,IL2,increases,migration bias,2,1,1,0", "column 5 (max response)", "allowed: 0..1"),
    ("T,IL2,increases,apoptosis,0.1,1,101,0", "column 7 (Hill power)", "hill_power"),
    # rules of one behaviour and direction share their saturation (mscabm config check, default rule)
    ("T.activated,IL12,increases,cycle entry,0.5,1,1,0", "column 5 (max response)", "il2_drives_T_activated"),
    # a whole-config check: T at 100 um/min crosses more than one diameter per 1-min step
    ("T,IL2,increases,migration speed,100,1,1,0", "", "model.dt_min"),
])
def test_refusals_name_the_line_and_column(tmp_path, line, column, fragment):
    text = "// a PhysiCell rules file\nMAC,IFNG,increases,phagocytose apoptotic cell,0.05,1,1,0\n" + line + "\n"
    rc, csv, out, stderr = _import(tmp_path, text)
    assert rc == 2
    assert f"{csv}:3" in stderr and column in stderr and fragment in stderr, stderr
    assert "Traceback" not in stderr and not out.exists()


def test_duplicate_signal_names_both_lines(tmp_path):
    text = "T,IL2,increases,apoptosis,0.1,1,1,0\n\nT.Th1,IL2,decreases,apoptosis,0,5,1,0\n"
    rc, csv, _, stderr = _import(tmp_path, text)
    assert rc == 2 and f"{csv}:3, column 2 (signal)" in stderr and "on line 1" in stderr


def test_bad_files_and_options(tmp_path):
    rc, csv, _, stderr = _import(tmp_path, "// only a comment\n\n")
    assert rc == 2 and "no rules" in stderr
    rc, _, _, stderr = _import(tmp_path, "T,IL2,increases,apoptosis,0.1,1,1,0\n", "--map", "nonsense")
    assert rc == 2 and "--map" in stderr and "OLD=NEW" in stderr
    rc, _, stderr = _run(["import-rules", str(tmp_path / "missing.csv")])
    assert rc == 2 and "not found" in stderr
    (tmp_path / "latin1.csv").write_bytes("T,IL2,increases,apoptosis,0.1,1,1,0 // \xe9\n".encode("latin-1"))
    rc, _, stderr = _run(["import-rules", str(tmp_path / "latin1.csv")])
    assert rc == 2 and "UTF-8" in stderr


def test_warns_when_a_rule_cannot_act(tmp_path):
    rc, _, out, stderr = _import(tmp_path, "MAC,IFNG,increases,TNF secretion,0.1,10,1,0\n")
    assert rc == 0 and "warning: line 1" in stderr and "saturation_TNF" in stderr
    assert load_config(out).rules["physicell_line1_MAC_secretion_TNF_per_min"].saturation == 0.1


def test_checks_against_a_preset(tmp_path):
    """--config: the rules are checked against that config's rules (here the same default biology)."""
    rc, _, out, stderr = _import(tmp_path, "NK,IL2,increases,attack TISSUE,0.01,10,1,0\n", "--config", "coculture")
    assert rc == 0, stderr
    assert list(tomllib.loads(out.read_text())["rules"]) == ["physicell_line1_NK_kill_TISSUE_per_min"]
    rc, _, _, stderr = _import(tmp_path, "NK,IL2,increases,attack TISSUE,0.01,10,1,0\n", "--config", "no_such")
    assert rc == 2 and "no_such" in stderr


OPEN_VOCABULARY = """\
[cells.BASO]
states = ["resting", "activated"]
count = 50
initial_state = "resting"
radius_um = 5.0
chemotaxis_field = "CXCL"

[cells.BASO.variables.granules]
initial = 1.0
decay_per_min = 0.01

[fields.IL5]
unit = "pM"
diffusion_um2_per_min = 555.0
decay_per_min = 0.01

[behaviours.BASO.resting]
speed_um_per_min = 6.0
"""


def test_declared_type_field_and_variable(tmp_path):
    """Against a config that declares a cell type, a field and a per-cell variable (custom:<V> -> var:<V>)."""
    cfg = tmp_path / "baso.toml"
    cfg.write_text(OPEN_VOCABULARY)
    text = ("basophil,IL5,increases,transform to activated basophil,0.01,5,1,0\n"
            "basophil,custom:granules,decreases,migration speed,1,0.5,2,0\n")
    names = ["--map", "basophil=BASO.resting", "--map", "activated basophil=BASO.activated"]
    rc, csv, out, stderr = _import(tmp_path, text, *names, "--config", str(cfg))
    assert rc == 0, stderr
    rules = tomllib.loads(out.read_text())["rules"]
    assert [(r["cell_type"], r["state"], r["signal"], r["behaviour"]) for r in rules.values()] == [
        ("BASO", "resting", "field:IL5", "to_activated_per_min"),
        ("BASO", "resting", "var:granules", "speed_um_per_min")]
    assert _run(["validate", str(cfg), "--set", "model.name=x"])[0] == 0
    # without the declarations the same file is refused on its first line
    rc, csv, _, stderr = _import(tmp_path, text, *names)
    assert rc == 2 and f"{csv}:1, column 1 (cell type)" in stderr and "'BASO' is not an mscabm cell type" in stderr
    rc, csv, _, stderr = _import(tmp_path, "T,custom:granules,increases,apoptosis,0.1,1,1,0\n", "--config", str(cfg))
    assert rc == 2 and f"{csv}:1, column 2 (signal)" in stderr and "not a per-cell variable of T" in stderr


def test_no_traceback_from_the_installed_command(tmp_path):
    csv = tmp_path / "r.csv"
    csv.write_text("T,IL2,increases,fuse to MAC,0.1,1,1,0\n")
    proc = subprocess.run([sys.executable, "-m", "mscabm", "import-rules", str(csv)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and f"{csv}:1, column 4 (behaviour)" in proc.stderr and "do not fuse" in proc.stderr
    assert "Traceback" not in proc.stderr


_TOKENS = ["T", "T.activated", "MAC", "MAC.M1", "NK", "MSC", "CD8.CTL", "tumor", "IL2", "IFNG", "CXCL", "oxygen",
           "contact with MSC", "contact with apoptotic cell", "contact with dead cell", "time", "pressure",
           "increases", "decreases", "cycle entry", "apoptosis", "migration speed", "migration bias",
           "IL2 uptake", "IL12 export", "TNF secretion", "transform to Th1", "attack MSC", "attack T.naive",
           "phagocytose apoptotic cell", "necrosis", "0", "1", "-1", "0.5", "1e-3", "1e400", "nan", "true", "", " "]
_cell = st.one_of(st.sampled_from(_TOKENS), st.text(alphabet=st.characters(exclude_characters="\n\r,\t"),
                                                     max_size=12),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr))
_number = st.one_of(st.floats(min_value=1e-3, max_value=1).map(repr), st.sampled_from(["1", "0.5", "2e-3", "-1", "x"]))
#: lines shaped like rules (mostly valid columns, one bad choice in each), so that some imports succeed
_rule_line = st.tuples(st.sampled_from(["T", "T.activated", "MAC", "NK", "MSC", "tumor"]),
                       st.sampled_from(["IL2", "IFNG", "CXCL", "contact with MSC", "contact with dead cell", "time"]),
                       st.sampled_from(["increases", "decreases", "increases", "decreases", "up"]),
                       st.sampled_from(["apoptosis", "migration speed", "IL2 uptake", "IL12 export", "attack MSC",
                                        "phagocytose apoptotic cell", "migration bias", "necrosis"]),
                       _number, _number, _number, st.sampled_from(["0", "0", "0", "1", "false"])).map(",".join)
_line = st.one_of(st.lists(_cell, min_size=6, max_size=10).map(",".join), _rule_line, st.text(max_size=40),
                  st.just("// comment"), st.just(""))


@settings(max_examples=80)
@given(st.one_of(st.lists(_line, min_size=1, max_size=6), st.lists(_rule_line, min_size=1, max_size=3)))
def test_fuzzed_csv_is_imported_or_refused(lines):
    text = "\n".join(lines)
    try:
        parse_rules_csv(text, "fuzz.csv")
    except RulesImportError as exc:
        assert exc.path.startswith("fuzz.csv")
    with tempfile.TemporaryDirectory() as tmp:
        csv, out = Path(tmp) / "fuzz.csv", Path(tmp) / "out.toml"
        csv.write_text(text, encoding="utf-8", errors="surrogatepass")
        rc, _, stderr = _run(["import-rules", str(csv), "--out", str(out)])
        assert rc in (0, 2) and "Traceback" not in stderr
        event(f"exit {rc}")
        if rc == 0:
            rules = tomllib.loads(out.read_text())["rules"]
            assert rules and all(r["source"].startswith(f"PhysiCell rules CSV {csv}:") for r in rules.values())
            load_config(out)  # loads against the built-in default
        else:
            assert stderr.startswith("mscabm: config error: ") and not out.exists()
