"""Browser tests of the dashboard beyond the live page (issue 23): replay of a run folder, the results
browser on a small experiment, the shared colour scale in compare mode, recovery from a failed preset
switch, and shutdown on SIGTERM with a tab open and playing.

Real servers (``mscabm dashboard ...``) and Debian chromium driven by Playwright, as in
``test_dashboard_browser.py`` (skipped locally without chromium, a failure in CI). Screenshots go to
``runs/test-artifacts/dashboard/``.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from test_dashboard_browser import ARTIFACTS, CHROMIUM_ARGS, _chromium, _play_until, serving
from test_dashboard_results import SPEC as EXPERIMENT_SPEC


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    path = _chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _page(browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1200}, accept_downloads=True)
    page.set_default_timeout(30_000)
    return page


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    from mscabm.cli import main

    out = tmp_path_factory.mktemp("replay_browser") / "run"
    sets = {"domain.width_um": 300, "domain.height_um": 300, "output.snapshot_every": 5, "cells.T.count": 150,
            "cells.MSC.count": 15, "cells.CD8.count": 30, "cells.B.count": 10, "cells.NK.count": 8,
            "cells.DC.count": 2, "cells.MAC.count": 8}
    args = ["run", "--steps", "20", "--out", str(out), "--quiet"]
    for k, v in sets.items():
        args += ["--set", f"{k}={v}"]
    assert main(args) == 0
    return out


def test_replay_of_a_run_folder(browser, run_folder):
    """The slider moves through the snapshots: step counter, time and image follow; the inspector reads
    the saved cells; the frames export is a zip of one PNG per snapshot."""
    import zipfile

    from playwright.sync_api import expect

    with serving(str(run_folder)) as (url, _proc):
        page = _page(browser)
        page.goto(url)
        page.wait_for_selector("img.mscabm-tissue", timeout=90_000)
        expect(page.locator(".mscabm-steps")).to_have_text("20")  # opens on the last snapshot
        last = page.get_attribute("img.mscabm-tissue", "src")
        slider = page.locator(".mscabm-replay-slider .v-slider")
        slider.click(position={"x": 2, "y": 5})  # the slider's left end: the first snapshot
        expect(page.locator(".mscabm-steps")).to_have_text("0")
        assert page.get_attribute("img.mscabm-tissue", "src") != last
        page.locator(".mscabm-cell-id input").fill("3")
        page.locator(".mscabm-cell-id input").press("Enter")
        expect(page.locator(".mscabm-inspector")).to_contain_text("apoptosis")
        page.click(".mscabm-replay-play")  # plays to the end and stops
        expect(page.locator(".mscabm-steps")).to_have_text("20", timeout=30_000)
        page.screenshot(path=ARTIFACTS / "10_replay.png")
        with page.expect_download() as dl:
            page.get_by_text("snapshots as PNG frames").click()
        names = zipfile.ZipFile(dl.value.path()).namelist()
        assert names == [f"frame_{i:04d}.png" for i in range(5)], names
        page.close()


def test_results_browser_on_a_small_experiment(browser, tmp_path_factory):
    import mscabm.experiments as mx

    out = tmp_path_factory.mktemp("results_browser") / "exp"
    df = mx.run(json.loads(json.dumps(EXPERIMENT_SPEC)), out=out, in_process=True, progress=False)
    assert (df["status"] == "done").all()
    from playwright.sync_api import expect

    with serving(str(out)) as (url, _proc):
        page = _page(browser)
        page.goto(url)
        page.wait_for_selector(".mscabm-summary", timeout=90_000)
        expect(page.locator(".mscabm-results-status")).to_contain_text("6 runs (6 done)")
        summary = page.inner_text(".mscabm-summary")
        assert "disease_activity" in summary and "control" in summary and "drug" in summary
        page.wait_for_selector(".mscabm-timecourse img, img.mscabm-timecourse")
        page.screenshot(path=ARTIFACTS / "11_results_top.png")
        expect(page.locator(".mscabm-cohort")).to_contain_text("responder")
        page.wait_for_selector(".mscabm-cohort-figure img, img.mscabm-cohort-figure")
        assert page.inner_text(".mscabm-runs").count("done") == 6
        page.locator(".mscabm-run-pick").click()
        page.get_by_role("option").nth(1).click()
        page.wait_for_selector(".mscabm-run-chart svg polyline", state="attached")
        page.screenshot(path=ARTIFACTS / "11_results.png", full_page=True)
        page.close()


def test_compare_scale_failed_preset_and_sigterm(browser, tmp_path):
    """Compare mode shows one shared scale; switching to a preset that fails keeps the running model
    and puts the menu back on it; SIGTERM with a tab open and playing stops the server in seconds."""
    from playwright.sync_api import expect

    presets = tmp_path / "presets"
    presets.mkdir()
    (presets / "broken_dose.toml").write_text("[cells.MSC]\ncount = -5\n")
    with serving("--presets", str(presets)) as (url, proc):
        page = _page(browser)
        page.goto(url)
        page.wait_for_selector("img.mscabm-tissue", timeout=90_000)
        # a failed preset switch: error in view, the old model kept, the menu back on the running preset
        page.locator(".mscabm-preset").click()
        page.get_by_role("option", name="broken_dose").click()
        expect(page.locator(".mscabm-error")).to_contain_text("cells.MSC.count")
        expect(page.locator(".mscabm-preset")).to_contain_text("default")
        expect(page.locator(".mscabm-in-force")).to_contain_text("preset default")
        page.screenshot(path=ARTIFACTS / "12_failed_preset.png")
        # compare: both views on one colour scale, said under the bar
        page.locator(".mscabm-compare").click()
        page.get_by_role("option", name="no MSCs (control)").click()
        page.wait_for_selector("img.mscabm-tissue-control")
        expect(page.locator(".mscabm-in-force")).to_contain_text("side by side with: no MSCs (control)")
        _play_until(page, 6)
        expect(page.locator(".mscabm-colourbar")).to_contain_text("shared scale")
        page.screenshot(path=ARTIFACTS / "13_compare_shared_scale.png")
        # run to day N: plays and pauses itself at that simulated time, and says so
        page.locator(".mscabm-compare").click()
        page.get_by_role("option", name="none", exact=True).click()
        box = page.locator(".mscabm-run-to input")
        box.fill(str(15 / 1440))  # 15 min: step 15 of the 1-min default
        box.press("Enter")
        page.click(".mscabm-play")
        expect(page.locator(".mscabm-notice")).to_contain_text("Reached day", timeout=60_000)
        expect(page.locator(".mscabm-play")).to_contain_text("play", ignore_case=True)
        expect(page.locator(".mscabm-steps")).to_have_text("15")
        expect(box).to_have_value("0.0")  # a one-shot target: cleared once reached
        # the last tab closed while playing: the session stops stepping (the server says so in its log)
        _play_until(page, 18)  # (presses Play again if the first press lands on a re-rendering button)
        # playing for sure before the tab closes: the counter moves on from where the pause left it (under load
        # the pause can land past step 20, and a close right after the click raced the click to the server)
        paused_at = int(page.locator(".mscabm-steps").inner_text())
        page.click(".mscabm-play")
        page.wait_for_function(f"parseInt(document.querySelector('.mscabm-steps').innerText) >= {paused_at + 2}")
        page.close()
        deadline = time.time() + 40
        log = ARTIFACTS / f"server_{url.rsplit(':', 1)[1].strip('/')}.log"
        while time.time() < deadline and "stopped stepping" not in log.read_text():
            time.sleep(0.5)
        assert "stopped stepping" in log.read_text()
        # SIGTERM while playing with a tab open
        page = _page(browser)
        page.goto(url)
        page.wait_for_selector("img.mscabm-tissue", timeout=90_000)
        page.click(".mscabm-play")
        page.wait_for_function("parseInt(document.querySelector('.mscabm-steps').innerText) >= 8")
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=20)
        took = time.perf_counter() - t0
        print(f"\nSIGTERM -> exit: {took:.2f} s (rc {rc})")
        assert rc in (0, 143) and took < 15, (rc, took)  # 143: mscabm's documented "stopped by SIGTERM"
        page.close()
    assert Path(ARTIFACTS).is_dir()
