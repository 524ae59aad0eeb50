"""The manifest asks for exactly the scopes and events the code uses."""

from __future__ import annotations

from pathlib import Path

import yaml

from bots.slack.app import BOT_SCOPES, EVENTS_PATH

MANIFEST = Path(__file__).resolve().parents[3] / "bots" / "slack" / "manifest.yml"


def test_manifest_scopes_events_and_urls_match_the_app() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert manifest["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "message.groups",
        "member_joined_channel",
        "user_change",
    }
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/circle"
    assert command["should_escape"] is True  # mentions arrive as <@U…|name>, which the grammar reads
    assert command["url"].endswith(EVENTS_PATH)
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
