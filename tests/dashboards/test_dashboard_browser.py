"""End to end in a real browser: the dashboards served over HTTP by the same command as `openfit serve`,
every page loaded in headless Debian Chromium (Playwright pointed at /usr/bin/chromium), no Streamlit
exception box, the main chart drawn, a screenshot per page.

Screenshots go to $OPENFIT_TEST_RESULTS/dashboards/<warehouse>/ when that variable is set, else to the
test's tmp_path (pytest prints it on failure; `--basetemp` pins it).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import browser_check as bc
import pytest

pytestmark = pytest.mark.slow
INSTALL_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install_browser.sh"


@pytest.fixture(scope="module")
def chromium_executable() -> str:
    path = bc.chromium_path()
    if path is None:
        result = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=900)
        path = bc.chromium_path()
        if path is None:
            pytest.skip(
                f"no Chromium at /usr/bin/chromium and scripts/install_browser.sh could not install it: "
                f"{(result.stderr or result.stdout)[-500:]}"
            )
    return path


def _screenshot_dir(tmp_path: Path, name: str) -> Path:
    root = Path(os.environ["OPENFIT_TEST_RESULTS"]) if os.environ.get("OPENFIT_TEST_RESULTS") else tmp_path
    folder = root / "dashboards" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _visit_every_page(home: Path, shots: Path, executable: str, allow_empty: set[str]) -> dict[str, str]:
    outcome = {}
    with bc.running_dashboards(home) as base, bc.chromium(executable) as browser:
        tab = browser.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        for page in bc.PAGES:
            tab.goto(f"{base}/{page.url_path}", wait_until="commit")
            outcome[page.title] = bc.wait_for_page(
                tab, page, timeout_ms=60_000, allow_empty=page.main_chart in allow_empty
            )
            assert tab.locator(bc.EXCEPTION_SELECTOR).count() == 0
            tab.wait_for_timeout(300)  # let the other charts on the page finish drawing for the screenshot
            tab.screenshot(path=str(shots / f"{page.url_path or 'fitness'}.png"))
        # In-app navigation through the sidebar works too (a user's path; same session, cached data).
        for page in (*bc.PAGES[1:], bc.PAGES[0]):
            if outcome[page.title] == "chart":
                bc.click_page(tab, page)
        assert not errors, f"JavaScript errors in the page: {errors[:3]}"
    for page in bc.PAGES:
        png = shots / f"{page.url_path or 'fitness'}.png"
        assert png.stat().st_size > 20_000, f"{png} looks empty"
    return outcome


def test_every_page_in_a_real_browser(factory_home, chromium_executable, tmp_path):
    """A snapshot with every table and mart: every page must draw its main chart."""
    shots = _screenshot_dir(tmp_path, "factory")
    outcome = _visit_every_page(factory_home, shots, chromium_executable, allow_empty=set())
    assert set(outcome.values()) == {"chart"}
    assert sorted(p.name for p in shots.glob("*.png")) == sorted(
        f"{p.url_path or 'fitness'}.png" for p in bc.PAGES
    )


def _background_luminance(tab) -> float:
    rgb = tab.evaluate("getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor")
    r, g, b = (float(v) for v in re.findall(r"[\d.]+", rgb)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_light_and_dark_themes_follow_the_system(factory_home, chromium_executable, tmp_path):
    shots = _screenshot_dir(tmp_path, "themes")
    page = bc.PAGES[0]
    with bc.running_dashboards(factory_home) as base, bc.chromium(chromium_executable) as browser:
        luminance = {}
        for scheme in ("light", "dark"):
            tab = browser.new_page()
            tab.emulate_media(color_scheme=scheme)
            bc.open_page(tab, base, page, timeout_ms=60_000)  # the first visit warms a cold server
            assert tab.locator(bc.EXCEPTION_SELECTOR).count() == 0
            luminance[scheme] = _background_luminance(tab)
            tab.screenshot(path=str(shots / f"fitness-{scheme}.png"))
            tab.close()
    assert luminance["light"] > 0.8 and luminance["dark"] < 0.2, luminance


def test_every_page_on_the_built_warehouse(fixture_warehouse, chromium_executable, tmp_path):
    """The session's warehouse, built by the real dlt -> dbt -> publish path: no page fails; pages whose
    marts that build does not produce yet show their empty state instead of a chart. Cross-device must draw:
    each synthetic athlete has a watch and a ring reporting the same daily metrics through one provider."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{fixture_warehouse.snapshot_path}' AS s (READ_ONLY)")
    present = {
        f"{s}.{t}"
        for s, t in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 's'"
        ).fetchall()
    }
    con.close()
    needs = {
        "pmc": "marts.daily_training_load",
        "power_curve": "marts.power_curve",
        "readiness": "marts.readiness",
    }
    allow_empty = {chart for chart, table in needs.items() if table not in present}
    shots = _screenshot_dir(tmp_path, "built")
    outcome = _visit_every_page(fixture_warehouse.home_dir, shots, chromium_executable, allow_empty)
    for page in bc.PAGES:
        if page.main_chart not in allow_empty:
            assert outcome[page.title] == "chart", page.title
