"""Files reach one person as attachments of a DM, through discord.py's multipart upload, against
the fake Discord (which checks each file part is announced in payload_json, as Discord does)."""

from __future__ import annotations

import pytest

from bots.discord.port import DiscordPort
from core.messages import Attachment, Heading, message
from core.port import Undeliverable
from tests.bots.discord.conftest import Harness, command, said
from tests.bots.discord.test_meetings import form_circle

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_report_arrives_as_attachments_in_one_persons_dm(harness: Harness) -> None:
    h = harness
    g = await h.guild(size=2, closed_dms=(1,))
    ana, ben = g.people
    port = DiscordPort(h.bot, g.id)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20
    files = [
        Attachment("attendance.png", png, "image/png", "Attendance"),
        Attachment("report.csv", b"section,value\nattendance,5\n", "text/csv"),
    ]
    violations = len(h.fake.violations)
    ref = await port.send_files(str(ana.id), message(Heading("Programme spring"), "Your charts"), files)
    dm = h.fake.channels[int(ref.space_id)]
    assert dm["type"] == 1
    assert dm["recipients"][0]["id"] == str(ana.id)
    [sent] = h.fake.in_channel(int(ref.space_id))
    assert "Programme spring" in sent["content"] + str(sent["embeds"])
    assert [(a["filename"], a["size"], a.get("description")) for a in sent["attachments"]] == [
        ("attendance.png", len(png), "Attendance"),
        ("report.csv", len(files[1].content), None),
    ]
    assert h.fake.files[int(sent["id"])] == [("attendance.png", png), ("report.csv", files[1].content)]
    assert h.fake.violations[violations:] == []
    with pytest.raises(Undeliverable):
        await port.send_files(str(ben.id), message("x"), files)
    with pytest.raises(Undeliverable):  # remembered: not even tried again
        await port.send_files(str(ben.id), message("x"), files)


async def test_more_than_ten_files_go_in_several_messages(harness: Harness) -> None:
    h = harness
    g = await h.guild(size=1)
    port = DiscordPort(h.bot, g.id)
    files = [Attachment(f"chart-{i}.png", bytes([i]) * 10, "image/png") for i in range(12)]
    ref = await port.send_files(str(g.people[0].id), message("Twelve charts"), files)
    sent = h.fake.in_channel(int(ref.space_id))
    assert [len(m["attachments"]) for m in sent] == [10, 2]
    assert "Twelve charts" in sent[0]["content"] + str(sent[0]["embeds"])


async def test_circle_do_report_sends_the_charts_to_the_facilitators_dm_only(harness: Harness) -> None:
    h = harness
    g = await h.guild(size=4)
    ana, ben = g.people[:2]
    space = await form_circle(h, g, "report-circle")
    answer = await command(h, g, ana, "do", text="report", channel=space)
    assert "Circle report-circle" in said(answer)
    dms = [c for c in h.fake.channels.values() if c["type"] == 1 and c["recipients"][0]["id"] == str(ana.id)]
    [sent] = [m for dm in dms for m in h.fake.in_channel(int(dm["id"])) if m["attachments"]]
    assert [a["filename"] for a in sent["attachments"]] == [
        "circle-report-circle-attendance.png",
        "circle-report-circle-follow_through.png",
        "circle-report-circle-airtime.png",
        "circle-report-circle-ratings.png",
        "circle-report-circle.csv",
    ]
    assert all(content.startswith(b"\x89PNG") for _, content in h.fake.files[int(sent["id"])][:4])
    refused = await command(h, g, ben, "do", text="report", channel=space)
    assert "Only the circle's facilitator or lead" in said(refused)
