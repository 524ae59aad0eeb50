"""`/circle report` and `/circle evaluate`: who may see which report, and the closing questions.

`/circle report PROGRAMME [monthly=on|off]` is for the programme's lead; anyone else is told
exactly what they would be told of a programme that does not exist. `/circle report` in a circle
(or with `in=NAME`) is for those who run that circle and shows that circle only. The report comes
back as a private reply, and its charts and CSV reach the asker alone through `SendFiles`.

`/circle evaluate PROGRAMME` opens the closing-questions form for anyone who has been in one of the
programme's circles; the close-out meeting will offer the same form.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.commands import EVALUATION, usage
from core.context import RequestContext
from core.effects import SendFiles
from core.errors import NotFound, UsageError
from core.forms import as_input
from core.messages import Attachment, Block, Choice, Form, Heading, Message, Reply, Text, message
from core.models import (
    Applied,
    Circle,
    DueItem,
    DueKind,
    DueState,
    Membership,
    Programme,
    ProgrammeEvaluation,
    ReportDigest,
)
from core.report.export import csv_bytes
from core.report.privacy import Report, circle_report, programme_report
from core.report.summary import home_line, summary
from core.requests import Evaluate, Evaluation
from core.requests import Report as ReportRequest

EVALUATION_FORM = "evaluation"
DIGEST_MONTHS = 12  # a programme runs for months, not years; `monthly=on` again extends it
DIGEST_EVERY = timedelta(days=30)
HOME_PROGRAMMES = 5


def no_programme(name: str) -> NotFound:
    """The one answer for a programme that does not exist and for one the asker may not see."""
    return NotFound(f"There's no programme called '{name[:80]}' here.")


async def report(ctx: RequestContext, req: ReportRequest) -> Reply:
    if req.programme:
        return await _programme(ctx, req)
    if req.monthly:
        raise UsageError(f"The monthly digest is for a programme's report.\nUsage: {usage('report')}")
    circle = await ctx.circle_for(req.target.circle)
    ctx.require_lead(circle, "see the circle's report")
    built = await circle_report(ctx.uow.session, circle)
    return await _deliver(ctx, built, f"circle-{circle.name}")


async def _programme(ctx: RequestContext, req: ReportRequest) -> Reply:
    name = req.programme
    programme = await ctx.uow.session.scalar(
        select(Programme).where(Programme.workspace_id == ctx.workspace.id, Programme.name == name)
    )
    if programme is None or programme.lead_id != ctx.person.id:
        raise no_programme(name)
    note = ""
    match req.monthly:
        case "on":
            await _digest_on(ctx, programme)
            note = "A digest of this report will come by DM every month."
        case "off":
            await _digest_off(ctx, programme)
            note = "The monthly digest is off."
    built = await programme_report(ctx.uow.session, programme, ctx.person.id)
    reply = await _deliver(ctx, built, f"programme-{programme.name}")
    if note:
        return Reply(Message((*reply.message.blocks, Text(note)), reply.message.summary))
    return reply


async def _deliver(ctx: RequestContext, built: Report, stem: str) -> Reply:
    """The summary as the reply; the charts and the CSV privately, to the asker's DM."""
    from core.report.charts import draw_all  # matplotlib costs ~40 MB: only a process that draws loads it

    charts = await asyncio.to_thread(draw_all, built)
    files = (
        *(Attachment(f"{stem}-{c.filename}", c.png, "image/png", c.title) for c in charts),
        Attachment(f"{stem}.csv", csv_bytes(built), "text/csv", "The figures, for your spreadsheet"),
    )
    ctx.uow.emit(SendFiles(ctx.person.id, summary(built, with_answers=False), files))
    text = summary(built)
    return Reply(
        Message((*text.blocks, Text("The charts and a CSV of these figures are on their way to you.")), text.summary)
    )


async def home_summary(ctx: RequestContext) -> list[Block]:
    """A line per programme the person leads, for their App Home: the same published figures."""
    programmes = list(
        await ctx.uow.session.scalars(
            select(Programme)
            .where(Programme.workspace_id == ctx.workspace.id, Programme.lead_id == ctx.person.id)
            .order_by(Programme.id.desc())
            .limit(HOME_PROGRAMMES)
        )
    )
    if not programmes:
        return []
    blocks: list[Block] = [Heading("Programmes you lead")]
    for programme in programmes:
        built = await programme_report(ctx.uow.session, programme, ctx.person.id)
        blocks.append(Text(f"*{programme.name}*: {home_line(built)} `/circle report {programme.name}` for the charts."))
    return blocks


# The monthly digest ------------------------------------------------------------------------------


def digest_key(programme_id: int, person_id: int, due: datetime) -> str:
    return f"digest:programme:{programme_id}:person:{person_id}:at:{due:%Y%m%dT%H%M}"


async def _digest_on(ctx: RequestContext, programme: Programme) -> None:
    """One due item per month ahead, each sent by the scheduler like any DM (quiet hours and all).
    Asking again starts the months afresh from now; an item dropped earlier under the same key is
    simply pending again."""
    await _digest_off(ctx, programme)
    ctx.uow.session.add(
        ReportDigest(
            programme_id=programme.id, person_id=ctx.person.id, next_at=ctx.now + DIGEST_EVERY, created_at=ctx.now
        )
    )
    dues = {
        digest_key(programme.id, ctx.person.id, due): due
        for due in (ctx.now + m * DIGEST_EVERY for m in range(1, DIGEST_MONTHS + 1))
    }
    earlier = {item.key: item for item in await ctx.uow.session.scalars(select(DueItem).where(DueItem.key.in_(dues)))}
    for key, due in dues.items():
        item = earlier.get(key) or DueItem(
            key=key,
            kind=DueKind.REPORT_DIGEST,
            workspace_id=ctx.workspace.id,
            person_id=ctx.person.id,
            payload={"programme_id": programme.id},
            created_at=ctx.now,
        )
        item.state, item.due_at, item.not_before, item.expires_at = DueState.PENDING, due, due, due + timedelta(days=7)
        item.attempts, item.last_error = 0, ""
        ctx.uow.session.add(item)
    await ctx.uow.flush()


async def _digest_off(ctx: RequestContext, programme: Programme) -> None:
    earlier = await ctx.uow.session.scalar(
        select(ReportDigest).where(ReportDigest.programme_id == programme.id, ReportDigest.person_id == ctx.person.id)
    )
    if earlier is not None:
        await ctx.uow.session.delete(earlier)
    await ctx.uow.session.execute(
        update(DueItem)
        .where(
            DueItem.kind == DueKind.REPORT_DIGEST,
            DueItem.person_id == ctx.person.id,
            DueItem.state == DueState.PENDING,
            DueItem.key.like(f"digest:programme:{programme.id}:person:{ctx.person.id}:%"),
        )
        .values(state=DueState.DROPPED, last_error="the lead turned the digest off")
        .execution_options(synchronize_session=False)
    )
    await ctx.uow.flush()


async def digest_messages(session: AsyncSession, items: list[DueItem]) -> dict[int, Message]:
    """What each due digest says, for the dispatcher: nothing for a digest turned off since, or for
    someone who no longer leads the programme (they would be told nothing on asking)."""
    messages: dict[int, Message] = {}
    for item in items:
        if item.kind != DueKind.REPORT_DIGEST or item.person_id is None:
            continue
        programme = await session.get(Programme, int(item.payload.get("programme_id", 0)))
        if programme is None or programme.lead_id != item.person_id:
            continue
        wanted = await session.scalar(
            select(ReportDigest.id).where(
                ReportDigest.programme_id == programme.id, ReportDigest.person_id == item.person_id
            )
        )
        if wanted is None:
            continue
        built = await programme_report(session, programme, item.person_id)
        text = summary(built, with_answers=False)
        messages[item.id] = Message(
            (
                *text.blocks,
                Text(f"Your monthly digest. `/circle report {programme.name}` sends the charts and the CSV."),
            ),
            f"Monthly digest: {text.summary}",
        )
    return messages


# The closing questions -------------------------------------------------------------------------


def evaluation_form(programme_id: int) -> Form:
    """Five inputs and no intro: a Discord modal holds five components in all. Their limits are the
    spec's (`core.commands.EVALUATION`), which also reads what comes back."""
    return Form(
        EVALUATION_FORM,
        "How was the programme?",
        tuple(as_input(p, **_LOOKS.get(p.name, {})) for p in EVALUATION.params),
        submit_label="Send",
        context=str(programme_id),
    )


_LOOKS: dict[str, dict[str, Any]] = {
    "usefulness": {"max_length": 1},
    "recommend": {"choices": (Choice("Yes", "yes"), Choice("No", "no"))},
    "applied": {
        "choices": tuple(Choice(a.value.capitalize(), a.value) for a in Applied),
        "initial": Applied.SOME.value,
    },
    "text": {"multiline": True},
    "share": {
        "choices": (Choice("No, keep them out", "no"), Choice("Yes, anonymously", "yes")),
        "initial": "no",
    },
}


async def _evaluable(ctx: RequestContext, name: str) -> Programme:
    """A programme the asker has been in a circle of; any other answers as if it did not exist."""
    programme = await _programme_of_mine(ctx, Programme.name == name)
    if programme is None:
        raise no_programme(name)
    return programme


async def evaluable_by_id(ctx: RequestContext, programme_id: int) -> Programme:
    """The close-out's *Give closing feedback* button: the same rule as `/circle evaluate`, by id."""
    programme = await _programme_of_mine(ctx, Programme.id == programme_id)
    if programme is None:
        raise NotFound("That programme is no longer open.")
    return programme


async def _programme_of_mine(ctx: RequestContext, which: ColumnElement[bool]) -> Programme | None:
    return await ctx.uow.session.scalar(
        select(Programme)
        .join(Circle, Circle.programme_id == Programme.id)
        .join(Membership, Membership.circle_id == Circle.id)
        .where(Programme.workspace_id == ctx.workspace.id, which, Membership.person_id == ctx.person.id)
        .limit(1)
    )


async def evaluate(ctx: RequestContext, req: Evaluate) -> Reply:
    programme = await _evaluable(ctx, req.programme)
    return Reply(message(f"A few closing questions about '{programme.name}'."), evaluation_form(programme.id))


async def submit_evaluation(ctx: RequestContext, req: Evaluation) -> Reply:
    programme = await ctx.uow.session.get(Programme, req.programme_id)
    if programme is None or programme.workspace_id != ctx.workspace.id:
        raise NotFound("That programme is no longer open.")
    await _evaluable(ctx, programme.name)
    entry = await ctx.uow.session.scalar(
        select(ProgrammeEvaluation).where(
            ProgrammeEvaluation.programme_id == programme.id, ProgrammeEvaluation.person_id == ctx.person.id
        )
    )
    if entry is None:
        entry = ProgrammeEvaluation(programme_id=programme.id, person_id=ctx.person.id, created_at=ctx.now)
        ctx.uow.session.add(entry)
    entry.usefulness = req.usefulness
    entry.would_recommend = req.recommend == "yes"
    entry.applied = Applied(req.applied)
    entry.text = req.text
    entry.share_with_lead = req.share == "yes"
    entry.updated_at = ctx.now
    shared = " Your words go to the lead anonymously." if entry.share_with_lead and entry.text else ""
    return Reply(message(f"Thank you: your answers about '{programme.name}' are in.{shared}"))
