"""The playground's channels survive a restart when the database is a SQLite file."""

from __future__ import annotations

from pathlib import Path

from bots.playground import history
from bots.playground.port import PlaygroundPort, dm_space
from core.clock import ManualClock
from core.forms import bid_button
from core.messages import Actions, Fields, Heading, Quote, message


def test_only_a_sqlite_file_gets_a_history_file() -> None:
    assert history.history_path("sqlite+aiosqlite:///var/circles.sqlite3") == Path("var/circles.playground.json")
    assert history.history_path("sqlite+aiosqlite:///:memory:") is None
    assert history.history_path("postgresql+psycopg://postgres@127.0.0.1/test") is None


async def test_every_block_kind_threads_and_private_notices_round_trip(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "h.json"
    port = PlaygroundPort(clock, keep=lambda kept: history.save(kept, path))
    space = await port.open_private_space("leaders", "Ground rules", ["ana"])
    header = await port.post(
        space, message(Heading("Round 1"), Quote("Ana", "<script>x</script>"), Fields((("Phase", "Present"),)))
    )
    await port.reply(header, message("*Present*.", Actions((bid_button(3),))))
    await port.notify_privately(space, "ana", message("Only for Ana"))
    await port.send_dm("ben", message("Your commitment is due"))
    await port.archive_space(space)

    again = PlaygroundPort(clock)
    assert history.load(again, path)
    assert again.last_seq == port.last_seq
    assert again.topics == port.topics
    assert again.archived == {space.id}
    assert [p.message for p in again.channel(space.id, "ana")] == [p.message for p in port.channel(space.id, "ana")]
    assert again.channel(space.id, "ben") == port.channel(space.id, "ben")
    found = again.thread(space.id, header.message_id, "ana")
    assert found is not None
    assert found[1][0].message == message("*Present*.", Actions((bid_button(3),)))
    assert [p.author for p in again.channel(dm_space("ben"), "ben")] == ["Peer Circles"]
    later = await again.post(space, message("After the restart"))
    assert later.message_id not in port.messages  # numbering carries on


def test_an_unreadable_history_is_set_aside(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "h.json"
    path.write_text("{not json", encoding="utf-8")
    port = PlaygroundPort(clock)
    assert not history.load(port, path)
    assert port.messages == {}
    assert not path.exists()
    assert (tmp_path / "h.json.unreadable").read_text(encoding="utf-8") == "{not json"
    assert not history.load(port, tmp_path / "missing.json")


async def test_the_clock_is_kept_with_the_channels_and_never_goes_back(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from bots.playground.clock import RunningClock

    path = tmp_path / "h.json"
    skipped = RunningClock()
    skipped.set(skipped.now() + timedelta(days=30))  # skipped ahead a month
    port = PlaygroundPort(skipped, keep=lambda kept: history.save(kept, path))
    await port.send_dm("ben", message("A reminder"))

    restarted = RunningClock()  # a new process starts at real time
    assert restarted.now() < skipped.now() - timedelta(days=29)
    assert history.load(PlaygroundPort(restarted), path, restarted)
    assert restarted.now() >= skipped.now() - timedelta(minutes=1)  # kept, not back to real time

    ahead = ManualClock(datetime(2030, 1, 1, tzinfo=UTC))
    assert history.load(PlaygroundPort(ahead), path, ahead)
    assert ahead.now() == datetime(2030, 1, 1, tzinfo=UTC)  # a saved time never moves a clock back
