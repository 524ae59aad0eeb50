"""The fake is only as good as its checks: a request Discord's spec forbids must be caught."""

from __future__ import annotations

import aiohttp

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_spec import DiscordSpec


async def test_the_fake_flags_what_discord_would_refuse(discord_spec: DiscordSpec) -> None:
    fake = FakeDiscord(spec=discord_spec)
    await fake.start()
    try:
        guild = fake.add_guild()
        channel = fake.add_text_channel(guild, "general")
        headers = {"Authorization": f"Bot {fake.token}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            ok = await http.post(f"{fake.api_url}/channels/{channel}/messages", json={"content": "hi"})
            assert ok.status == 200
            assert ok.headers["Content-Type"] == "application/json"
            assert fake.violations == []
            await http.post(f"{fake.api_url}/channels/{channel}/messages", json={"content": 5})
            assert len(fake.violations) == 1
            assert "content" in fake.violations[0]
            await http.post(
                f"{fake.api_url}/guilds/{guild}/channels",
                json={"name": "x", "type": 0, "permission_overwrites": [{"id": "1", "allow": "1024"}]},
            )
            assert len(fake.violations) == 2  # permission bits are integers in the spec
        async with aiohttp.ClientSession() as anonymous:
            refused = await anonymous.get(f"{fake.api_url}/users/@me")
            assert refused.status == 401
    finally:
        await fake.stop()
