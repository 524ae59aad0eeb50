"""The playground stays on this machine: a request (or a WebSocket) addressed to another name is
refused, so a page that rebinds its own domain to 127.0.0.1 reads nothing; its database folder
and files are readable by their owner only."""

from __future__ import annotations

import stat
from pathlib import Path

import aiohttp
import pytest

from bots.bootstrap import Settings
from bots.playground import history
from bots.playground.local import is_own_host
from bots.playground.server import open_playground, start_site
from core.clock import ManualClock


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("host", "own"),
    [
        ("127.0.0.1:8000", True),
        ("localhost:8000", True),
        ("LOCALHOST:8000", True),
        ("[::1]:8000", True),
        ("192.168.1.20:8000", True),  # an address literal: no domain to rebind
        ("attacker.example:8000", False),
        ("127.0.0.1.attacker.example:8000", False),
        ("localhost.attacker.example:8000", False),
        ("127.0.0.1:9999", False),  # another port
        ("127.0.0.1", False),  # port 80 implied
        ("127.0.0.1:80x", False),
        ("", False),
    ],
)
def test_own_hosts(host: str, own: bool) -> None:
    assert is_own_host(host, 8000) is own


async def test_a_foreign_host_is_refused_and_the_own_one_served(site: str) -> None:
    port = int(site.rsplit(":", 1)[1])
    async with aiohttp.ClientSession() as session:
        for host, status in [
            (f"127.0.0.1:{port}", 200),
            (f"localhost:{port}", 200),
            (f"attacker.example:{port}", 421),
            (f"attacker.example:{port + 1}", 421),
        ]:
            async with session.get(f"{site}/api/state", headers={"Host": host}) as answer:
                assert answer.status == status, host
                if status == 421:
                    assert "own address" in await answer.text()
                    assert "circles" not in (await answer.text()).lower()


async def test_a_websocket_to_a_foreign_host_or_from_a_foreign_page_is_refused(site: str) -> None:
    port = int(site.rsplit(":", 1)[1])
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.post(f"{site}/api/me", json={"person": "amara"}) as picked:
            assert picked.status == 200
        with pytest.raises(aiohttp.WSServerHandshakeError) as foreign_host:
            await session.ws_connect(f"{site}/ws", headers={"Host": f"attacker.example:{port}"})
        assert foreign_host.value.status == 421
        with pytest.raises(aiohttp.WSServerHandshakeError) as foreign_page:
            await session.ws_connect(f"{site}/ws", headers={"Origin": "http://attacker.example"})
        assert foreign_page.value.status == 403
        own = await session.ws_connect(f"{site}/ws", headers={"Origin": site})
        assert not own.closed
        await own.close()


async def test_the_database_folder_and_files_are_the_owners_only(tmp_path: Path, clock: ManualClock) -> None:
    folder = tmp_path / "var"
    settings = Settings(database_url=f"sqlite:///{folder / 'circles.sqlite3'}")
    playground = await open_playground(settings, clock, seed=False)
    try:
        runner, _port = await start_site(playground, "127.0.0.1", 0)
        await runner.cleanup()
        saved = history.history_path(settings.database_url)
        assert saved is not None
        history.save(playground.port, saved)
        files = sorted(p.name for p in folder.iterdir())
        assert "circles.sqlite3" in files
        assert "circles.playground.json" in files
        assert mode(folder) == 0o700
        assert {name: mode(folder / name) for name in files} == dict.fromkeys(files, 0o600)
    finally:
        await playground.service.db.dispose()


async def test_files_left_world_readable_are_tightened(tmp_path: Path, clock: ManualClock) -> None:
    database = tmp_path / "old.sqlite3"
    database.touch(mode=0o644)
    database.chmod(0o644)
    playground = await open_playground(Settings(database_url=f"sqlite:///{database}"), clock, seed=False)
    await playground.service.db.dispose()
    assert mode(database) == 0o600
