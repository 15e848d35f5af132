"""Drive the dashboards in a real headless Chromium (Debian's /usr/bin/chromium via Playwright).

Shared by the end-to-end test (tests/dashboards/test_browser.py) and benchmarks/dashboard_load.py, so both
start the app the way `openfit serve` does and wait for the same thing: the page's main chart drawn.
Playwright never downloads a browser here; it is pointed at the system Chromium.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "dashboards" / "streamlit_app.py"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class DashboardPage:
    url_path: str  # "" is the default page
    title: str
    main_chart: str  # the key of the page's main st.plotly_chart


PAGES = (
    DashboardPage("", "Fitness & form", "pmc"),
    DashboardPage("activities", "Activities", "streams"),
    DashboardPage("power_pace", "Power & pace", "power_curve"),
    DashboardPage("sleep", "Sleep & recovery", "sleep"),
    DashboardPage("readiness", "Readiness & alerts", "readiness"),
    DashboardPage("cross_device", "Cross-device", "cross_device"),
    DashboardPage("correlations", "Correlations", "aligned"),
    DashboardPage("data_health", "Data health", "table_rows"),
)


def chromium_path() -> str | None:
    """The system Chromium, if installed (scripts/install_browser.sh installs it from Debian)."""
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium") or "",
        shutil.which("chromium-browser") or "",
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_command(port: int) -> list[str]:
    """The command `openfit serve` runs for the dashboards (with the port made explicit)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def serve_command(home: Path, port: int) -> list[str]:
    """The dashboards' command from `openfit serve` (cli.core_cmds.serve_commands) once it has one,
    else the documented equivalent, so the browser test exercises what users run."""
    from cli.core_cmds import serve_commands
    from openfit.settings import Settings

    command = serve_commands(Settings(home=home, dashboard_port=port)).get("dashboards")
    return list(command) if command else streamlit_command(port)


@contextmanager
def running_dashboards(home: Path, port: int | None = None, timeout_s: float = 90.0) -> Iterator[str]:
    """Start the dashboards on 127.0.0.1 over `home`'s snapshot; yields the base URL; stops them on exit."""
    port = port or free_port()
    env = {
        **os.environ,
        "OPENFIT_HOME": str(home),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            serve_command(home, port),
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_healthy(proc, log, f"http://127.0.0.1:{port}", timeout_s)
            yield f"http://127.0.0.1:{port}"
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def _wait_healthy(proc: subprocess.Popen, log, base: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"streamlit exited with {proc.returncode}: {log.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"streamlit did not answer on {base} within {timeout_s:.0f} s")
        time.sleep(0.2)


@contextmanager
def chromium(executable: str | None = None):
    """A headless system Chromium under Playwright, with a fresh profile."""
    from playwright.sync_api import sync_playwright

    executable = executable or chromium_path()
    if executable is None:
        raise RuntimeError("no Chromium found: run scripts/install_browser.sh")
    with tempfile.TemporaryDirectory(prefix="openfit-chromium-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 2200},
        )
        try:
            yield context
        finally:
            context.close()


def main_chart_selector(page: DashboardPage) -> str:
    # Streamlit gives a keyed element the class st-key-<key>; .main-svg exists once Plotly has drawn it.
    # A drawn trace, not only the empty frame: the chart has data on it.
    return f".st-key-{page.main_chart} .js-plotly-plot .main-svg .trace"


EXCEPTION_SELECTOR = '[data-testid="stException"]'


EMPTY_STATE_SELECTOR = '[data-testid="stAlert"]'


def wait_for_page(tab, page: DashboardPage, timeout_ms: float = 30_000, allow_empty: bool = False) -> str:
    """Wait until the page's title and its main chart are drawn; raise on a Streamlit exception box.

    Returns "chart", or "empty" when `allow_empty` and the page settled on an empty state instead.
    """
    tab.wait_for_selector(f'h1:has-text("{page.title}")', timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    selector = main_chart_selector(page)
    while True:
        if tab.locator(EXCEPTION_SELECTOR).count():
            raise AssertionError(
                f"{page.title}: Streamlit exception: {tab.locator(EXCEPTION_SELECTOR).first.inner_text()[:2000]}"
            )
        if tab.locator(selector).count():
            return "chart"
        if allow_empty and tab.locator(EMPTY_STATE_SELECTOR).count() and _script_finished(tab):
            return "empty"
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{page.title}: main chart {page.main_chart!r} not drawn within {timeout_ms / 1000:.0f} s"
            )
        tab.wait_for_timeout(25)


def _script_finished(tab) -> bool:
    # While a script runs Streamlit shows its status widget ("Running..."); gone once the run ends.
    return tab.locator('[data-testid="stStatusWidget"]').count() == 0


def open_page(tab, base_url: str, page: DashboardPage, timeout_ms: float = 30_000) -> float:
    """Load the page by URL (a new Streamlit session); returns ms from navigation to main chart drawn."""
    start = time.perf_counter()
    tab.goto(f"{base_url}/{page.url_path}", wait_until="commit")
    wait_for_page(tab, page, timeout_ms=timeout_ms)
    return (time.perf_counter() - start) * 1000


def click_page(tab, page: DashboardPage) -> float:
    """Switch to the page through the sidebar (same session, as a user does); ms to main chart drawn."""
    start = time.perf_counter()
    tab.locator('[data-testid="stSidebarNav"] a', has_text=page.title).first.click()
    # The old page's chart may linger while the new script runs: wait for this page's own chart.
    wait_for_page(tab, page)
    return (time.perf_counter() - start) * 1000
