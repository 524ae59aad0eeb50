"""Keeping time on a live call: what today's facilitator is told when a phase's timebox ends, and the
break the circle is offered at its format's break point.

Both are due items the planner keeps (`core.scheduling.planner.live_timebox`, `live_break`); when one
falls due the dispatcher hands it here, so the words and the facilitator's view of the room come from
the same state machine and views as everything else a meeting says.
"""

from __future__ import annotations

from collections.abc import Mapping

from core import meeting as machine
from core import views
from core.formats import get_format
from core.messages import Message
from core.models import Circle, DueItem, DueKind, Meeting, Person, Round, Workspace
from core.port import SpaceRef
from core.service import CircleService
from core.vocabulary import MeetingState, Phase


def still_meaningful(item: DueItem, meetings: Mapping[int, Meeting], rounds: Mapping[int, Round]) -> bool:
    """A time's-up still applies while the round is in that phase; a break while the meeting runs."""
    if item.kind == DueKind.TIMEBOX_ALERT:
        round_ = rounds.get(item.round_id or 0)
        return round_ is not None and round_.phase.value == item.payload.get("phase")
    meeting = meetings.get(item.meeting_id or 0)
    return meeting is not None and meeting.state in (MeetingState.CHECK_IN, MeetingState.BIDDING, MeetingState.ROUNDS)


async def send_live_notice(service: CircleService, item: DueItem) -> None:
    """Sends a due time's-up (by DM, to today's facilitator: it names who hasn't spoken) or break
    offer (to the circle). A live meeting is under way, so no quiet hours apply."""
    async with service.db.unit_of_work() as uow:
        meeting = await uow.session.get(Meeting, item.meeting_id or 0)
        circle = await uow.session.get(Circle, meeting.circle_id) if meeting is not None else None
        if meeting is None or circle is None or not circle.space_ref:
            return
        workspace = await uow.session.get(Workspace, circle.workspace_id)
        assert workspace is not None
        fmt = get_format(circle.format_key)
        scene = await machine.load_scene(uow, circle, meeting, fmt, service.clock.now())
        space = SpaceRef(circle.space_ref)
        to: str | None = None
        notice: Message | None = None
        if item.kind == DueKind.BREAK_OFFER:
            notice = views.break_offer(meeting, fmt.break_after_minutes or 0, fmt.break_minutes)
        else:
            round_ = scene.current_round
            facilitator = await uow.session.get(Person, meeting.facilitator_id or 0)
            if round_ is None or round_.phase == Phase.DONE or round_.phase.value != item.payload.get("phase"):
                return
            if facilitator is None:
                return
            to = facilitator.external_id
            notice = views.time_up(scene, round_, await machine.attendance(scene))
    port = service.port_for(workspace)
    if to is None:
        await port.post(space, notice)
    else:  # a DM: private on every platform (Discord has no private message in a channel), buttons work
        await port.send_dm(to, notice)
