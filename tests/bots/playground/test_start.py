"""Starting the playground: the README's run command with no tokens lands here."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots import runner
from bots.bootstrap import Settings
from bots.playground import server
from core.clock import ManualClock


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
