"""`run_slack` as `circles run` starts it: Socket Mode with SLACK_APP_TOKEN, against the fake Slack."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from bots.bootstrap import Settings
from bots.slack.app import run_slack
from tests.fakes.slack_api import FakeSlack


async def test_socket_mode_takes_a_slash_command_and_answers_privately(fake_slack: FakeSlack, tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'run.sqlite3'}",
        slack_bot_token="xoxb-test",
        slack_app_token="xapp-test",
        slack_api_url=fake_slack.api_url,
    )
    running = asyncio.create_task(run_slack(settings))
    try:
        await fake_slack.wait_for(lambda: fake_slack.socket is not None)
        key, response_url = fake_slack.new_response_url()
        command = {
            "team_id": "T1",
            "channel_id": "C0GENERAL",
            "user_id": "U0ANA",
            "user_name": "ana",
            "command": "/circle",
            "text": "new over-the-socket",
            "response_url": response_url,
            "trigger_id": "1.2.abc",
        }
        ack = await fake_slack.send_envelope("slash_commands", command)
        assert set(ack) == {"envelope_id"}  # acked, with nothing to show yet
        await fake_slack.wait_for(lambda: bool(fake_slack.responses[key]))
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert "is set up" in fake_slack.response_texts(key)[0]
    assert fake_slack.channel_named("circle-over-the-socket").is_private
    assert [c.token for c in fake_slack.calls_to("apps.connections.open")] == ["xapp-test"]
    assert fake_slack.violations == []
