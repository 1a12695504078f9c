"""In headless Chromium, Swagger UI and GraphiQL load from the app alone and can run a request.

Chromium resolves no host but 127.0.0.1 here, so a page that still needed a CDN would stay blank.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as visible
from selenium.webdriver.support.ui import WebDriverWait

from app.migrate import migrate
from backing_services.local_processes import LOOPBACK, free_port, running

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
WAIT_S = 20.0

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="headless Chromium is not installed (apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options = webdriver.ChromeOptions()
    # Both paths given, so Selenium Manager never tries to download a browser or a driver.
    options.binary_location = CHROMIUM
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            # Chromium's own background traffic would be refused by a closed network anyway.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            # Every host but loopback fails to resolve: a CDN reference breaks the page here too.
            f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {LOOPBACK}",
        ):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture
def page(browser: WebDriver) -> WebDriver:
    """The shared browser, its console log emptied so that each test judges only its own page."""
    browser.get_log("browser")
    return browser


@pytest.fixture
def composed_app(redis_url: str, database_url: str, tmp_path: Path) -> Iterator[str]:
    """The composed app as a real process, migrated first as a deploy does; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "HOST": LOOPBACK,
        "PORT": str(port),
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "development",  # GraphiQL is a development convenience
    }
    asyncio.run(migrate(database_url))
    log = tmp_path / "composed-app.log"  # read it when the app dies before listening
    with running(
        [sys.executable, "-m", "app"], port=port, name="composed app", env=env, log_path=log
    ):
        yield f"http://{LOOPBACK}:{port}"


def wait_for(browser: WebDriver, css: str) -> WebElement:
    element: WebElement = WebDriverWait(browser, WAIT_S).until(
        visible.element_to_be_clickable((By.CSS_SELECTOR, css)),
        message=f"nothing clickable matched {css!r} within {WAIT_S:.0f} s",
    )
    return element


def console_errors(browser: WebDriver) -> list[str]:
    """What the page logged as errors: a failed script or stylesheet load shows up here."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_swagger_ui_renders_the_operations_and_executes_get_healthz(
    page: WebDriver, composed_app: str
) -> None:
    # Rule: /docs works with no internet: it lists the operations, and "Execute" calls the API.
    page.get(f"{composed_app}/docs")
    # Found by its path, not its generated id, which changes with the route's tag.
    healthz = '.opblock-get:has(.opblock-summary-path[data-path="/healthz"])'

    wait_for(page, f"{healthz} .opblock-summary-control").click()
    wait_for(page, f"{healthz} .try-out__btn").click()
    wait_for(page, f"{healthz} .execute").click()
    live = wait_for(page, f"{healthz} .live-responses-table .response")

    assert live.find_element(By.CSS_SELECTOR, ".response-col_status").text == "200"
    body = live.find_element(By.CSS_SELECTOR, ".highlight-code code").text
    assert json.loads(body) == {"status": "ok"}
    assert page.find_elements(By.CSS_SELECTOR, '.opblock-summary-path[data-path="/readyz"]')
    assert console_errors(page) == []


def test_graphiql_loads_and_runs_a_query(page: WebDriver, composed_app: str) -> None:
    # Rule: a browser's GET of /graphql gets a working GraphiQL that runs a query on the router.
    page.get(f"{composed_app}/graphql")
    wait_for(page, ".graphiql-query-editor .CodeMirror")

    page.execute_script(
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
        ".setValue(arguments[0])",
        "{ __typename }",
    )
    wait_for(page, ".graphiql-execute-button").click()
    result = WebDriverWait(page, WAIT_S).until(
        lambda driver: driver.execute_script(
            "const editor = document.querySelector('.result-window .CodeMirror');"
            "return editor && editor.CodeMirror.getValue();"
        ),
        message="GraphiQL showed no result",
    )

    assert json.loads(result) == {"data": {"__typename": "Query"}}
    assert console_errors(page) == []
