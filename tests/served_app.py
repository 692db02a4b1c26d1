"""The app as a browser test sees it: `streamlit run` on a free loopback port, and the
Debian Chromium that Playwright drives (never a browser Playwright downloads)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium calls Google's services at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(
    db_url: str,
    log_path: Path,
    drop_env: tuple[str, ...] = (),
    wait_s: float = 90,
    readme_command: bool = False,
) -> Iterator[str]:
    """Serve the dashboard on ``db_url``; yields its base URL and stops it afterwards.

    ``readme_command``: exactly the README's ``streamlit run dashboard/app.py`` (a port
    aside), so the project's own .streamlit/config.toml decides address and lookups."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port)]
    if not readme_command:
        # bound to the loopback only; this also keeps Streamlit from asking an outside
        # service for the machine's external address, as it does when headless
        command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
        command += ["--browser.gatherUsageStats", "false"]
    env = {**os.environ, "POPDASH_DB_URL": db_url}
    for name in drop_env:
        env.pop(name, None)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait_s
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"streamlit exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}", pytrace=False
                )
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not answer in {wait_s:.0f} s:\n{log_path.read_text()[-3000:]}",
                    pytrace=False,
                )
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (bash .ci/run does)", pytrace=False)


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium, launched headless through Playwright with the flags that keep it
    off the network; closed afterwards."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
