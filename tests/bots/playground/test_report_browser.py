"""The report page in real headless Chromium: the lead clicks the link in their DM, the page shows
the four charts (each drawn, 800 × 480), and the screenshot is kept under test-artifacts/.
Another person who follows the same address is turned away."""

from __future__ import annotations

from tests.bots.playground.test_browser import ARTIFACTS, browser, expect, open_as, pytestmark
from tests.bots.playground.test_report_page import programme_playground, reported
from tests.fakes.programme import CANARY, Seeded

__all__ = ["browser", "programme_playground", "pytestmark", "reported"]


async def test_the_lead_opens_the_report_page_from_their_dm(reported: tuple[Seeded, str, str], browser: object) -> None:
    seeded, site, page_address = reported
    errors: list[str] = []
    page = await open_as(browser, site, seeded.lead.user, seeded.lead.name, errors)  # type: ignore[arg-type]
    await page.get_by_role("navigation").get_by_role("button", name="Peer Circles").click()
    link = page.get_by_role("link", name="Open the report page").last
    await expect(link).to_be_visible()
    assert await link.get_attribute("href") == page_address
    async with page.context.expect_page() as opened:
        await link.click()
    report = await opened.value
    await report.wait_for_load_state()
    await expect(report.get_by_role("heading", name="Programme spring")).to_be_visible()
    images = report.get_by_role("img")
    await expect(images).to_have_count(4)
    for i in range(4):
        size = await images.nth(i).evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
        assert size == [True, 800, 480]
    assert CANARY not in await report.content()
    ARTIFACTS.mkdir(exist_ok=True)
    await report.screenshot(path=str(ARTIFACTS / "playground-report.png"), full_page=True)
    assert errors == []
    other = await open_as(browser, site, seeded.person(1).user, seeded.person(1).name, errors)  # type: ignore[arg-type]
    response = await other.goto(site + page_address)
    assert response is not None
    assert response.status == 404
