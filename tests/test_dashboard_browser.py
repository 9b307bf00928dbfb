"""Browser test of the dashboard: a real server, Debian chromium driven by Playwright.

Starts ``mscabm dashboard`` on a free port, opens the page headless, checks the tissue image
and the chart render, plays, toggles transwell, a knock-out and a rule, infuses MSCs, sends invalid
input, compares, and saves screenshots under ``runs/test-artifacts/dashboard/`` (git-ignored). Needs the ``chromium``
executable: skipped locally without it, a failure in CI (``CI`` set), where ``.ci/run`` installs it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "runs" / "test-artifacts" / "dashboard"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: CI must install Debian chromium (see .ci/run)")
        pytest.skip("chromium not installed (apt-get install chromium); the browser test runs in CI")
    try:
        import playwright  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright (Python) is not installed: it is in the 'test' extra")
        pytest.skip("playwright not installed (pip install -e '.[test]')")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(*args: str, env_extra: dict | None = None, log_name: str | None = None, fetch_assets: bool = False):
    """``mscabm dashboard ARGS`` on a free port: yields (url, process) once it answers; terminated at
    the end. Its stderr goes to ``runs/test-artifacts/dashboard/<log_name or server_PORT.log>``."""
    port = _free_port()
    env = dict(os.environ, MSCABM_DASHBOARD_CHART_EVERY_S="1.0", SOLARA_TELEMETRY_MIXPANEL_ENABLE="False",
               **(env_extra or {}))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / (log_name or f"server_{port}.log"), "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen([sys.executable, "-m", "mscabm", "dashboard", *args, "--port", str(port),
                             *([] if fetch_assets else ["--no-fetch-assets"])],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        from mscabm.dashboard.cli import wait_until_serving

        wait_until_serving(url, proc, 60.0)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server():
    _chromium()
    with serving(log_name="server.log", fetch_assets=True) as (url, proc):
        yield url, proc.stdout.readline()  # the command's "serving on <url>" line


def _steps(page) -> int:
    return int(page.inner_text(".mscabm-steps"))


def _tissue_src(page) -> str:
    return page.get_attribute("img.mscabm-tissue", "src")


def _n_msc(page) -> int:
    return int(page.inner_text(".mscabm-n-msc"))


def _config(page) -> dict:
    with page.expect_download() as dl:
        page.get_by_text("config (TOML)").click()
    return tomllib.loads(Path(dl.value.path()).read_text())


def _play_until(page, steps: int) -> None:
    """Press Play and wait for the step counter. Right after a model reset the first press can land
    on the button the reset is re-rendering (seen in CI since 2026-12-02, after the transwell
    reset): if the page still offers Play after 10 s, press it once more."""
    reached = f"parseInt(document.querySelector('.mscabm-steps').innerText) >= {steps}"
    page.click(".mscabm-play")
    try:
        page.wait_for_function(reached, timeout=10_000)
    except Exception:  # noqa: BLE001 (playwright TimeoutError)
        if page.locator(".mscabm-play").inner_text().strip().lower().endswith("play"):
            page.click(".mscabm-play")
        page.wait_for_function(reached, timeout=30_000)
    page.click(".mscabm-play")  # pause
    page.wait_for_selector("text=Play")


def test_dashboard_in_browser(server):
    from playwright.sync_api import expect, sync_playwright

    from mscabm.biology.celltypes import CELL_TYPES
    from mscabm.dashboard.controls import blocker_label, knockout_label, transwell_label

    url, first_line = server
    assert url in first_line and "127.0.0.1" in first_line, first_line
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {ARTIFACTS}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1300}, accept_downloads=True)
        page.set_default_timeout(30_000)
        offline_misses = []
        page.on("response", lambda r: offline_misses.append(r.url) if "/_solara/cdn/" in r.url and r.status >= 400
                else None)
        t0 = time.perf_counter()
        page.goto(url)
        page.wait_for_selector("img.mscabm-tissue", timeout=90_000)
        first_image_s = time.perf_counter() - t0
        print(f"page open -> first tissue image: {first_image_s:.2f} s")
        page.wait_for_selector(".mscabm-chart svg")
        assert page.evaluate("document.querySelector('img.mscabm-tissue').naturalWidth") > 100
        assert not offline_misses, f"browser assets missing from the local cache: {offline_misses}"
        page.screenshot(path=ARTIFACTS / "01_open.png")
        assert _steps(page) == 0
        legend = page.inner_text(".mscabm-legend")
        for t, spec in CELL_TYPES.items():  # every type and state has a colour in the legend
            for st in spec.states:
                assert f"{t} {st}" in legend, (t, st)

        # play: the step counter advances and the image changes
        before = _tissue_src(page)
        _play_until(page, 5)
        assert _steps(page) >= 5
        assert _tissue_src(page) != before
        page.screenshot(path=ARTIFACTS / "02_played.png")

        # record a movie: the frames the play loop shows, downloaded as numbered PNGs with their times
        page.get_by_text("record frames while playing (movie)", exact=True).click()
        _play_until(page, _steps(page) + 5)
        expect(page.locator(".mscabm-recording-status")).to_contain_text("frames recorded")
        with page.expect_download() as dl:
            page.get_by_text("movie frames (zip)").click()
        with zipfile.ZipFile(dl.value.path()) as z:
            names = z.namelist()
            rows = z.read("frames.csv").decode().splitlines()
        assert names[0] == "frame_0000.png" and names[-1] == "frames.csv" and len(rows) == len(names)

        # interventions from the tables: transwell and the COX2 knock-out reset the model and reach its config
        page.get_by_text(transwell_label(), exact=True).click()
        expect(page.locator(".mscabm-notice")).to_contain_text("interventions.transwell=True")
        expect(page.locator(".mscabm-steps")).to_have_text("0")
        _play_until(page, 2)
        page.get_by_text(knockout_label("COX2"), exact=True).click()
        expect(page.locator(".mscabm-notice")).to_contain_text("interventions.knockout=['COX2']")
        expect(page.locator(".mscabm-steps")).to_have_text("0")
        # a blocker from the table: indomethacin blocks COX in every cell (macrophages make PGE2 too)
        page.get_by_text(blocker_label("indomethacin"), exact=True).click()
        expect(page.locator(".mscabm-notice")).to_contain_text("interventions.block=['indomethacin']")
        # a rule switched off: found with the search box (rules are grouped by cell type)
        page.locator(".mscabm-rule-search input").fill("pge2_arrests_T")
        page.get_by_text("pge2_arrests_T_activated", exact=True).click()
        expect(page.locator(".mscabm-notice")).to_contain_text("rules.pge2_arrests_T_activated.enabled=False")
        expect(page.locator(".mscabm-notice")).to_contain_text("interventions.transwell=True")  # still in force
        cfg = _config(page)
        assert cfg["interventions"]["transwell"] is True and cfg["interventions"]["knockout"] == ["COX2"], cfg
        assert cfg["interventions"]["block"] == ["indomethacin"], cfg
        assert cfg["rules"]["pge2_arrests_T_activated"]["enabled"] is False
        # the blockade took effect: no cell makes PGE2, so its mean stays 0 while other fields rise
        _play_until(page, 5)
        expect(page.locator(".mscabm-mean-PGE2")).to_have_text("0")
        assert float(page.inner_text(".mscabm-mean-TNF")) > 0
        page.screenshot(path=ARTIFACTS / "03_interventions.png")

        # infuse MSCs now: the count rises by the requested number, no reset, recorded in the config
        count_box = page.locator(".mscabm-infuse-count input")
        count_box.fill("25")
        count_box.press("Enter")
        expect(page.locator(".mscabm-infuse-next")).to_contain_text("25 MSCs at t =")  # the server has the count
        steps, n_msc = _steps(page), _n_msc(page)
        page.click(".mscabm-infuse")
        expect(page.locator(".mscabm-notice")).to_contain_text("Infused 25 MSC")
        assert _n_msc(page) == n_msc + 25 and _steps(page) == steps
        infusions = _config(page)["interventions"]["infusions"]
        assert [(i["at_min"], i["count"], i["cell_type"]) for i in infusions] == [(float(steps), 25, "MSC")], infusions
        page.screenshot(path=ARTIFACTS / "04_infused.png")

        # dose MSC-EVs now: the EV field rises, no reset, recorded as interventions.doses
        ev_box = page.locator(".mscabm-ev-level input")
        ev_box.fill("30")
        ev_box.press("Enter")
        page.click(".mscabm-ev-dose")
        expect(page.locator(".mscabm-notice")).to_contain_text("Dosed EV +30")
        assert _steps(page) == steps and float(page.inner_text(".mscabm-mean-EV")) >= 30
        doses = _config(page)["interventions"]["doses"]
        assert [(d["at_min"], d["field"], d["level"]) for d in doses] == [(float(steps), "EV", 30.0)], doses

        # invalid input: an error in the page, the box shows the value in force again, the server keeps
        # serving, the model keeps running
        box = page.locator(".mscabm-msc input")
        in_force = box.input_value()
        box.fill("-5")
        box.press("Enter")
        expect(page.locator(".mscabm-error")).to_contain_text("cells.MSC.count")
        expect(page.locator(".mscabm-msc input")).to_have_value(in_force)
        page.screenshot(path=ARTIFACTS / "05_invalid.png")
        page.click(".mscabm-step-btn")
        expect(page.locator(".mscabm-steps")).to_have_text(str(steps + 1))
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200

        # compare: a control run side by side
        page.locator(".mscabm-compare").click()
        page.get_by_role("option", name="no MSCs (control)").click()
        page.wait_for_selector("img.mscabm-tissue-control")
        page.click(".mscabm-step-btn")
        expect(page.locator(".mscabm-steps")).to_have_text("1")
        page.screenshot(path=ARTIFACTS / "06_compare.png")
        (ARTIFACTS / "timing.txt").write_text(f"page open -> first tissue image: {first_image_s:.2f} s\n")
        browser.close()
