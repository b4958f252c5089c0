"""实地测评 on a phone: the dispatcher draws a round by counts with a seed and starts it; the inspector finds the
sites dealt to them; the unit sees nothing of the round before it is published."""

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_dispatcher_draws_a_round_and_the_inspector_gets_its_sites(new_context, api, shots):
    page = new_context().new_page()
    login(page, "dispatcher", "/eval/sites")
    # The demo city's 41 sites (app/demo/seed.py SITES).
    page.wait_for_selector("[data-testid=eval-sites-total]:has-text('41')")
    page.click("[data-testid=eval-sites-map-toggle]")
    page.wait_for_selector("[data-testid=eval-sites-map] .leaflet-marker-icon")  # dots or clusters of the sites
    page.screenshot(path=str(shots / "eval-sites-map.png"))
    page.goto("/eval/rounds/new")
    page.fill("[data-testid=eval-round-name] input", "第 49 周模拟测评")
    page.wait_for_selector("[data-testid=eval-count-bus_stop]")
    for _ in range(2):
        page.click("[data-testid=eval-count-bus_stop] .van-stepper__plus")
    page.fill("[data-testid=eval-round-seed] input", "7")
    page.click("text=李督查")
    page.screenshot(path=str(shots / "eval-round-new.png"), full_page=True)
    page.click("[data-testid=eval-round-create]")
    page.wait_for_url("**/eval/rounds/*")
    page.wait_for_selector("[data-testid=eval-round-site] >> nth=1")
    assert page.locator("[data-testid=eval-round-site]").count() == 2
    assert page.locator("[data-testid=eval-round-site-inspectors]:has-text('李督查')").count() == 2
    round_id = int(page.url.rsplit("/", 1)[1])
    detail = api.get("dispatcher", f"/api/evaluation/rounds/{round_id}").json()
    assert (detail["seed"], detail["draw"]["counts"], detail["state"]) == (7, {"bus_stop": 2}, "draft")

    page.click("[data-testid=eval-to-active]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_selector("[data-testid=eval-round-state]:has-text('进行中')")
    page.wait_for_selector(".van-dialog", state="hidden")
    page.screenshot(path=str(shots / "eval-round-detail.png"), full_page=True)

    inspector = new_context().new_page()
    login(inspector, "inspector", "/eval/mine")
    inspector.wait_for_selector("[data-testid=eval-my-site] >> nth=1")
    shown = {int(x) for x in inspector.locator("[data-testid=eval-my-site]").evaluate_all(
        "els => els.map(e => e.dataset.id)")}
    assert shown == {s["site"]["id"] for s in detail["sites"]}
    inspector.screenshot(path=str(shots / "eval-my-sites.png"), full_page=True)

    # Before publication the round does not exist for a unit, even one responsible for a drawn site.
    unit = new_context().new_page()
    login(unit, "unit_cgj", "/eval/rounds")
    unit.wait_for_selector("text=暂无测评任务")
    assert api.get("unit_cgj", f"/api/evaluation/rounds/{round_id}").status_code == 404
