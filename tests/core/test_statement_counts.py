"""What the four commonest commands cost in SQL statements, pinned so that a lazy load or a lost
join fails here; and that cost is the same however many circles the database holds."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from core.db import Database
from core.models import Circle, Meeting, Membership, Person, Round, Workspace
from core.service import CircleService
from core.statement_count import StatementCount
from core.vocabulary import CircleStatus, Facilitation, MeetingState, Mode, Phase, Platform, Role
from tests.fakes.members import Member, welcome

# (reads, writes) in the command's own unit of work; delivery afterwards is counted apart.
# `next` also reads who has checked in and spoken, in one statement each time: for the "N of M have
# spoken" in the phase prompt before the move, and for the facilitator's panel after it.
# Writes include the command's outbox rows, inserted in its own transaction so nothing it says is lost;
# which circle orders a reply in a round's thread is read from the round and meeting the command loaded.
# A command that sends reads, in that same transaction, what stands before its rows in their channels
# together with the pauses other workers were told (one statement): no unit of work of its own after.
MOST = {"status": (3, 0), "bid": (3, 2), "say": (2, 2), "next": (4, 3)}
# After the commit, the fast path writes the outcome and where the words went (one statement each).
# What it sends is read from the rows the command loaded, not again.
DELIVERY = {"status": 0, "bid": 2, "say": 2, "next": 2}
SEEDED_AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


async def test_each_command_reads_the_actor_circle_meeting_and_round_in_one_statement(
    service: CircleService, db: Database
) -> None:
    counts = await measure(service, db, "a")
    for command, (reads, writes, delivery) in counts.items():
        most_reads, most_writes = MOST[command]
        assert reads <= most_reads, f"{command}: {reads} reads"
        assert writes <= most_writes, f"{command}: {writes} writes"
        assert delivery == DELIVERY[command], f"{command}: {delivery} statements after the commit"
    assert counts["status"][:2] == (3, 0)  # the actor with circles; waiting bids; open commitments


async def test_statements_do_not_grow_with_the_circles_in_the_database(service: CircleService, db: Database) -> None:
    await seed_other_circles(db, 9, workspace="T1")
    few = await measure(service, db, "a")
    await seed_other_circles(db, 190, workspace="T1")
    await seed_other_circles(db, 10, workspace="T2")
    many = await measure(service, db, "b")
    for command, counted in many.items():
        assert counted == few[command], command
    async with db.unit_of_work() as uow:
        assert len(list(await uow.session.scalars(select(Circle.id)))) == 211


async def test_a_person_in_several_circles_reads_each_current_meeting_with_the_circles(
    service: CircleService, db: Database
) -> None:
    """`status` outside any circle lists every circle with its meeting: no statement per circle."""
    lead = Member(service, "Ulead", "Lena")
    for name in ("one", "two", "three"):
        assert "is set up" in await lead.says(f"/circle new {name}")
    assert "is open" in await lead.says("/circle start in=two")
    with StatementCount(db.engine) as count:
        listing = await lead.says("/circle status")
    assert "*two* (" in listing
    assert "active; meeting 1: checking in" in listing
    assert "*one* (" in listing
    assert "*three* (" in listing
    assert "forming; no meeting scheduled" in listing
    assert count.request == 3  # the actor with circles and meetings; circles that ended; open commitments


async def measure(service: CircleService, db: Database, tag: str) -> dict[str, tuple[int, int, int]]:
    """A circle in the middle of its first round, then status, bid, say and next once each:
    (reads, writes) of the command's unit of work and the statements its delivery sent."""
    lead = Member(service, f"L{tag}", f"Lead {tag}")
    # named as `add` first records them, so that no command below renames anyone
    holder, asker, bidder = (Member(service, f"M{tag}{i}", f"M{tag}{i}") for i in range(3))
    name = f"team-{tag}"
    assert "is set up" in await lead.says(f"/circle new {name}")
    assert "Invited" in await welcome(lead, [holder, asker, bidder], f"in={name}")
    assert "is open" in await lead.says(f"/circle start in={name}")
    assert "Bids are open" in await lead.says(f"/circle bids in={name}")
    assert "bid is in" in await holder.says(f"/circle bid My issue in={name}")
    assert "has started" in await lead.says(f"/circle round in={name}")
    steps = {
        "status": (asker, f"/circle status in={name}", "Round"),
        "bid": (bidder, f"/circle bid Another issue in={name}", "bid is in"),
        "say": (holder, f"/circle say Here it is in={name}", "Thanks"),
        "next": (lead, f"/circle next in={name}", "Clarifying"),
    }
    counts = {}
    for command, (who, text, expected) in steps.items():
        with StatementCount(db.engine) as count:
            reply = await who.says(text)
        assert expected in reply, reply
        own = count.statements[: count.request]
        reads = sum(1 for s in own if s.lstrip().upper().startswith("SELECT"))
        counts[command] = (reads, len(own) - reads, count.after_commit)
    return counts


async def seed_other_circles(db: Database, count: int, workspace: str) -> None:
    """Circles of other people mid-meeting, written straight to the tables (the service would take minutes)."""
    async with db.engine.begin() as conn:
        workspace_id = await conn.scalar(
            select(Workspace.id).where(Workspace.platform == Platform.PLAYGROUND, Workspace.external_id == workspace)
        )
        if workspace_id is None:
            workspace_id = (
                await conn.execute(
                    insert(Workspace).values(
                        platform=Platform.PLAYGROUND, external_id=workspace, name=workspace, created_at=SEEDED_AT
                    )
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        first = int(await conn.scalar(select(Circle.id).order_by(Circle.id.desc()).limit(1)) or 0) + 1
        for n in range(first, first + count):
            people = [
                (
                    await conn.execute(
                        insert(Person).values(
                            workspace_id=workspace_id,
                            external_id=f"S{n}_{i}",
                            display_name=f"S{n}",
                            created_at=SEEDED_AT,
                        )
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
                for i in range(4)
            ]
            circle_id = (
                await conn.execute(
                    insert(Circle).values(
                        workspace_id=workspace_id,
                        name=f"seeded-{n}",
                        format_key="action-learning",
                        mode=Mode.LIVE,
                        status=CircleStatus.ACTIVE,
                        facilitation=Facilitation.FACILITATED,
                        space_ref=f"S{n}",
                        created_by_id=people[0],
                        created_at=SEEDED_AT,
                    )
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            await conn.execute(
                insert(Membership),
                [
                    {
                        "circle_id": circle_id,
                        "person_id": p,
                        "role": Role.FACILITATOR if i == 0 else Role.MEMBER,
                        "joined_at": SEEDED_AT,
                    }
                    for i, p in enumerate(people)
                ],
            )
            meeting_id = (
                await conn.execute(
                    insert(Meeting).values(
                        circle_id=circle_id,
                        number=1,
                        duration_minutes=240,
                        state=MeetingState.ROUNDS,
                        facilitator_id=people[0],
                        created_at=SEEDED_AT,
                    )
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            await conn.execute(
                insert(Round).values(
                    meeting_id=meeting_id,
                    number=1,
                    issue_holder_id=people[1],
                    topic="seeded",
                    phase=Phase.EXPLORE,
                    phase_started_at=SEEDED_AT,
                    created_at=SEEDED_AT,
                )
            )
