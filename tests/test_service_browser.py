"""The deploy page in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``, which ``.ci/run`` installs when they are missing) driven with
Selenium.  A person signs in with a token (keyboard only), submits a repository, watches
the build log, reaches the notebook, and stops the deployment; at phone width the page
needs no sideways scrolling.  Screenshots are saved as test artifacts (the test's tmp
folder, and ``test-artifacts/`` of the checkout, which git ignores)."""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from launch_helpers import git, make_repo, notebook_bytes
from service_helpers import TOKENS, Service, start_service

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture
def browser() -> Iterator[object]:
    if not (CHROMIUM.is_file() and DRIVER.is_file()):
        pytest.fail(
            "headless Chromium is needed: apt-get install chromium chromium-driver "
            "(.ci/run installs them)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-proxy-server",
        "--window-size=1200,900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=DriverService(str(DRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    running = start_service(tmp_path / "svc", "--allow-local-repositories")
    yield running
    running.stop(signal.SIGTERM)


def wait_for(condition, timeout: float = 300, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def screenshot(driver, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    driver.save_screenshot(str(path))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / name)
    return path


def test_sign_in_deploy_watch_the_log_and_reach_the_notebook(browser, service, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    work = tmp_path / "work"
    make_repo(work, {"analysis.ipynb": notebook_bytes({"env_ver": "1.0"}, kernel=None)})
    repository = tmp_path / "origin.git"  # the origin the service clones and pushes to
    git("clone", "-q", "--bare", str(work), str(repository), cwd=tmp_path)

    # GIVEN the page, not signed in: the sign-in form has the focus
    driver.get(service.url)
    assert driver.title == "Deploy a notebook · envspec"
    token_field = driver.find_element(By.ID, "token")
    assert token_field.is_displayed()
    assert driver.switch_to.active_element == token_field
    # every field has a label
    for field in driver.find_elements(
        By.CSS_SELECTOR, "input:not([type=radio]):not([type=checkbox])"
    ):
        ident = field.get_attribute("id")
        assert driver.find_elements(By.CSS_SELECTOR, f"label[for='{ident}']"), ident

    # WHEN she signs in with the keyboard only
    token_field.send_keys(TOKENS["alice"], Keys.ENTER)
    wait_for(lambda: not driver.find_element(By.ID, "signin").is_displayed(), 30, "sign-in")
    assert driver.find_element(By.ID, "mine-empty").is_displayed()

    # AND submits a repository (a wrong path first: the page says what to fix)
    driver.find_element(By.ID, "repo").send_keys(repository.as_uri())
    driver.find_element(By.ID, "ref").send_keys("main")
    path = driver.find_element(By.ID, "path")
    path.send_keys("analysis.py", Keys.ENTER)
    assert "ending in .ipynb" in driver.find_element(By.ID, "deploy-error").text
    assert driver.switch_to.active_element == path
    path.clear()
    path.send_keys("analysis.ipynb")
    driver.find_element(By.ID, "open-when-ready").click()  # watch first, then open
    driver.find_element(By.ID, "deploy-button").click()

    # THEN the build log streams in, and the notebook's link appears when it is ready
    wait_for(lambda: driver.find_element(By.ID, "progress").is_displayed(), 30, "the log")
    wait_for(lambda: driver.find_element(By.ID, "ready").is_displayed(), 300, "ready")
    log = driver.find_element(By.ID, "log").text
    for phase in ("[queued]", "[fetching]", "[building]", "[launching]"):
        assert phase in log, log
    assert driver.find_element(By.ID, "phase").text == "Ready."
    link = driver.find_element(By.ID, "open-link")
    assert driver.switch_to.active_element == link
    shot = screenshot(driver, tmp_path, "deploy-page-ready.png")
    assert shot.stat().st_size > 10_000
    # my deployments list it as ready, with its buttons
    item = wait_for(
        lambda: [li for li in driver.find_elements(By.CSS_SELECTOR, "#deployments li")
                 if "ready" in li.text], 30, "the list")  # fmt: skip
    labels = {b.text for b in item[0].find_elements(By.TAG_NAME, "button")}
    assert {"Log", "Push back", "Stop"} <= labels

    # AND Push back commits the session's notebook to a new branch of the origin
    push = [b for b in item[0].find_elements(By.TAG_NAME, "button") if b.text == "Push back"]
    push[0].click()
    message = wait_for(
        lambda: driver.find_element(By.ID, "mine-message").text.startswith("Pushed")
        and driver.find_element(By.ID, "mine-message").text, 60, "the push")  # fmt: skip
    branch = message.split("the branch ", 1)[1].split(" ", 1)[0]
    assert git("branch", "--list", branch, cwd=repository).strip().endswith(branch)

    # AND the phone-width page needs no sideways scrolling
    driver.set_window_size(390, 844)
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= driver.execute_script("return window.innerWidth"), width
    screenshot(driver, tmp_path, "deploy-page-phone.png")
    driver.set_window_size(1200, 900)

    # WHEN she opens the notebook: the server of the deployment answers with JupyterLab
    url = link.get_attribute("href")
    assert url.startswith("http://127.0.0.1:")
    assert "/lab/tree/analysis.ipynb?token=" in url
    link.send_keys(Keys.ENTER)
    wait_for(lambda: driver.current_url.startswith(url.split("?")[0]), 60, "the notebook")
    wait_for(lambda: "JupyterLab" in driver.title or "analysis" in driver.title, 60, "the lab")
    screenshot(driver, tmp_path, "notebook.png")

    # AND back on the page, Stop stops it
    driver.get(service.url)
    stop = wait_for(
        lambda: [b for b in driver.find_elements(By.CSS_SELECTOR, "#deployments button")
                 if b.text == "Stop"], 30, "the Stop button")  # fmt: skip
    stop[0].click()
    wait_for(lambda: "stopped" in driver.find_element(By.ID, "deployments").text, 60, "stopped")
    items = service.request("GET", "api/v1/deployments").json()["items"]
    assert [d["status"] for d in items] == ["stopped"]
    assert TOKENS["alice"] not in service.stderr


def test_a_binder_launch_link_and_an_eventsource_client(browser, service, tmp_path):
    """The v2 launch link, as a badge opens it, and the build stream read by the browser's
    own EventSource, as the binderhub JavaScript client and thebe read it."""
    import urllib.parse

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    repository = tmp_path / "repo"
    make_repo(repository, {"analysis.ipynb": notebook_bytes({"env_ver": "1.0"}, kernel=None)})
    spec = urllib.parse.quote(repository.as_uri(), safe="") + "/main"

    # GIVEN a launch link: the page asks for the token, then follows the build to the lab
    driver.get(f"{service.url}v2/git/{spec}?labpath=analysis.ipynb")
    token_field = wait_for(
        lambda: driver.find_element(By.ID, "token").is_displayed()
        and driver.find_element(By.ID, "token"), 30, "the sign-in form")  # fmt: skip
    token_field.send_keys(TOKENS["alice"], Keys.ENTER)
    # (JupyterLab takes the token into a cookie and drops it from the address)
    wait_for(lambda: "/lab/tree/analysis.ipynb" in driver.current_url, 300, "the lab")
    assert driver.current_url.startswith("http://127.0.0.1:")
    screenshot(driver, tmp_path, "binder-launch.png")

    # WHEN a client reads the build stream with an EventSource (the token in the query)
    driver.get(service.url)
    build = f"{service.url}build/git/{spec}?token={TOKENS['alice']}"
    messages = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const seen = [];
        const source = new EventSource(arguments[0]);
        source.onmessage = (event) => {
          const data = JSON.parse(event.data);
          seen.push(data);
          if (data.phase === "ready" || data.phase === "failed") { source.close(); done(seen); }
        };
        source.onerror = () => { source.close(); done(seen); };
        """,
        build,
    )
    # THEN it ends with ready, the server's url and its token (the running deployment)
    assert messages[-1]["phase"] == "ready", messages
    ready = messages[-1]
    driver.get(f"{ready['url']}lab/tree/analysis.ipynb?token={ready['token']}")
    wait_for(lambda: "JupyterLab" in driver.title or "analysis" in driver.title, 60, "the lab")
    items = service.request("GET", "api/v1/deployments").json()["items"]
    assert len(items) == 1  # the launch link's deployment, reused


def test_a_notebook_uploaded_from_the_computer(browser, service, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    notebook = tmp_path / "upload.ipynb"
    notebook.write_bytes(notebook_bytes({"env_ver": "1.0"}, kernel=None))
    driver.get(service.url)
    driver.find_element(By.ID, "token").send_keys(TOKENS["bob"], Keys.ENTER)
    wait_for(lambda: not driver.find_element(By.ID, "signin").is_displayed(), 30, "sign-in")
    # WHEN he picks "On my computer" and a notebook file, and deploys
    driver.find_element(By.CSS_SELECTOR, "input[name=kind][value=upload]").click()
    assert not driver.find_element(By.ID, "repo").is_displayed()
    driver.find_element(By.ID, "notebook").send_keys(str(notebook))
    driver.find_element(By.ID, "open-when-ready").click()
    driver.find_element(By.ID, "deploy-button").click()
    # THEN it becomes ready, listed under its file name, and opens in JupyterLab
    wait_for(lambda: driver.find_element(By.ID, "ready").is_displayed(), 300, "ready")
    assert "upload.ipynb" in driver.find_element(By.ID, "deployments").text
    url = driver.find_element(By.ID, "open-link").get_attribute("href")
    assert "/lab/tree/upload.ipynb?token=" in url
    driver.get(url)
    wait_for(lambda: "/lab/tree/upload.ipynb" in driver.current_url, 60, "the lab")
