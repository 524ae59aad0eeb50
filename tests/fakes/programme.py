"""A programme of three circles run through the core as members would, with a tally of what was done
kept by the script itself, so report tests can compare every figure with an independent count.

A canary text goes into every field anyone can type in (check-ins, bids, contributions, commitments,
notes, feedback, the closing questions), so tests can show it never comes out in a report.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from core.clock import ManualClock
from core.models import Commitment
from core.report.command import EVALUATION_FORM
from core.service import CircleService
from tests.fakes.members import Member, welcome

CANARY = "CANARY-q7x"
PROGRAMME = "spring"
STATUS_CYCLE = ("done", "stuck", "open", "in_progress", "dropped")
OUTCOME = {"done": "done", "stuck": "stuck", "in_progress": "in_progress", "dropped": "dropped", "open": "carried_over"}


@dataclass(frozen=True)
class CirclePlan:
    name: str
    facilitator: int  # index into the people
    members: tuple[int, ...]
    meetings: int
    lead_stays: bool = False  # the programme lead runs this circle (and so sees its name)


PLANS = (
    CirclePlan("north", 1, (2, 3, 4, 5, 6), 3),
    CirclePlan("south", 0, (7, 8, 9, 10), 2, lead_stays=True),
    CirclePlan("tiny", 11, (12,), 1),
)
NAMES = ("Ana", "Ben", "Chidi", "Dana", "Eero", "Fatima", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lea", "Mo", "Nia")


@dataclass
class Tally:
    """What the script did, counted by the script."""

    members: dict[str, list[str]] = field(default_factory=dict)  # circle -> users at the end
    held: dict[str, int] = field(default_factory=dict)
    checked_in: dict[tuple[str, int], set[str]] = field(default_factory=lambda: defaultdict(set))
    spoke: dict[tuple[str, int], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    committed: dict[tuple[str, int], list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    outcome_at_next: dict[int, str] = field(default_factory=dict)  # commitment id -> outcome
    ratings: dict[tuple[str, int], list[int]] = field(default_factory=lambda: defaultdict(list))
    rounds: Counter[tuple[str, str]] = field(default_factory=Counter)
    evaluations: list[tuple[int, bool, str, bool]] = field(default_factory=list)


@dataclass
class Seeded:
    people: list[Member]
    tally: Tally
    programme_id: int

    @property
    def lead(self) -> Member:
        return self.people[0]

    def person(self, index: int) -> Member:
        return self.people[index]


def people(service: CircleService, workspace: str = "T1") -> list[Member]:
    return [Member(service, f"UP{i}", name, workspace) for i, name in enumerate(NAMES)]


async def seed_programme(
    service: CircleService, clock: ManualClock, *, sharing: int = 2, workspace: str = "T1"
) -> Seeded:
    """Three circles of the programme; `sharing` of the closing-question answers tick "share"."""
    cast = people(service, workspace)
    lead = cast[0]
    reply = await lead.says(f"/circle programme {PROGRAMME}")
    programme_id = int(reply.split("--programme ")[1].split("`")[0])
    tally = Tally()
    for plan in PLANS:
        await _form(cast, plan)
        tally.members[plan.name] = [cast[i].user for i in (plan.facilitator, *plan.members)]
        if plan.lead_stays and plan.facilitator != 0:
            tally.members[plan.name].append(lead.user)
    status: dict[int, str] = {}
    turn = 0
    for plan in PLANS:
        for number in range(1, plan.meetings + 1):
            await _meeting(cast, clock, plan, number, tally, service, status)
            for commitment_id, user in tally.committed[plan.name, number]:
                word = STATUS_CYCLE[turn % len(STATUS_CYCLE)]
                turn += 1
                member = next(p for p in cast if p.user == user)
                if word == "done":
                    assert "done" in (await member.says(f"/circle done {commitment_id} {CANARY} note")).lower()
                elif word != "open":
                    assert word.replace("_", " ") in (
                        await member.says(f"/circle update {commitment_id} {word} {CANARY} note")
                    ).replace("_", " ")
                status[commitment_id] = word
            clock.advance(timedelta(days=20))
        tally.held[plan.name] = plan.meetings
    evaluators = [cast[i] for i in (1, 2, 3, 4, 5, 7, 8)]
    for i, member in enumerate(evaluators):
        answer = (1 + (i * 3) % 5, i % 3 != 0, ("none", "some", "most", "all")[i % 4], i < sharing)
        result = await member.submits(
            EVALUATION_FORM,
            str(programme_id),
            {
                "usefulness": str(answer[0]),
                "recommend": "yes" if answer[1] else "no",
                "applied": answer[2],
                "text": f"{CANARY} closing words {i}",
                "share": "yes" if answer[3] else "no",
            },
        )
        assert result.errors == {}, result.errors
        tally.evaluations.append(answer)
    return Seeded(cast, tally, programme_id)


async def _form(cast: list[Member], plan: CirclePlan) -> None:
    lead = cast[0]
    assert "is set up" in await lead.says(f"/circle new {plan.name} programme={PROGRAMME}")
    if plan.facilitator != 0:
        facilitator = cast[plan.facilitator]
        assert "Invited" in await welcome(lead, [facilitator], f"role=facilitator in={plan.name}")
    assert "Invited" in await welcome(lead, [cast[i] for i in plan.members], f"in={plan.name}")
    if not plan.lead_stays:
        assert "left" in await lead.says(f"/circle leave in={plan.name}")


async def _meeting(
    cast: list[Member],
    clock: ManualClock,
    plan: CirclePlan,
    number: int,
    tally: Tally,
    service: CircleService,
    status: dict[int, str],
) -> None:
    at = f"in={plan.name}"
    facilitator = cast[plan.facilitator]
    everyone = [facilitator, *(cast[i] for i in plan.members)]
    key = (plan.name, number)
    day = clock.now() + timedelta(days=1)
    assert "scheduled" in await facilitator.says(f"/circle schedule {day:%Y-%m-%d} 10:00 {at}")
    clock.advance(timedelta(days=1, hours=1))
    assert "is open" in await facilitator.says(f"/circle start {at}")
    for commitment_id, _user in tally.committed.get((plan.name, number - 1), []):
        tally.outcome_at_next[commitment_id] = OUTCOME[status[commitment_id]]
    absent = {everyone[(number + 1) % len(everyone)].user} if len(everyone) > 4 else set()
    present = [p for p in everyone if p.user not in absent]
    for person in present:
        assert "checked in" in await person.says(f"/circle checkin {CANARY} arriving {at}")
        tally.checked_in[key].add(person.user)
    assert "Bids are open" in await facilitator.says(f"/circle bids {at}")
    holders = [p for p in present if p is not facilitator][: 2 if len(present) > 2 else 1]
    for person in holders:
        assert "bid is in" in await person.says(f"/circle bid {CANARY} my issue {at}")
    for r, holder in enumerate(holders):
        others = [p for p in present if p is not holder]
        assert "has started" in await facilitator.says(f"/circle round {holder.mention} {at}")
        tally.rounds[plan.name, holder.user] += 1
        await _say(holder, f"/circle say {CANARY} presenting {at}", tally, key)
        await facilitator.says(f"/circle next {at}")
        await _say(others[0], f"/circle say {CANARY} clarifying? {at}", tally, key)
        await facilitator.says(f"/circle next {at}")
        for speaker in others[: 1 + (number + r) % len(others)]:
            await _say(speaker, f"/circle say kind=advice {CANARY} advice {at}", tally, key)
        await facilitator.says(f"/circle next {at}")
        await _say(holder, f"/circle say kind=reflection {CANARY} reflecting {at}", tally, key)
        await facilitator.says(f"/circle next {at}")
        due = (clock.now() + timedelta(days=14)).date().isoformat()
        assert "noted" in await holder.says(f"/circle commit {CANARY} act due={due} {at}")
        async with service.db.unit_of_work() as uow:
            newest = await uow.session.scalar(select(Commitment.id).order_by(Commitment.id.desc()).limit(1))
            assert newest is not None
        tally.committed[key].append((newest, holder.user))
        assert "is finished" in await facilitator.says(f"/circle next {at}")
        clock.advance(timedelta(minutes=50))
    assert "is closed" in await facilitator.says(f"/circle close {at}")
    for i, person in enumerate(present[: max(1, len(present) - 1)]):
        rating = 1 + (i + number) % 5
        assert "Thank you" in await person.says(f"/circle feedback {rating} {CANARY} so so {at}")
        tally.ratings[key].append(rating)


async def _say(member: Member, command: str, tally: Tally, key: tuple[str, int]) -> None:
    reply = await member.says(command)
    assert "Thanks" in reply, reply
    tally.spoke[key][member.user] += 1
