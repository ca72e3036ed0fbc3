"""Debian's headless Chromium driven by selenium through Debian's chromedriver (no browser is downloaded), and
servers started on free loopback ports for it to open."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
MISSING = None if CHROMIUM and CHROMEDRIVER else (
    "needs Debian's chromium and chromium-driver (`make browser` installs them where root and apt exist)"
)
# Headless as root in a sandbox without a network: no GPU, no sandbox, no background connections.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1700,1000")


@contextmanager
def chromium() -> Iterator:
    """A selenium driver of headless Chromium with a fresh profile, closed afterwards."""
    from selenium import webdriver

    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
        try:
            yield driver
        finally:
            driver.quit()


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that nothing listens on (all held open until each is known)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def start_server(command: list[str], log: Path) -> subprocess.Popen:
    """Start ``command`` (a server) in its own process group, its output in ``log``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    with open(log, "w") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def wait_for_port(server: subprocess.Popen, port: int, log: Path, timeout: float = 240) -> str:
    """``http://127.0.0.1:{port}`` once ``server`` accepts connections there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"{server.args[:3]} ended with {server.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return f"http://127.0.0.1:{port}"
        time.sleep(0.5)
    raise AssertionError(f"{server.args[:3]} did not listen on port {port} in {timeout} s:\n{log.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen) -> None:
    """End the server and the workers it started (its process group)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def page_text(driver, *expected: str, timeout: float = 120) -> str:
    """The visible text of the page once it shows every one of ``expected`` (the page renders as data arrive)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(_) -> str | bool:
        text = driver.find_element("tag name", "body").text
        return text if all(item in text for item in expected) else False

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.5).until(shown)
    except TimeoutException:
        text = driver.find_element("tag name", "body").text
        missing = [item for item in expected if item not in text]
        raise AssertionError(f"{driver.current_url} does not show {missing} after {timeout} s; it shows:\n{text[:3000]}")
