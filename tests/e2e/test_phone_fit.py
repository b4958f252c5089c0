"""Screens on a 360×740 phone: the unit's five bottom tabs (看板 opened from 我的任务 and 我的), the office's
desktop-only pages (工作台, 一张图) replaced by a pointer to a computer and to the phone's own pages, and the
new round's 随机种子 placeholder shown whole in both languages. Screenshots: XUNCHA_UIGAPS_SHOTS (default
/tmp/uigaps-shots)."""

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

SMALL = {"width": 360, "height": 740}
SHOTS = Path(os.environ.get("XUNCHA_UIGAPS_SHOTS", "/tmp/uigaps-shots"))


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_unit_staff_have_five_tabs_and_open_their_figures_from_tasks_and_me(new_context):
    page = new_context(viewport=SMALL).new_page()
    login(page, "unit_cgj")
    page.wait_for_url("**/tasks")
    tabs = page.locator(".app-tabbar [data-testid^=tab-]")
    tabs.first.wait_for()
    names = [t.get_attribute("data-testid") for t in tabs.all()]
    assert names == ["tab-tasks", "tab-inbox", "tab-map", "tab-outbox", "tab-me"]
    # Every label whole: none cut or wrapped at 360 px.
    assert page.evaluate("""() => [...document.querySelectorAll('.app-tabbar .van-tabbar-item__text')]
        .every((e) => e.scrollWidth <= e.clientWidth + 1 && e.getBoundingClientRect().height < 24)""")
    _shot(page, "unit-tasks-360")

    page.click("[data-testid=tasks-dashboard]")
    page.wait_for_url("**/dashboard")
    page.locator("[data-testid=dashboard]").wait_for()
    page.locator(".app-tabbar").wait_for()  # the tabs stay, to go back to any of them
    page.click("[data-testid=tab-me]")
    page.click("[data-testid=me-dashboard]")
    page.wait_for_url("**/dashboard")
    page.locator("[data-testid=dashboard]").wait_for()
    _shot(page, "unit-dashboard-360")


def test_desktop_pages_on_a_phone_point_to_a_computer_and_the_phone_pages(new_context):
    page = new_context(viewport=SMALL).new_page()
    login(page, "dispatcher", "/workbench")
    only = page.locator("[data-testid=desktop-only]")
    only.wait_for()
    assert "电脑" in only.inner_text() and "工作台" in only.inner_text()
    assert page.locator("[data-testid=workbench]").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.locator("[data-testid=tab-triage]").wait_for()  # in the shell: the tabs are there
    _shot(page, "workbench-360")
    page.click("[data-testid=desktop-only-triage]")
    page.wait_for_url("**/triage")

    leader = new_context(viewport=SMALL).new_page()
    login(leader, "leader", "/screen")
    leader.locator("[data-testid=desktop-only]").wait_for()
    assert "一张图" in leader.inner_text("[data-testid=desktop-only]")
    assert leader.locator("[data-testid=screen]").count() == 0
    _shot(leader, "screen-360")
    leader.click("[data-testid=desktop-only-dashboard]")
    leader.wait_for_url("**/dashboard")

    # A computer's window too narrow says the same; widened, it is the 工作台 again.
    desk = new_context(viewport={"width": 800, "height": 800}, is_mobile=False, has_touch=False,
                       device_scale_factor=1).new_page()
    login(desk, "dispatcher", "/workbench")
    desk.locator("[data-testid=desktop-only]").wait_for()
    desk.set_viewport_size({"width": 1366, "height": 800})
    desk.locator("[data-testid=workbench]").wait_for()
    assert desk.locator("[data-testid=desktop-only]").count() == 0
    desk.locator("[data-testid=desk-nav]").wait_for()


PLACEHOLDER_FITS = """() => {
  const input = document.querySelector('[data-testid=eval-round-seed] input')
  const style = getComputedStyle(input)
  const ctx = document.createElement('canvas').getContext('2d')
  ctx.font = style.font
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
  return [ctx.measureText(input.placeholder).width, room]
}"""


@pytest.mark.parametrize("english", [False, True], ids=["zh", "en"])
def test_the_seed_placeholder_is_whole_at_360(new_context, english):
    page = new_context(viewport=SMALL).new_page()
    page.goto("/login")
    if english:
        page.get_by_text("English", exact=True).click()
    login(page, "dispatcher", "/eval/rounds/new")
    page.locator("[data-testid=eval-round-seed] input").wait_for()
    text, room = page.evaluate(PLACEHOLDER_FITS)
    assert 0 < text <= room, (text, room)
    hint = page.locator("[data-testid=eval-round-seed-hint]")
    assert ("same seed" if english else "同一种子") in hint.inner_text()
    page.locator("[data-testid=eval-round-seed]").scroll_into_view_if_needed()
    _shot(page, f"seed-360-{'en' if english else 'zh'}")


@pytest.mark.parametrize("path,table", [("/admin/units", "unit-table"), ("/admin/users", "user-table")])
def test_an_admin_table_keeps_each_row_s_buttons_in_sight_on_a_phone(new_context, path, table):
    """The 操作 column was past the right edge of a 390 px screen in a box that did not say it scrolls."""
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    login(page, "admin", path)
    button = page.locator(f"[data-testid={table}] tbody tr td.actions .admin-btn").first
    button.wait_for()
    box = button.bounding_box()
    assert box and box["x"] + box["width"] <= 390, box
    _shot(page, f"admin-{table}-390")
