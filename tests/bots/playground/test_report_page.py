"""A report in the playground: the lead's DM links to the files and to a page with the charts; only
the person who asked can open them; on disk they are readable by the playground's account alone."""

from __future__ import annotations

import copy
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bots.playground import demo
from bots.playground.downloads import Downloads
from bots.playground.port import PlaygroundPort, dm_space
from bots.playground.server import playground_of, start_site
from bots.playground.workspace import Playground
from core.clock import ManualClock
from core.db import Database
from core.messages import Attachment, message
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from tests.bots.playground.conftest import SeededOnce, channels_of
from tests.fakes.programme import CANARY, Seeded, people, seed_programme


@pytest.fixture
async def programme_playground(
    programme_template: SeededOnce | None, db: Database, clock: ManualClock
) -> tuple[Playground, Seeded]:
    """A playground on a copy of the programme seeded once (tests/bots/playground/conftest.py)."""
    if programme_template is not None:
        clock.set(programme_template.now)
    port = PlaygroundPort(clock) if programme_template is None else channels_of(programme_template.port, clock)
    service = CircleService(db, clock, lambda _workspace: port)
    made = playground_of(service, port, clock, Scheduler(service))
    if programme_template is None:
        return made, await seed_programme(service, clock, workspace=demo.WORKSPACE)
    done: Seeded = programme_template.result
    return made, Seeded(people(service, demo.WORKSPACE), copy.deepcopy(done.tally), done.programme_id)


@pytest.fixture
async def reported(
    programme_playground: tuple[Playground, Seeded], clock: ManualClock
) -> AsyncIterator[tuple[Seeded, str, str]]:
    """The seeded programme, the lead's report asked for, and the site serving it."""
    playground, seeded = programme_playground
    assert "on their way" in await seeded.lead.says("/circle report spring")
    runner, bound = await start_site(playground, "127.0.0.1", 0)
    posts = playground.port.channel(dm_space(seeded.lead.user), seeded.lead.user)
    [dm] = [p for p in posts if "Open the report page" in dict(p.links)]  # calendars come as links too
    page = dict(dm.links)["Open the report page"]
    yield seeded, f"http://127.0.0.1:{bound}", page
    await runner.cleanup()


async def test_only_the_lead_opens_the_report_page_and_its_files(reported: tuple[Seeded, str, str]) -> None:
    seeded, site, page = reported
    async with ClientSession(cookies={"playground_person": seeded.lead.user}) as lead:
        response = await lead.get(site + page)
        assert response.status == 200
        html = await response.text()
        assert "Programme spring" in html
        assert CANARY not in html
        images = [part.split('"')[0] for part in html.split('<img src="')[1:]]
        assert len(images) == 4
        for address in images:
            png = await lead.get(site + address)
            assert png.status == 200
            assert png.content_type == "image/png"
            assert (await png.read()).startswith(b"\x89PNG")
        csv_link = html.split('<li><a href="')[1].split('"')[0]
        csv_file = await lead.get(site + csv_link)
        assert csv_file.content_type == "text/csv"
        assert "attachment" in csv_file.headers["Content-Disposition"]
        assert CANARY not in await csv_file.text()
    async with ClientSession(cookies={"playground_person": seeded.person(1).user}) as other:
        for address in (page, *images, page.replace("/report/", "/report/x")):
            assert (await other.get(site + address)).status == 404
    async with ClientSession() as nobody:
        assert (await nobody.get(site + page)).status == 401


def test_files_on_disk_are_private_to_the_playground_account(tmp_path: Path) -> None:
    downloads = Downloads(tmp_path / "downloads")
    bundle = downloads.keep(
        "ana",
        message("Your report"),
        [Attachment("../../etc/passwd", b"x", "text/csv"), Attachment("chart.png", b"\x89PNG", "image/png")],
    )
    names = [name for name, _, _ in bundle.files]
    assert names == ["etc-passwd", "chart.png"]
    for path in (tmp_path / "downloads").rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    assert downloads.file("ana", bundle.token, "chart.png") == (b"\x89PNG", "image/png")
    assert downloads.file("ben", bundle.token, "chart.png") is None
    assert downloads.file("ana", bundle.token, "manifest.json") is None
    assert downloads.file("ana", "../" + bundle.token, "chart.png") is None
    reopened = Downloads(tmp_path / "downloads")  # after a restart: still there, still only Ana's
    assert reopened.bundle("ana", bundle.token) == bundle
