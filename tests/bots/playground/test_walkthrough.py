"""One live meeting of the playground, played in headless Chromium by a facilitator on a laptop
(1280×800) and a member on a phone (390×844): check-in, bids, a round with a contribution out of turn
that is not taken, a time's-up notice, a member's own commitment, a pass, a break offer and the close.
On the phone the page never scrolls sideways, and the message box and the thread stay usable.
Screenshots of both screens go to `test-artifacts/`."""

from __future__ import annotations

import pytest

from tests.bots.playground.test_browser import ARTIFACTS, browser, open_as, pytestmark

playwright = pytest.importorskip("playwright.async_api", reason="playwright is not installed (pip install -e .[dev])")
Browser, Page, Locator, expect = playwright.Browser, playwright.Page, playwright.Locator, playwright.expect

__all__ = ["browser", "pytestmark"]

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


async def type_line(page: Page, text: str, box: str = "Message") -> None:
    """Types a line and waits for the playground's answer, as a person waits before the next."""
    field = page.get_by_label(box, exact=True)
    await field.fill(text)
    async with page.expect_response("**/api/send"):
        await field.press("Enter")


async def no_sideways_scroll(page: Page) -> None:
    wide = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth, document.body.scrollWidth]"
    )
    assert wide[0] <= wide[1], f"the page scrolls sideways: {wide}"
    assert wide[2] <= wide[1], f"the page scrolls sideways: {wide}"


async def usable(page: Page, box: str) -> None:
    """The box is on screen, at least most of the screen wide, and takes typing."""
    field = page.get_by_label(box, exact=True)
    await expect(field).to_be_visible()
    await expect(field).to_be_in_viewport()
    found = await field.bounding_box()
    assert found is not None
    assert found["width"] >= PHONE["width"] * 0.5, found


async def press_until(page: Page, button: str, seen: Locator, tries: int, wait_ms: int) -> None:
    """Presses `button` until `seen` shows, waiting `wait_ms` after each press."""
    for _ in range(tries):
        await page.get_by_role("button", name=button).click()
        try:
            await expect(seen).to_be_visible(timeout=wait_ms)
            return
        except AssertionError:
            continue
    await expect(seen).to_be_visible()


async def skip_until(page: Page, seen: Locator, tries: int = 6) -> None:
    """*Skip ahead* until `seen` shows: other circles' reminders and nudges may fall due first."""
    await press_until(page, "Skip ahead", seen, tries, 2_000)


async def test_one_live_meeting_on_a_laptop_and_a_phone(browser: Browser, site: str) -> None:
    errors: list[str] = []
    amara = await open_as(browser, site, "amara", "Amara Okafor", errors, LAPTOP)
    ben = await open_as(browser, site, "ben", "Ben Carter", errors, PHONE, phone=True)
    ARTIFACTS.mkdir(exist_ok=True)

    # The laptop has the sidebar; the phone has one column and a channel switcher instead.
    await amara.get_by_role("button", name="# leaders").click()
    await expect(ben.get_by_role("button", name="# leaders")).to_be_hidden()
    await ben.get_by_label("Channel", exact=True).select_option(label="# leaders")
    await expect(ben.get_by_role("heading", name="# leaders")).to_be_visible()
    await no_sideways_scroll(ben)
    await usable(ben, "Message")
    laptop, phone = amara.locator("#messages"), ben.locator("#messages")

    # Check-in and bids.
    await type_line(amara, "/circle start")
    await expect(phone.get_by_text("Meeting 1 of leaders is open")).to_be_visible()
    await type_line(ben, "/circle checkin On the train, but here")
    await expect(laptop.get_by_text("On the train, but here")).to_be_visible()
    await type_line(ben, "/circle checkin Off the train now, fully here")  # checking in again edits it
    await expect(laptop.get_by_text("Off the train now, fully here")).to_be_visible()
    await expect(laptop.get_by_text("On the train, but here")).to_have_count(0)
    await type_line(amara, "/circle round")
    await expect(amara.get_by_text("Open bids first: /circle bids")).to_be_visible()  # the next step, named
    await type_line(amara, "/circle bids")
    await type_line(amara, "/circle bid My team misses deadlines and I cover for them urgency=high")
    await expect(phone.get_by_text("bids: My team misses deadlines")).to_be_visible()
    await no_sideways_scroll(ben)

    # The round. Ben offers advice while Amara presents: not taken, told only to him, gone from the thread.
    await type_line(amara, "/circle round")
    await expect(phone.locator("article", has_text="Round 1: Amara Okafor")).to_be_visible()
    await (
        ben.locator("#messages article", has_text="Round 1: Amara Okafor").get_by_role("button", name="1 reply").click()
    )
    await expect(ben.get_by_role("heading", name="Thread")).to_be_visible()
    await expect(ben.locator("#view")).to_be_hidden()  # on the phone the thread is its own view
    await usable(ben, "Reply in thread")
    await no_sideways_scroll(ben)
    thread = ben.locator("#thread-messages")
    await type_line(ben, "Just stop covering for them.", "Reply in thread")
    await expect(thread.get_by_text("Not taken: this part belongs to Amara Okafor")).to_be_visible()
    await expect(thread.get_by_text("Just stop covering for them.")).to_have_count(0)
    await (
        amara.locator("#messages article", has_text="Round 1: Amara Okafor").get_by_role("button", name="reply").click()
    )
    amara_thread = amara.locator("#thread-messages")
    await type_line(amara, "Three deadlines slipped this quarter; I worked the weekends.", "Reply in thread")
    await expect(thread.get_by_text("Three deadlines slipped this quarter")).to_have_count(1)
    await expect(amara_thread.get_by_text("Just stop covering for them.")).to_have_count(0)

    # Five minutes later: the facilitator alone hears that time is up (in her DM), and moves on from it.
    await skip_until(amara, amara.locator("#dms .channel.unread"))
    await amara.get_by_role("button", name="Peer Circles").click()
    times_up = laptop.locator("article", has_text="Time's up for Present in round 1")
    await expect(times_up).to_be_visible()
    await expect(phone.get_by_text("Time's up")).to_have_count(0)
    await times_up.get_by_role("button", name="Next phase").click()
    await expect(thread.get_by_text("Clarifying questions").first).to_be_visible()
    await amara.get_by_role("button", name="# leaders").click()
    await (
        amara.locator("#messages article", has_text="Round 1: Amara Okafor").get_by_role("button", name="repl").click()
    )
    await type_line(ben, "Who sets the deadlines?", "Reply in thread")
    await expect(amara_thread.get_by_text("Who sets the deadlines?")).to_be_visible()
    await type_line(amara, "/circle next", "Reply in thread")
    await expect(thread.get_by_text("Questions, feedback and advice").first).to_be_visible()
    await type_line(amara, "/circle next", "Reply in thread")
    await expect(thread.get_by_text("Reflection").first).to_be_visible()

    # A member's own commitment, to the circle; then the issue holder passes, which closes the round.
    await type_line(ben, "/circle commit Share how my team plans sprints to=circle", "Reply in thread")
    await expect(amara_thread.get_by_text("commits to the circle: Share how my team plans sprints")).to_be_visible()
    await type_line(amara, "/circle pass", "Reply in thread")
    await expect(thread.get_by_text("Amara Okafor passes: no commitment from this round.")).to_be_visible()
    await expect(thread.get_by_text("Round 1 is finished.")).to_be_visible()
    await no_sideways_scroll(ben)
    await ben.screenshot(path=str(ARTIFACTS / "walkthrough-phone-thread.png"))
    await close_thread(ben)
    await expect(ben.get_by_role("heading", name="# leaders")).to_be_visible()

    # Two hours in: the circle is offered a break. Then the facilitator closes the meeting.
    offer = phone.get_by_text("time for a 10-minute break?")
    await skip_until(amara, laptop.get_by_text("time for a 10-minute break?"))
    await expect(offer).to_be_visible()
    await type_line(amara, "/circle close")
    await expect(phone.get_by_text("Meeting 1 is closed")).to_be_visible()
    await no_sideways_scroll(ben)
    await usable(ben, "Message")
    await ben.screenshot(path=str(ARTIFACTS / "walkthrough-phone-channel.png"))
    await ben.set_viewport_size({"width": 360, "height": 740})  # the narrowest screen we promise
    await no_sideways_scroll(ben)
    await usable(ben, "Message")
    await amara.screenshot(path=str(ARTIFACTS / "walkthrough-laptop.png"))
    assert errors == []


async def close_thread(page: Page) -> None:
    """Back to the channel. The round's last updates re-draw the open thread as they arrive, and a
    press that lands on the button being replaced is lost: press again until the channel shows."""
    channel = page.get_by_role("heading", name="# leaders")
    await press_until(page, "Close thread, back to the channel", channel, 5, 1_000)
