"""`/circle forget-me`: after a confirmation that says what will happen, the person's words are erased
from every table, their personal fields cleared and their memberships ended. Rows the circles' history
counts on (a meeting's check-ins, a round) stay, blank and attributed to "a former member". The bot's
own messages that quoted them are edited on the platform (and the playground's history file).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Table, Text, delete, update

from core import meeting
from core.context import NOT_YOURS, RequestContext
from core.effects import RedactQuotes, RemoveFromSpace
from core.errors import NotFound
from core.messages import Actions, Button, ButtonStyle, Message, Reply, message
from core.messages import Text as TextBlock
from core.models import Base, DueItem, Invitation, Membership, ProgrammeSignUp
from core.requests import ForgetMe

CONFIRM_ERASE = "data.erase"
FORMER_MEMBER = "a former member"
ERASED = "(This message quoted a former member, whose words were erased at their request.)"
# Columns that name the person whose words a row holds (others, like a circle's creator, only point at them).
AUTHOR_COLUMNS = ("person_id", "issue_holder_id")
REMOVED_ROWS = (ProgrammeSignUp, Invitation, DueItem)


@runtime_checkable
class ForgetsAuthors(Protocol):
    """Optional: a platform where the bot keeps people's own messages (the playground's history file)."""

    async def forget_author(self, user_id: str) -> None: ...


async def forget_me(ctx: RequestContext, req: ForgetMe) -> Reply:
    del req
    return Reply(
        Message(
            (
                TextBlock(
                    "This erases what you wrote in every circle (check-ins, bids, contributions, commitments and "
                    "their updates, feedback, sign-ups), clears your name, time zone and settings, and takes you out "
                    "of every circle. Messages I posted quoting you are edited to say your words were erased. "
                    'Circles keep only counts, attributed to "a former member". It cannot be undone.'
                ),
                Actions((Button("Erase my data", CONFIRM_ERASE, str(ctx.person.id), ButtonStyle.DANGER),)),
            ),
            "Erase your data?",
        )
    )


async def confirmed(ctx: RequestContext, person_id: int) -> Reply:
    person = ctx.person
    if person_id != person.id:
        raise NotFound(NOT_YOURS)
    session = ctx.uow.session
    for circle in await ctx.my_circles():
        ctx.uow.emit(RemoveFromSpace(circle.id, person.id))
    ctx.uow.emit(RedactQuotes(person.id, person.external_id))
    for table in Base.metadata.sorted_tables:
        await _blank_words(ctx, table, person.id)
    for model in REMOVED_ROWS:
        await session.execute(delete(model).where(model.person_id == person.id))  # type: ignore[attr-defined]
    await session.execute(
        update(Membership)
        .where(Membership.person_id == person.id, Membership.left_at.is_(None))
        .values(left_at=ctx.now)
    )
    await meeting.reassign_all(ctx.uow, await ctx.my_circles())
    person.display_name, person.external_id = FORMER_MEMBER, f"erased:{person.id}"
    person.timezone = person.department = person.level = person.nudges_paused_until = None  # type: ignore[assignment]
    person.nudges_enabled = False
    await ctx.uow.flush()
    return Reply(message("Done: your words are erased and you have left every circle. Thank you for taking part."))


async def _blank_words(ctx: RequestContext, table: Table, person_id: int) -> None:
    authors = [c for c in table.columns if c.name in AUTHOR_COLUMNS and c.foreign_keys]
    words = {c.name: "" for c in table.columns if isinstance(c.type, Text)}
    for column in authors:
        if words:
            statement: Any = update(table).where(column == person_id).values(**words)
            await ctx.uow.session.execute(statement)
