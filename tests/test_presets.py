"""Presets as package data, ``extends`` chains, and generated files that must match their generator."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mscabm.config import PRESET_DIR, ConfigError, load_config, preset_names, read_config_file
from mscabm.experiments.spec import SPEC_DIR

REPO = Path(__file__).resolve().parents[1]


def test_presets_are_package_data():
    assert PRESET_DIR == REPO / "src" / "mscabm" / "presets"
    names = preset_names()
    assert {"coculture", "human", "mouse", "disease_sle", "disease_gvhd"} <= set(names)
    assert "disease_common" not in names  # a base to extend, not a runnable preset


def test_extends_merges_the_chain_last_file_wins(tmp_path):
    (tmp_path / "a.toml").write_text('[model]\nsteps = 5\nname = "a"\n[domain]\nwidth_um = 300.0\n', encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.toml").write_text('extends = "../a.toml"\n[model]\nname = "b"\n', encoding="utf-8")
    (tmp_path / "c.toml").write_text('extends = "sub/b.toml"\n[domain]\nheight_um = 400.0\n', encoding="utf-8")
    data = read_config_file(tmp_path / "c.toml")
    assert data == {"model": {"steps": 5, "name": "b"}, "domain": {"width_um": 300.0, "height_um": 400.0}}
    cfg = load_config(tmp_path / "c.toml", overrides=["model.steps=7"] + [f"cells.{t}.count=0" for t in
                                                                         ("T", "CD8", "B", "NK", "DC", "MAC", "MSC")])
    assert (cfg.model.steps, cfg.model.name, cfg.domain.width_um, cfg.domain.height_um) == (7, "b", 300.0, 400.0)


def test_extends_a_preset_by_name(tmp_path):
    (tmp_path / "mine.toml").write_text('extends = "coculture"\n[cells.MSC]\ncount = 7\n', encoding="utf-8")
    mine, base = load_config(tmp_path / "mine.toml"), load_config("coculture")
    assert mine.cells["MSC"].count == 7
    mine.cells["MSC"].count = base.cells["MSC"].count
    assert mine.to_dict() == base.to_dict()


@pytest.mark.parametrize("text, fragment", [
    ('extends = "nowhere"\n', "neither a file nor a preset"),
    ('extends = 5\n', "expected a preset name or a file path"),
    ('extends = "me.toml"\n', "comes back to this file"),
])
def test_bad_extends_is_a_config_error(tmp_path, text, fragment):
    (tmp_path / "me.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "me.toml")
    assert "extends" in info.value.path and fragment in info.value.message


def test_bad_extends_exits_2_from_the_cli(tmp_path):
    (tmp_path / "x.toml").write_text('extends = "y.toml"\n', encoding="utf-8")
    (tmp_path / "y.toml").write_text('extends = "x.toml"\n', encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "mscabm", "validate", str(tmp_path / "x.toml")], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "x.toml -> y.toml -> x.toml" in r.stderr and "Traceback" not in r.stderr


def test_disease_presets_are_short_overrides_of_one_base():
    for name in [n for n in preset_names() if n.startswith("disease_")]:
        text = (PRESET_DIR / f"{name}.toml").read_text(encoding="utf-8")
        assert 'extends = "base/disease_common"' in text, name
        assert len(text.splitlines()) < 80, name
        cfg = load_config(name)
        assert cfg.model.name == name and cfg.disease.enabled and cfg.influx


def test_committed_cohort_specs_equal_their_generator(tmp_path):
    """scripts/make_cohort_specs.py writes the shipped {cohort,sens}_*.toml specs: regenerate, compare byte for byte."""
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "make_cohort_specs.py"), "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    made = sorted(p.name for p in tmp_path.glob("*.toml"))
    assert made, "the generator wrote nothing"
    for name in made:
        assert (tmp_path / name).read_bytes() == (SPEC_DIR / name).read_bytes(), name


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_finds_its_presets(tmp_path):
    """`pip wheel .`, installed into a new venv, runs a preset by name from outside the checkout and finds the
    shipped experiment specs by name."""
    wheels = tmp_path / "wheels"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = wheels.glob("mscabm-*.whl")
    venv = tmp_path / "venv"
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv:  # the project's installer (scripts/bootstrap.sh): seconds from its cache
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, timeout=300)
        r = subprocess.run([uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)],
                           capture_output=True, text=True, timeout=900)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        r = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                           capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    run = subprocess.run([str(venv / "bin" / "mscabm"), "run", "coculture", "--steps", "10", "--quiet",
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / "out" / "timeseries.parquet").is_file()
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import mscabm.config as c; print(c.PRESET_DIR); "
                            "from mscabm.experiments import load_spec; print(load_spec('dose_response').source)"],
                           capture_output=True, text=True, timeout=120, cwd=tmp_path)
    presets, spec = where.stdout.split()
    assert presets.startswith(str(venv)) and spec.startswith(str(venv))  # the installed package's data, not ours


def test_route_specs_use_the_mouse_preset_msc_table():
    """The 'mouse' species level of the route-decomposition specs is exactly the MSC table of
    presets/mouse.toml (the expression kinetics are shared; only the outputs differ)."""
    import tomllib

    from mscabm.config.loading import read_config_file, resolve_path

    mouse = read_config_file(resolve_path("mouse"))["behaviours"]["MSC"]
    want = {f"behaviours.MSC.{state}.{b}": v for state, values in mouse.items() for b, v in values.items()}
    for name in ("route_decomposition", "route_transwell"):
        spec = tomllib.loads((SPEC_DIR / f"{name}.toml").read_text())
        species = next(f for f in spec["design"]["factors"] if f["name"] == "species")
        level = next(lv for lv in species["levels"] if lv["label"] == "mouse")
        assert level["set"] == want, name
