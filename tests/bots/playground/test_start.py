"""Starting the playground: the README's run command with no tokens lands here."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots import runner
from bots.bootstrap import Settings
from bots.playground import server
from core.clock import ManualClock
from core.context import Actor
from core.vocabulary import Platform


async def test_a_fresh_sqlite_file_is_migrated_and_seeded(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "nested" / "circles.sqlite3"
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{path}"})
    playground = await server.open_playground(settings, clock, seed=False)
    try:
        assert path.exists()
        assert len(await playground.people()) == 7
        assert [c.name for c in await playground.channels("amara")] == ["feedback-module", "handover", "leaders"]
    finally:
        await playground.service.db.dispose()


async def test_a_restart_keeps_the_channels_and_their_threads(tmp_path: Path, clock: ManualClock) -> None:
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'circles.sqlite3'}"})
    first = await server.open_playground(settings, clock, seed=False)
    coaching = next(c for c in await first.channels("fatima") if c.name == "coaching")
    assert coaching.space_ref is not None
    before = [p.message for p in first.port.channel(coaching.space_ref, "fatima")]
    await first.service.db.dispose()

    second = await server.open_playground(settings, clock, seed=True)
    try:
        assert [p.message for p in second.port.channel(coaching.space_ref, "fatima")] == before
        header = next(p for p in second.port.channel(coaching.space_ref, "fatima") if p.replies)
        actor = Actor(Platform.PLAYGROUND, "playground", "fatima", "Fatima Haddad")
        await second.service.reply_in_thread(actor, header.ref.encode(), "Presenting after the restart")
        found = second.port.thread(coaching.space_ref, header.id, "fatima")
        assert found is not None
        said = [p.message.plain_text for p in found[1]]
        assert said[-1].startswith("*Clarifying questions*")  # she presented, the last to speak: the bot moved on
        assert len(await second.channels("fatima")) == 3  # seeding again added no circles
    finally:
        await second.service.db.dispose()


def test_no_tokens_runs_the_playground_on_the_given_port(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "DISCORD_TOKEN", "CIRCLES_PORT", "PORT"):
        monkeypatch.delenv(name, raising=False)
    calls: list[tuple[int, bool]] = []

    def fake_serve(settings: Settings, port: int, demo: bool) -> int:
        calls.append((port, demo))
        return 0

    monkeypatch.setattr(server, "serve", fake_serve)
    assert runner.main(["--port", "8123"]) == 0
    assert runner.main([], demo=True) == 0
    assert calls == [(8123, False), (8000, True)]


async def test_a_restart_keeps_the_playgrounds_clock(tmp_path: Path) -> None:
    from aiohttp import ClientSession

    from bots.playground.clock import RunningClock

    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'circles.sqlite3'}"})
    first = await server.open_playground(settings, RunningClock(), seed=False)
    runner_, bound = await server.start_site(first, "127.0.0.1", 0)
    try:
        async with (
            ClientSession(cookies={server.COOKIE: "fatima"}) as session,
            session.post(f"http://127.0.0.1:{bound}/api/skip", json={}) as response,
        ):
            assert response.status == 200
        skipped_to = first.clock.now()
    finally:
        await runner_.cleanup()
        await first.service.db.dispose()
    second = await server.open_playground(settings, RunningClock(), seed=False)
    try:
        assert second.clock.now() >= skipped_to  # not back to real time: nothing can be scheduled in its past
    finally:
        await second.service.db.dispose()
