"""Links and the language switch in a real browser (Streamlit served, Debian's Chromium):
the switch sends back each widget's label, not its value, which AppTest does not do, so
only a browser shows that 中文 → English → 中文 keeps the view and puts no names in the URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from dashboard.i18n import t
from tests.served_app import ROOT, chromium, serving

pytestmark = pytest.mark.browser

SHOTS = ROOT / "test-output" / "screenshots"
VIEW = "year=2025&as_of=2025-11-15"
CODE = re.compile(r"[0-9A-Za-z_\-]+")


@pytest.fixture(scope="module")
def server(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(demo_db_url, tmp_path_factory.mktemp("server") / "streamlit.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def settled(page, title: str) -> None:
    """Wait for a title containing ``title``, then for the script to finish its run."""
    page.get_by_role("heading", level=1).filter(has_text=title).first.wait_for(timeout=90_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=90_000)
    # Idle, as a page is when a user clicks: clicked sooner, the labels-for-values crash
    # this file guards against did not always show (seen on the targets page).
    page.wait_for_load_state("networkidle")


def no_error_box(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def switch_language(page, label: str, lang: str, title_key: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("radio", name=label, exact=True).click()
    settled(page, t(title_key, lang))
    page.wait_for_url(lambda url: params(url).get("lang") == (None if lang == "zh" else lang), timeout=30_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=90_000)


@pytest.mark.parametrize(
    "path, title_key, query",
    [
        ("", "page_overview", VIEW),  # the whole county
        ("targets", "page_targets", VIEW),
        ("scorecard", "page_scorecard", VIEW + "&basis=resident&indicator=birth_rate&failing=1"),
    ],
    ids=["county", "targets", "scorecard-view"],
)
def test_chinese_english_chinese_keeps_the_view(server, browser, path, title_key, query):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        page.goto(f"{server}/{path}?{query}")
        settled(page, t(title_key))
        no_error_box(page)
        before = params(page.url)

        switch_language(page, "English", "en", title_key)
        no_error_box(page)
        assert {k: v for k, v in params(page.url).items() if k != "lang"} == before

        switch_language(page, "中文", "zh", title_key)
        no_error_box(page)
        after = params(page.url)
        assert after == before
        assert all(CODE.fullmatch(v) for v in after.values()), after
        assert page.get_by_role("heading", level=1).filter(has_text=t(title_key)).count() == 1
        assert not page.locator('[data-testid="stAlertContentWarning"]').count()
    finally:
        page.close()


def test_a_link_full_of_bad_values_is_a_page_that_names_them(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        bad = "9" * 5000
        page.goto(
            f"{server}/scorecard?year={bad}&as_of=2020-01-01&township=全县（市）&basis=x&indicator=bogus"
        )
        settled(page, t("page_scorecard"))
        no_error_box(page)
        notes = page.locator('[data-testid="stAlertContentWarning"]')
        texts = [notes.nth(i).inner_text() for i in range(notes.count())]
        for shown in (
            "year=" + bad[:40] + "…",
            "as_of=2020-01-01",
            "township=全县（市）",
            "basis=x",
            "indicator=bogus",
        ):
            assert [n for n in texts if shown in n], (shown, texts)
        assert all(CODE.fullmatch(v) for v in params(page.url).values()), page.url
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "bad_link.png"), full_page=True)
    finally:
        page.close()
