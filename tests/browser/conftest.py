"""Browser-test harness: the real app in a subprocess, driven by Selenium 4 + Debian Chromium.

The app runs ``forecast dashboard`` on a free port with its own ``FORECAST_HOME`` (so the
embedded job runner and the SQLite store are real). Screenshots go to
``test-output/screenshots/``. Without Chromium the tests skip locally with a reason, and fail
when ``CI`` is set.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .server import running_dashboard

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1440,1000",
]


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(Path(path).name)):
            return f"{path} is not installed (run `make browser`)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def browser_ready():
    """Skip (locally) or fail (in CI) when Chromium, chromedriver or Selenium are missing."""
    reason = _browser_missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser tests need Chromium in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def app_url(browser_ready, tmp_path_factory):
    """Start ``forecast dashboard`` in a subprocess on a free port; yield its URL."""
    home = tmp_path_factory.mktemp("dashboard-home")
    try:
        with running_dashboard(home, {"OMP_NUM_THREADS": "1"}) as (url, _log):
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def download_dir(tmp_path_factory) -> Path:
    """Where Chromium saves downloads."""
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def driver(browser_ready, download_dir):
    """A headless Chromium driven by Selenium 4 (downloads go to ``download_dir``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(download_dir),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.implicitly_wait(0)
    yield drv
    drv.quit()


@pytest.fixture
def shot(driver):
    """``shot(name)`` saves a full-window screenshot under test-output/screenshots/."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def save(name: str) -> Path:
        height = driver.execute_script("return document.body.scrollHeight") or 1000
        driver.set_window_size(1440, min(max(int(height) + 40, 1000), 4000))
        path = SHOTS / f"{name}.png"
        driver.save_screenshot(str(path))
        driver.set_window_size(1440, 1000)
        return path

    return save
