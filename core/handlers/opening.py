"""Buttons that open a form: each checks the person may act on what the form is about, and fills
it in from what is known."""

from __future__ import annotations

from core import forms, meeting, views
from core.context import RequestContext
from core.errors import CircleError, NotFound
from core.forms import FormId
from core.handlers.commitments import my_commitment
from core.handlers.home import my_open_commitments
from core.handlers.meetings import meeting_scene, round_scene
from core.handlers.replies import handles
from core.messages import Reply, message
from core.report import command as report_command
from core.requests import OpenForm


@handles(OpenForm)
async def open_form(ctx: RequestContext, req: OpenForm) -> Reply:
    meeting_id, round_id = req.target.meeting, req.target.round
    if req.form == FormId.BID and meeting_id is not None:
        scene = await meeting_scene(ctx, meeting_id)
        return Reply(message("Opening the bid form."), forms.bid_form(scene.meeting.id))
    if req.form == FormId.CHECK_IN and meeting_id is not None:
        scene = await meeting_scene(ctx, meeting_id)
        intro = views.form_intro(await my_open_commitments(ctx, scene.circle.id))
        return Reply(message("Opening the check-in form."), forms.check_in_form(scene.meeting.id, intro))
    if req.form == FormId.FEEDBACK and meeting_id is not None:
        scene = await meeting_scene(ctx, meeting_id, ended_ok=True)
        return Reply(message("Opening the feedback form."), forms.feedback_form(scene.meeting.id))
    if req.form == FormId.CONTRIBUTE and round_id is not None:
        scene, round_ = await round_scene(ctx, round_id)
        kinds = scene.fmt.phase(round_.phase).kinds
        if not kinds:
            raise CircleError("This phase is for the issue holder's commitments.")
        return Reply(message("Opening the form."), forms.contribute_form(round_.id, kinds))
    if req.form == FormId.COMMIT and round_id is not None:
        scene, round_ = await round_scene(ctx, round_id)
        meeting.commitment_round(scene, ctx.person)
        return Reply(message("Opening the form."), forms.commit_form(round_.id))
    if req.form == FormId.COMMITMENT_NOTE and req.commitment is not None:
        commitment = await my_commitment(ctx, req.commitment)
        return Reply(message("Opening the form."), forms.commitment_note_form(commitment.id))
    if req.form == report_command.EVALUATION_FORM and req.programme is not None:
        programme = await report_command.evaluable_by_id(ctx, req.programme)
        return Reply(
            message(f"A few closing questions about '{programme.name}'."), report_command.evaluation_form(programme.id)
        )
    raise NotFound("That button is no longer in use.")
