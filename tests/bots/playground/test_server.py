"""The playground's JSON API and live updates, driven over real HTTP and WebSocket connections
as the page drives them, without a browser."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import delete, update

from bots.playground.port import dm_space
from bots.playground.server import ARCHIVED, ONLY_CIRCLE, PICK_SOMEONE
from bots.playground.workspace import Playground
from core.clock import ManualClock
from core.commands import read_line
from core.context import NOT_YOURS
from core.errors import UsageError
from core.forms import feedback_form
from core.models import Circle, DueItem, Round
from core.vocabulary import CircleStatus

Session = Callable[[str], Awaitable[aiohttp.ClientSession]]

# The page's HTTP and WebSocket shape is the same on any database (tests/conftest.py); what the playground
# reads and writes for a request goes through the core, whose tests run on PostgreSQL too. The tests
# marked `both_databases` below depend on the database: who sees which channel, a request applied once,
# and the scheduler's due items reached by Skip ahead.
pytestmark = pytest.mark.one_database("the playground's HTTP and WebSocket surface over the core")


@pytest.fixture
async def as_person(site: str) -> AsyncIterator[Session]:
    """A browser session per person: `await as_person("ben")` has Ben picked in the switcher."""
    sessions: list[aiohttp.ClientSession] = []

    async def open_as(user: str) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(base_url=site, cookie_jar=aiohttp.CookieJar(unsafe=True))
        sessions.append(session)
        if user:
            async with session.post("/api/me", json={"person": user}) as response:
                assert response.status == 200, await response.text()
        return session

    yield open_as
    for session in sessions:
        await session.close()


async def call(session: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with session.request(method, path, json=body) as response:
        return response.status, await response.json()


def text_of(reply: dict[str, Any]) -> str:
    return "\n".join(block.get("text", "") for block in reply["blocks"])


def usage_text(command: str) -> str:
    with pytest.raises(UsageError) as raised:
        read_line(command, date(2026, 12, 1))
    return raised.value.message


@pytest.mark.both_databases
async def test_each_person_sees_only_their_own_circles_channels(as_person: Session) -> None:
    status, state = await call(await as_person("amara"), "GET", "/api/state")
    assert status == 200
    assert state["me"]["name"] == "Amara Okafor"
    assert [c["name"] for c in state["channels"]] == ["feedback-module", "handover", "leaders"]
    assert len(state["people"]) == 7
    _, state = await call(await as_person("gabriel"), "GET", "/api/state")
    assert "leaders" not in [c["name"] for c in state["channels"]]


async def test_a_non_member_can_neither_read_nor_post_in_a_circles_channel(
    as_person: Session, spaces: dict[str, str], playground: Playground
) -> None:
    amara, gabriel = await as_person("amara"), await as_person("gabriel")
    leaders = spaces["leaders"]
    assert (await call(amara, "POST", "/api/send", {"space": leaders, "text": "Only for the circle"}))[0] == 200
    before = len(playground.port.channel(leaders, "amara"))

    status, body = await call(gabriel, "GET", f"/api/spaces/{leaders}")
    assert (status, body) == (404, {"error": NOT_YOURS})
    message_id = playground.port.channel(leaders, "amara")[-1].id
    assert (await call(gabriel, "GET", f"/api/spaces/{leaders}/threads/{message_id}"))[0] == 404
    for path, body in (
        ("/api/send", {"space": leaders, "text": "let me in"}),
        ("/api/send", {"space": leaders, "text": "/circle status"}),
        ("/api/press", {"space": leaders, "action_id": "bid.open", "value": "1"}),
    ):
        status, answer = await call(gabriel, "POST", path, body)
        assert (status, answer) == (404, {"error": NOT_YOURS})
    assert len(playground.port.channel(leaders, "amara")) == before
    assert (await call(gabriel, "GET", "/api/spaces/D-amara"))[0] == 404  # nor someone else's DMs


async def test_nobody_picked_or_an_unknown_person_is_refused(as_person: Session, spaces: dict[str, str]) -> None:
    nobody = await as_person("")
    assert await call(nobody, "GET", f"/api/spaces/{spaces['leaders']}") == (401, {"error": PICK_SOMEONE})
    assert (await call(nobody, "POST", "/api/send", {"space": spaces["leaders"], "text": "hi"}))[0] == 401
    status, body = await call(nobody, "POST", "/api/me", {"person": "mallory"})
    assert status == 404
    assert "nobody by that name" in body["error"]
    status, state = await call(nobody, "GET", "/api/state")
    assert status == 200
    assert state["me"] is None
    assert state["channels"] == []


async def test_a_malformed_command_gets_the_cores_usage_message(as_person: Session, spaces: dict[str, str]) -> None:
    ben = await as_person("ben")
    for command in ("/circle bid", "/circle frobnicate now", "/circle round everyone"):
        status, answer = await call(ben, "POST", "/api/send", {"space": spaces["leaders"], "text": command})
        assert status == 200
        assert text_of(answer["reply"]) == usage_text(command)
        assert answer["form"] is None
    _, answer = await call(ben, "POST", "/api/send", {"space": spaces["leaders"], "text": "/giphy cats"})
    assert text_of(answer["reply"]) == ONLY_CIRCLE
    _, answer = await call(ben, "POST", "/api/send", {"space": "D-ben", "text": "hello bot"})
    assert text_of(answer["reply"]) == ONLY_CIRCLE
    _, answer = await call(ben, "POST", "/api/send", {"space": "D-ben", "text": "/circle bid"})
    assert text_of(answer["reply"]) == usage_text("/circle bid")  # the same from the bot's DM


async def test_empty_huge_and_malformed_requests_change_nothing(
    as_person: Session, spaces: dict[str, str], playground: Playground
) -> None:
    ben = await as_person("ben")
    leaders = spaces["leaders"]
    before = len(playground.port.channel(leaders, "ben"))
    assert await call(ben, "POST", "/api/send", {"space": leaders, "text": "   "}) == (
        400,
        {"error": "Write something first."},
    )
    status, body = await call(ben, "POST", "/api/send", {"space": leaders, "text": "x" * 3001})
    assert status == 400
    assert body["error"] == "That is too long: please keep it to 3000 characters."  # the one too-long message
    status, body = await call(ben, "POST", "/api/send", {"space": leaders, "text": ["not", "text"]})
    assert status == 400
    async with ben.post(
        "/api/send", data="text=hello", headers={"Content-Type": "application/x-www-form-urlencoded"}
    ) as r:
        assert r.status == 400  # a cross-site form post is not JSON
    async with ben.post("/api/send", data="{nope", headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400
    assert len(playground.port.channel(leaders, "ben")) == before


async def test_member_text_stays_text_in_what_the_api_returns(as_person: Session, spaces: dict[str, str]) -> None:
    ben = await as_person("ben")
    hostile = "<script>alert('hi')</script> <!channel> @everyone"
    await call(ben, "POST", "/api/send", {"space": spaces["leaders"], "text": hostile})
    _, channel = await call(await as_person("chen"), "GET", f"/api/spaces/{spaces['leaders']}")
    last = channel["messages"][-1]
    assert last["author"] == "Ben Carter"
    assert last["bot"] is False
    assert last["blocks"] == [{"type": "text", "text": hostile}]


@pytest.mark.both_databases
async def test_a_request_sent_twice_is_applied_once(
    as_person: Session, spaces: dict[str, str], playground: Playground
) -> None:
    amara = await as_person("amara")
    leaders = spaces["leaders"]
    await call(amara, "POST", "/api/send", {"space": leaders, "text": "/circle start"})
    body = {"space": leaders, "text": "/circle checkin Here and ready", "key": "click-1"}
    _, first = await call(amara, "POST", "/api/send", body)
    _, second = await call(amara, "POST", "/api/send", body)
    assert text_of(first["reply"]) == "You're checked in."
    assert text_of(second["reply"]) == "Already done."
    check_ins = [p for p in playground.port.channel(leaders, "amara") if "Here and ready" in p.message.plain_text]
    assert len(check_ins) == 1


async def test_buttons_open_forms_whose_errors_come_back_per_field(
    as_person: Session, spaces: dict[str, str], playground: Playground
) -> None:
    amara, ben = await as_person("amara"), await as_person("ben")
    leaders = spaces["leaders"]
    await call(amara, "POST", "/api/send", {"space": leaders, "text": "/circle start"})
    opening = playground.port.channel(leaders, "ben")[-1]
    bid_button = next(
        b for block in opening.message.blocks for b in getattr(block, "buttons", ()) if b.label.startswith("Bring")
    )
    _, pressed = await call(
        ben, "POST", "/api/press", {"space": leaders, "action_id": bid_button.action_id, "value": bid_button.value}
    )
    form = pressed["form"]
    assert form["title"] == "Bring an issue"
    assert [i["name"] for i in form["inputs"]] == ["topic", "urgency", "minutes"]
    base = {"form_id": form["form_id"], "context": form["context"]}
    _, refused = await call(ben, "POST", "/api/submit", {**base, "values": {"topic": "", "urgency": "loud"}})
    assert set(refused["errors"]) == {"topic", "urgency"}  # minutes may be left out: 20
    assert refused["reply"] is None
    _, accepted = await call(
        ben, "POST", "/api/submit", {**base, "values": {"topic": "Saying no", "urgency": "high", "minutes": "20"}}
    )
    assert accepted["errors"] == {}
    assert text_of(accepted["reply"]) == "Your bid is in for meeting 1."
    assert (await call(ben, "POST", "/api/submit", {**base, "values": ["x"]}))[0] == 400


async def test_mentions_typed_as_names_reach_the_core(as_person: Session, spaces: dict[str, str]) -> None:
    amara = await as_person("amara")
    leaders = spaces["leaders"]
    await call(amara, "POST", "/api/send", {"space": leaders, "text": "/circle start"})
    await call(amara, "POST", "/api/send", {"space": leaders, "text": "/circle bids"})
    _, answer = await call(amara, "POST", "/api/send", {"space": leaders, "text": "/circle round @Ben"})
    assert text_of(answer["reply"]) == "Round 1 has started."
    _, answer = await call(amara, "POST", "/api/send", {"space": leaders, "text": "/circle add @nobody-here"})
    assert text_of(answer["reply"]) == usage_text("/circle add @nobody-here")  # unknown names stay words


async def test_thread_replies_become_contributions(
    as_person: Session, spaces: dict[str, str], playground: Playground
) -> None:
    fatima = await as_person("fatima")
    coaching = spaces["coaching"]
    header = next(p for p in playground.port.channel(coaching, "fatima") if p.message.summary.startswith("Round 1"))
    status, _ = await call(
        fatima, "POST", "/api/send", {"space": coaching, "thread": header.id, "text": "My account handover, in brief"}
    )
    assert status == 200
    _, thread = await call(fatima, "GET", f"/api/spaces/{coaching}/threads/{header.id}")
    said = [text_of(r) for r in thread["replies"]]
    assert said.count("My account handover, in brief") == 1  # her own message, once: the bot doesn't repeat it
    assert not any(r["blocks"][0].get("author") == "Fatima Haddad (presentation)" for r in thread["replies"])


async def test_a_contribution_out_of_turn_leaves_the_thread_and_is_answered_privately(
    as_person: Session, spaces: dict[str, str], playground: Playground
) -> None:
    ben = await as_person("ben")
    coaching = spaces["coaching"]
    header = next(p for p in playground.port.channel(coaching, "ben") if p.message.summary.startswith("Round 1"))
    body = {"space": coaching, "thread": header.id, "text": "Just delegate it all"}  # Fatima is presenting
    _, answer = await call(ben, "POST", "/api/send", body)
    assert text_of(answer["reply"]).startswith("Not taken")  # answered to Ben alone
    fatima = await as_person("fatima")
    _, thread = await call(fatima, "GET", f"/api/spaces/{coaching}/threads/{header.id}")
    assert not any("Just delegate it all" in text_of(r) for r in thread["replies"])  # it doesn't stay
    assert all("Just delegate it all" not in p.message.plain_text for p in playground.port.messages.values())


async def test_skip_ahead_moves_the_clock_to_the_next_due_moment(
    as_person: Session, spaces: dict[str, str], playground: Playground, clock: ManualClock
) -> None:
    start = clock.now()
    chen = await as_person("chen")
    _, state = await call(chen, "GET", "/api/state")
    next_due = await playground.due.next_due_at()
    assert next_due is not None
    assert state["next_due"] == next_due.isoformat()
    _, skipped = await call(chen, "POST", "/api/skip", {})
    assert skipped["handled"] >= 1
    assert clock.now() == next_due
    for _ in range(10):  # skip by skip, up to the async round's first deadline
        if clock.now() >= start + timedelta(hours=24):
            break
        await call(chen, "POST", "/api/skip", {})
    assert clock.now() == start + timedelta(hours=24)
    header = next(
        p for p in playground.port.channel(spaces["coaching"], "chen") if p.message.summary.startswith("Round 1")
    )
    assert "Clarifying questions" in header.message.plain_text


async def test_skip_ahead_with_nothing_due_leaves_the_clock(
    as_person: Session, playground: Playground, clock: ManualClock
) -> None:
    async with playground.service.db.unit_of_work() as uow:
        await uow.session.execute(update(Round).values(phase_deadline=None))
        await uow.session.execute(delete(DueItem))
        await uow.commit()
    start = clock.now()
    _, skipped = await call(await as_person("chen"), "POST", "/api/skip", {})
    assert skipped["handled"] == 0
    assert skipped["summary"].startswith("Nothing is due")
    assert clock.now() == start


async def test_live_updates_reach_members_only(as_person: Session, spaces: dict[str, str], site: str) -> None:
    amara, ben, gabriel = await as_person("amara"), await as_person("ben"), await as_person("gabriel")
    async with ben.ws_connect("/ws") as ben_live, gabriel.ws_connect("/ws") as gabriel_live:
        await call(amara, "POST", "/api/send", {"space": spaces["leaders"], "text": "Agenda for Thursday"})
        assert json.loads((await ben_live.receive()).data) == {"type": "changed", "space": spaces["leaders"]}
        await call(gabriel, "POST", "/api/send", {"space": "D-gabriel", "text": "note to self"})
        # Gabriel's first news is his own DM: he never heard of the leaders' channel.
        assert json.loads((await gabriel_live.receive()).data) == {"type": "changed", "space": "D-gabriel"}
    nobody = await as_person("")
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await nobody.ws_connect("/ws")


async def test_a_page_from_another_site_cannot_listen_in(as_person: Session) -> None:
    ben = await as_person("ben")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await ben.ws_connect("/ws", headers={"Origin": "http://evil.example"})
    assert refused.value.status == 403


async def test_a_form_the_bot_opens_is_shown_once(as_person: Session, playground: Playground) -> None:
    await playground.port.open_form("trigger-1", "ben", feedback_form(7))
    ben = await as_person("ben")
    _, state = await call(ben, "GET", "/api/state")
    assert state["form"]["title"] == "How was the meeting?"
    assert state["form"]["context"] == "7"
    _, state = await call(ben, "GET", "/api/state")
    assert state["form"] is None
    _, others = await call(await as_person("amara"), "GET", "/api/state")
    assert others["form"] is None


async def test_the_page_runs_only_its_own_script_and_never_parses_text_as_html(site: str) -> None:
    async with aiohttp.ClientSession(base_url=site) as browser:
        async with browser.get("/") as page:
            assert page.status == 200
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]
            assert '<label for="composer-text">Message</label>' in await page.text()
        async with browser.get("/static/app.js") as script:
            source = await script.text()
    assert "textContent" in source
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert risky not in source


@pytest.mark.both_databases
async def test_skip_ahead_reaches_the_schedulers_meeting_reminder(
    as_person: Session, spaces: dict[str, str], playground: Playground, clock: ManualClock
) -> None:
    """A meeting scheduled in the page is followed, one skip at a time, by its reminder DMs."""
    amara = await as_person("amara")
    day = (clock.now() + timedelta(days=3)).date().isoformat()
    status, _ = await call(
        amara, "POST", "/api/send", {"space": spaces["leaders"], "text": f"/circle schedule {day} 23:00"}
    )
    assert status == 200
    for _ in range(12):
        await call(amara, "POST", "/api/skip", {})
        if any("Bring an issue" in p.message.plain_text for p in playground.port.channel(dm_space("ben"), "ben")):
            break
    reminders = [p for p in playground.port.channel(dm_space("ben"), "ben") if "Bring an issue" in p.message.plain_text]
    assert reminders, "no meeting reminder reached Ben"
    assert "leaders" in reminders[0].message.plain_text


async def test_an_ended_circles_channel_stays_listed_and_readable_but_takes_no_messages(
    as_person: Session, spaces: dict[str, str], playground: Playground
) -> None:
    amara = await as_person("amara")
    leaders = spaces["leaders"]
    assert (await call(amara, "POST", "/api/send", {"space": leaders, "text": "Said before the end"}))[0] == 200
    async with playground.service.db.unit_of_work() as uow:
        await uow.session.execute(update(Circle).where(Circle.space_ref == leaders).values(status=CircleStatus.CLOSED))
        await uow.commit()
    playground.port.archived.add(leaders)  # what ArchiveSpace does here (tests/bots/playground/test_port.py)

    _, state = await call(amara, "GET", "/api/state")
    listed = next(c for c in state["channels"] if c["id"] == leaders)
    assert listed["archived"] is True
    status, space = await call(amara, "GET", f"/api/spaces/{leaders}")
    assert status == 200
    assert space["archived"] is True
    assert "Said before the end" in json.dumps(space["messages"])
    status, body = await call(amara, "POST", "/api/send", {"space": leaders, "text": "Said after the end"})
    assert (status, body) == (403, {"error": ARCHIVED})
    status, body = await call(amara, "POST", "/api/send", {"space": leaders, "text": "/circle checkin hello"})
    assert status == 200
    assert "has ended" in text_of(body["reply"])
    gabriel = await as_person("gabriel")
    assert (await call(gabriel, "GET", f"/api/spaces/{leaders}"))[0] == 404  # still nobody else's
