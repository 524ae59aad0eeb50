"""Installation into many workspaces: Bolt's OAuth flow against the fake Slack, slack_sdk's
SQLAlchemy stores on our database (tables from migration 0003), and ports using each team's token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession, web
from sqlalchemy import create_engine, inspect

from bots.bootstrap import Settings, assemble
from bots.slack.app import SlackAdapter, build_slack_adapter, slack_web_app
from bots.slack.port import SlackPorts
from bots.slack.store import slack_metadata
from core.clock import ManualClock
from core.db import Database, migrate, sync_url
from core.messages import message
from core.models import Workspace
from core.port import Undeliverable
from core.vocabulary import Platform
from tests.bots.slack.conftest import SIGNING_SECRET
from tests.fakes.slack_api import FakeSlack, SlackSender

INSTALLED_TOKEN = "xoxb-T2-installed"


@pytest.fixture
async def multi(fake_slack: FakeSlack, db: Database, clock: ManualClock) -> AsyncIterator[tuple[SlackAdapter, str]]:
    async with db.engine.begin() as conn:
        await conn.run_sync(slack_metadata.create_all)
    settings = Settings(
        database_url=db.url,
        slack_signing_secret=SIGNING_SECRET,
        slack_client_id="111.222",
        slack_client_secret="client-secret",
        slack_api_url=fake_slack.api_url,
    )
    ports = SlackPorts(settings.slack_api_url, None)
    adapter = build_slack_adapter(assemble(settings, db, clock, ports.port_for), settings, ports)
    runner = web.AppRunner(slack_web_app(adapter.bolt), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield adapter, f"http://127.0.0.1:{port}"
    await adapter.background.drain()
    await runner.cleanup()


async def install(base: str) -> int:
    async with ClientSession() as session:
        async with session.get(f"{base}/slack/install", allow_redirects=False) as page:
            body = await page.text()
            state = re.search(r"state=([\w-]+)", body + page.headers.get("Location", ""))
            assert state is not None
            cookie = page.headers["Set-Cookie"].split(";")[0]
        url = f"{base}/slack/oauth_redirect?code=good-code&state={state.group(1)}"
        async with session.get(url, headers={"Cookie": cookie}) as done:
            return done.status


async def test_installing_into_a_second_workspace_stores_its_token_and_its_requests_use_it(
    multi: tuple[SlackAdapter, str], fake_slack: FakeSlack
) -> None:
    adapter, base = multi
    fake_slack.add_user("U2ZOE", "Zoe", "Australia/Sydney", team="T2")
    assert await install(base) == 200
    assert fake_slack.calls_to("oauth.v2.access")

    async with ClientSession() as session:
        sender = SlackSender(f"{base}/slack/events", SIGNING_SECRET, fake_slack, session, team="T2")
        sent, key = await sender.command("U2ZOE", "new zoe-circle")
        assert sent.status == 200
        await adapter.background.drain()
    assert "is set up" in "".join(fake_slack.response_texts(key))
    channel = fake_slack.channel_named("circle-zoe-circle")
    assert channel.team == "T2"
    assert {c.token for c in fake_slack.calls if c.method.startswith("conversations.")} == {INSTALLED_TOKEN}
    assert fake_slack.violations == []


async def test_a_port_for_an_installed_workspace_reads_the_token_from_the_store(
    multi: tuple[SlackAdapter, str], fake_slack: FakeSlack
) -> None:
    adapter, base = multi
    assert await install(base) == 200
    port = adapter.ports.port_for(Workspace(platform=Platform.SLACK, external_id="T2", name="T2"))
    await port.send_dm("U0ANA", message("Your check-in is due"))
    assert fake_slack.calls_to("chat.postMessage")[-1].token == INSTALLED_TOKEN


async def test_a_workspace_that_never_installed_the_app_is_undeliverable(multi: tuple[SlackAdapter, str]) -> None:
    adapter, _ = multi
    port = adapter.ports.for_team("T404")
    with pytest.raises(Undeliverable):
        await port.send_dm("U0ANA", message("hello"))


async def test_an_install_with_a_forged_state_is_refused(
    multi: tuple[SlackAdapter, str], fake_slack: FakeSlack
) -> None:
    _, base = multi
    async with ClientSession() as session:
        url = f"{base}/slack/oauth_redirect?code=good-code&state=forged"
        async with session.get(url, headers={"Cookie": "slack-app-oauth-state=forged"}) as done:
            assert done.status == 401
    assert fake_slack.calls_to("oauth.v2.access") == []


def test_migrations_create_the_slack_store_tables_and_undo_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    migrate(url)
    engine = create_engine(sync_url(url))
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= tables
        assert "circles" in tables
    finally:
        engine.dispose()
