"""The playground port keeps what was said; it tells the server what changed, and where."""

from __future__ import annotations

from bots.playground.port import Change, PlaygroundPort, dm_space
from core.clock import ManualClock
from core.messages import message
from core.port import MessageRef, SpaceRef


def recording_port(clock: ManualClock) -> tuple[PlaygroundPort, list[Change]]:
    changes: list[Change] = []

    async def listen(change: Change) -> None:
        changes.append(change)

    return PlaygroundPort(clock, listen), changes


async def test_spaces_get_fresh_random_ids_and_tell_their_first_members(clock: ManualClock) -> None:
    port, changes = recording_port(clock)
    first = await port.open_private_space("leaders", "Ground rules", ["ana", "ben"])
    second = await PlaygroundPort(clock).open_private_space("leaders", "", [])
    assert first.id != second.id  # a restarted playground never reuses an old circle's id
    assert changes == [Change(first.id, ("ana", "ben"))]
    assert port.topics[first.id] == "Ground rules"


async def test_threads_hold_replies_and_a_header_can_be_updated(clock: ManualClock) -> None:
    port, changes = recording_port(clock)
    space = await port.open_private_space("leaders", "", ["ana"])
    header = await port.post(space, message("Round 1"))
    reply = await port.reply(header, message("Present your issue"))
    await port.update(header, message("Round 1: clarifying"))
    assert [p.message.plain_text for p in port.channel(space.id, "ana")] == ["Round 1: clarifying"]
    found = port.thread(space.id, header.message_id, "ana")
    assert found is not None
    assert [p.id for p in found[1]] == [reply.message_id]
    assert port.thread(space.id, reply.message_id, "ana") is None  # a reply is not a thread
    assert changes[-1] == Change(space.id)


async def test_a_reply_to_a_message_it_no_longer_holds_goes_to_the_channel(clock: ManualClock) -> None:
    port, _ = recording_port(clock)
    space = await port.open_private_space("leaders", "", [])
    ref = await port.reply(MessageRef(space.id, "m999"), message("After a restart"))
    assert [p.id for p in port.channel(space.id, "ana")] == [ref.message_id]
    await port.update(MessageRef("elsewhere", ref.message_id), message("Hijack"))
    assert port.channel(space.id, "ana")[0].message.plain_text == "After a restart"


async def test_private_notices_and_dms_reach_one_person(clock: ManualClock) -> None:
    port, changes = recording_port(clock)
    space = await port.open_private_space("leaders", "", ["ana", "ben"])
    await port.notify_privately(space, "ana", message("Only for Ana"))
    assert [p.message.plain_text for p in port.channel(space.id, "ana")] == ["Only for Ana"]
    assert port.channel(space.id, "ben") == []
    assert changes[-1] == Change(None, ("ana",))
    await port.send_dm("ben", message("Your commitment is due"))
    assert [p.message.plain_text for p in port.channel(dm_space("ben"), "ben")] == ["Your commitment is due"]
    assert Change(None, ("ben",)) in changes


async def test_archiving_marks_the_space(clock: ManualClock) -> None:
    port, changes = recording_port(clock)
    space = await port.open_private_space("leaders", "", [])
    await port.archive_space(SpaceRef(space.id))
    assert space.id in port.archived
    assert changes[-1] == Change(space.id)
