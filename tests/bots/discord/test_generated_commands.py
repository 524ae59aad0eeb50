"""Discord's /circle tree comes from the core's one spec, and its options reach the core structured."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.commands import MAX_ID, SPECS
from core.models import CheckIn, Person
from tests.bots.discord.conftest import Harness, command, is_ephemeral, said

pytestmark = pytest.mark.asyncio(loop_scope="module")
Json = dict[str, Any]


def registered(h: Harness) -> dict[str, Json]:
    [circle] = [c for c in h.fake.commands if c["name"] == "circle"]
    return {sub["name"]: sub for sub in circle["options"]}


def option(sub: Json, name: str) -> Json:
    return next(o for o in sub.get("options", []) if o["name"] == name)


async def test_the_registered_tree_states_the_specs_limits(harness: Harness) -> None:
    subs = registered(harness)
    assert len(subs) <= 25
    assert "do" in subs
    assert {name for name, spec in SPECS.items() if spec.discord} <= set(subs)
    minutes = option(subs["bid"], "minutes")
    assert (minutes["min_value"], minutes["max_value"]) == (5, 120)
    assert option(subs["bid"], "topic")["max_length"] == 1000
    assert option(subs["nudges"], "days")["max_value"] == 90
    assert option(subs["done"], "number")["max_value"] == MAX_ID
    zone = option(subs["timezone"], "zone")
    assert zone["max_length"] == 64
    assert zone["autocomplete"] is True
    assert option(subs["status"], "in")["autocomplete"] is True
    statuses = [c["value"] for c in option(subs["update"], "status")["choices"]]
    assert statuses == ["in_progress", "stuck", "dropped", "done"]
    assert "carried_over" not in str(subs["update"])


async def test_free_text_options_are_never_read_as_grammar(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana, ben = g.people[0], g.people[1]
    await command(h, g, ana, "new", name="team-a")
    await command(h, g, ana, "add", person=ben)
    await command(h, g, ben, "join", name="team-a")  # accepts the invitation
    await command(h, g, ana, "start")
    text = f"feeling in=between today, thanks <@{ana.id}> urgency=high"
    assert "checked in" in said(await command(h, g, ben, "checkin", text=text))
    async with h.service.db.unit_of_work() as uow:
        stored = list(await uow.session.scalars(select(CheckIn.text)))
    assert stored == [text]


async def test_people_chosen_in_an_option_are_known_by_their_server_name(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana, ben = g.people[0], g.people[1]
    await command(h, g, ana, "new", name="team-b")
    answer = said(await command(h, g, ana, "add", person=ben))
    assert f"Invited {ben.username.title()}" in answer
    async with h.service.db.unit_of_work() as uow:
        person = await uow.session.scalar(select(Person).where(Person.external_id == str(ben.id)))
    assert person is not None
    assert person.display_name == ben.username.title()


async def test_out_of_range_numbers_are_refused_by_the_core_too(harness: Harness) -> None:
    """Discord enforces min/max for real clients; a crafted interaction still meets the core's check."""
    h = harness
    g = await h.guild()
    answer = said(await command(h, g, g.people[0], "done", number=2**40))
    assert "whole number from 1 to 2147483647" in answer


async def test_hostile_options_through_the_real_client_get_a_private_reply(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana = g.people[0]
    cases: list[tuple[str, dict[str, Any]]] = [
        ("checkin", {"text": "hello\x00world"}),
        ("timezone", {"zone": "z" * 300}),
        ("bid", {"topic": "x", "minutes": 2**40}),
        ("done", {"number": -1}),
        ("schedule", {"date": "9999-12-31", "time": "23:00", "tz": "UTC"}),
        ("new", {"name": "²²", "format": "nope"}),
        ("nudges", {"setting": "pause", "days": 365}),
        ("status", {"in": "x" * 500}),
    ]
    for sub, options in cases:
        answer = await command(h, g, ana, sub, **options)
        assert is_ephemeral(answer), sub
        text = said(answer)
        assert text.strip(), sub
        assert "something went wrong" not in text, (sub, text)
