"""The app as a browser test sees it: `streamlit run` on a free loopback port, and the
Debian Chromium that Playwright drives (never a browser Playwright downloads)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
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
    # unbuffered, so the "URL:" line reaches the pipe as soon as Streamlit prints it
    env = {**os.environ, "POPDASH_DB_URL": db_url, "PYTHONUNBUFFERED": "1"}
    for name in drop_env:
        env.pop(name, None)
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    listening = threading.Event()
    copier = threading.Thread(target=_copy_output, args=(proc, log_path, listening), daemon=True)
    copier.start()
    base = f"http://127.0.0.1:{port}"
    try:
        # Streamlit prints its URLs once the server is listening; the copier also sets
        # the event when the output ends, i.e. when the process has died.
        if not listening.wait(wait_s):
            pytest.fail(
                f"streamlit did not answer in {wait_s:.0f} s:\n{log_path.read_text()[-3000:]}", pytrace=False
            )
        if proc.poll() is not None:
            copier.join(timeout=15)
            pytest.fail(
                f"streamlit exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}", pytrace=False
            )
        if not _answers(base):
            pytest.fail(f"streamlit is not healthy:\n{log_path.read_text()[-3000:]}", pytrace=False)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        copier.join(timeout=15)


def _copy_output(proc: subprocess.Popen, log_path: Path, listening: threading.Event) -> None:
    """Copy the server's output into ``log_path``; set ``listening`` at the blank line that
    ends its block of "URL:" lines (or when the output ends)."""
    urls = False
    with open(log_path, "w", encoding="utf-8") as log:
        for line in proc.stdout:
            log.write(line)
            log.flush()
            urls = urls or "URL: http" in line
            if urls and not line.strip():
                listening.set()
    listening.set()


def _answers(base: str) -> bool:
    """Whether the listening server says it is healthy (one request, no retries)."""
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=30) as answer:
            return answer.status == 200
    except OSError:
        return False


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


# Every chart shown has drawn its marks and every table shown its grid: they draw after
# the script has finished, so a finished script is not yet a finished page. (What sits in
# a closed expander is not drawn until it opens.)
_DRAWN = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
        .every(c => !c.checkVisibility() || c.querySelector('svg.marks g.role-mark, canvas.marks'))
    && [...document.querySelectorAll('[data-testid="stDataFrame"]')]
        .every(g => !g.checkVisibility() || g.querySelector('canvas'))"""
# The map's own mark (geo.maps.FitOnce): the polygons are fitted and painted.
_MAP_PAINTED = "() => window.__popdash && window.__popdash.painted"


def wait_drawn(page, timeout_ms: float = 60_000) -> None:
    """Wait until the page's script has finished and what it shows is drawn: charts,
    tables, and the map if there is one."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms)
    page.wait_for_function(_DRAWN, timeout=timeout_ms)
    if page.locator("iframe[title*='st_folium']").count():
        page.frame_locator("iframe[title*='st_folium']").locator("path.leaflet-interactive").first.wait_for(
            timeout=timeout_ms
        )
        for frame in page.frames:
            if "st_folium" in frame.url:
                frame.wait_for_function(_MAP_PAINTED, timeout=timeout_ms)
