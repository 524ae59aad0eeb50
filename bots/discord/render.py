"""Core messages and forms as Discord content, embeds, buttons and modals.

Member text is never trusted: mass mentions are broken up here, and every send also carries
`AllowedMentions.none()`, so `@everyone`, `@here`, role or user mentions in it notify nobody.
Buttons carry `action|value|guild` as their custom id: the guild lets a button pressed in a DM
find its workspace, and the id alone is enough to answer the press after a restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import discord

from core.handlers import field_label
from core.messages import (
    Actions,
    ButtonStyle,
    Fields,
    Form,
    Heading,
    Input,
    Message,
    Moment,
    Quote,
    Text,
    render_moments,
    without_moments,
)

CONTENT_LIMIT = 2000
EMBED_LIMIT = 4096
EMBEDS_TOTAL = 6000  # characters across all of a message's embeds
MAX_EMBEDS = 10
ACTION_ROWS = 5
CONTINUED = "\n*(continued in the next message)*"
SHORTENED = "\n*(shortened: too long for one Discord message; see /circle status)*"
BUTTONS_PER_ROW = 5
MAX_BUTTONS = 25
MODAL_INPUTS = 5
LABEL_LIMIT = 45
PLACEHOLDER_LIMIT = 100
TEXT_DISPLAY_LIMIT = 4000
CUSTOM_ID_LIMIT = 100

BUTTON_TEMPLATE = r"(?P<action>[a-z_]+\.[a-z_]+)\|(?P<value>[^|]*)\|(?P<guild>[0-9]*)"
FORM_PREFIX = "form"

_STYLES = {
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
    ButtonStyle.DEFAULT: discord.ButtonStyle.secondary,
}
_MASS_MENTION = re.compile(r"@(everyone|here)")
_ROLE_PING = re.compile(r"<@&(\d+)>")


def safe(text: str) -> str:
    """Member (or member-named) text that cannot ping anyone even if allowed_mentions were lost."""
    text = _MASS_MENTION.sub("@\u200b\\1", text)
    return _ROLE_PING.sub("<@&\u200b\\1>", text)


@dataclass(frozen=True)
class Rendered:
    content: str
    embeds: list[discord.Embed] = field(default_factory=list)
    buttons: list[tuple[str, str, discord.ButtonStyle]] = field(default_factory=list)  # label, custom id, style

    def view(self) -> discord.ui.View | None:
        """A persistent view (no timeout): the dynamic button answers whatever the process."""
        if not self.buttons:
            return None
        from bots.discord.client import CircleButton

        view = discord.ui.View(timeout=None)
        for index, (label, custom_id, style) in enumerate(self.buttons):
            view.add_item(CircleButton.make(label, custom_id, style, row=index // BUTTONS_PER_ROW))
        return view


def button_id(action_id: str, value: str, guild_id: int | None) -> str:
    custom_id = f"{action_id}|{value}|{guild_id or ''}"
    if len(custom_id) > CUSTOM_ID_LIMIT:
        raise ValueError(f"custom id too long: {custom_id[:40]}…")
    return custom_id


def render(message: Message, guild_id: int | None = None) -> Rendered:
    """One Discord message (an edit, a private notice): what does not fit is cut, saying so."""
    text, buttons = _text_and_buttons(message, guild_id)
    content, rest = _cut(text, CONTENT_LIMIT)
    embeds, rest = _embeds(rest, len(SHORTENED))
    if rest:
        if embeds:
            embeds[-1].description = (embeds[-1].description or "") + SHORTENED
        else:
            content = _cut(content, CONTENT_LIMIT - len(SHORTENED))[0] + SHORTENED
    return Rendered(content or "\u200b", embeds, buttons)


def render_parts(message: Message, guild_id: int | None = None) -> list[Rendered]:
    """The message as one or more Discord messages within every limit (2,000 content characters,
    4,096 per embed, 6,000 across embeds, 10 embeds, 5 rows of buttons), in order; each part but the
    last says the message goes on, and the buttons ride on the last."""
    text, buttons = _text_and_buttons(message, guild_id)
    parts: list[Rendered] = []
    rest = text
    while True:
        content, rest = _cut(rest, CONTENT_LIMIT - len(CONTINUED)) if len(rest) > CONTENT_LIMIT else (rest, "")
        embeds, rest = _embeds(rest, len(CONTINUED))
        if not rest:
            parts.append(Rendered(content or "\u200b", embeds, buttons))
            return parts
        if embeds:
            embeds[-1].description = (embeds[-1].description or "") + CONTINUED
        else:
            content += CONTINUED
        parts.append(Rendered(content, embeds))


def _embeds(text: str, note: int) -> tuple[list[discord.Embed], str]:
    """As much of `text` as a message's embeds hold, with room left for a note of `note` characters."""
    embeds: list[discord.Embed] = []
    budget = EMBEDS_TOTAL - note
    rest = text
    while rest and len(embeds) < MAX_EMBEDS and budget > 100:
        chunk, after = _cut(rest, min(EMBED_LIMIT - note, budget))
        embeds.append(discord.Embed(description=chunk))
        budget -= len(chunk)
        rest = after
    return embeds, rest


def _text_and_buttons(message: Message, guild_id: int | None) -> tuple[str, list[tuple[str, str, discord.ButtonStyle]]]:
    lines: list[str] = []
    buttons: list[tuple[str, str, discord.ButtonStyle]] = []
    for block in message.blocks:
        match block:
            case Heading(text=text):
                lines.append(f"## {safe(text)}")
            case Text(text=text):
                lines.append(safe(text))
            case Fields(pairs=pairs):
                lines.extend(f"**{safe(key)}**: {safe(value)}" for key, value in pairs)
            case Quote(author=author, text=text):
                quoted = "\n".join(f"> {line}" if line else ">" for line in safe(text).splitlines() or [""])
                lines.append(f"**{safe(author)}**\n{quoted}")
            case Actions(buttons=actions):
                buttons.extend(
                    (b.label[:80], button_id(b.action_id, b.value, guild_id), _STYLES[b.style]) for b in actions
                )
    text = render_moments("\n".join(lines), discord_timestamp)  # before splitting: a cut never halves a marker
    return text or safe(without_moments(message.summary)) or "\u200b", buttons[
        : min(MAX_BUTTONS, ACTION_ROWS * BUTTONS_PER_ROW)
    ]


def discord_timestamp(moment: Moment) -> str:
    """Discord shows `<t:…>` in each reader's own zone."""
    return f"<t:{moment.unix}:{moment.style.value}>"


def _cut(text: str, limit: int) -> tuple[str, str]:
    if len(text) <= limit:
        return text, ""
    at = text.rfind("\n", 0, limit)
    at = at if at > limit // 2 else limit
    marker = text.rfind("<t:", 0, at)
    if marker != -1 and text.find(">", marker) >= at:  # never halve a time marker
        at = marker
    return text[:at], text[at:].lstrip("\n")


# Forms ---------------------------------------------------------------------------------------


def form_id(form: Form, guild_id: int | None) -> str:
    return f"{FORM_PREFIX}|{form.form_id}|{form.context}|{guild_id or ''}"[:CUSTOM_ID_LIMIT]


def parse_form_id(custom_id: str) -> tuple[str, str, int | None] | None:
    """(form id, context, guild id) from a modal's custom id; None when it is not one of ours."""
    prefix, _, rest = custom_id.partition("|")
    if prefix != FORM_PREFIX or rest.count("|") != 2:
        return None
    name, context, guild = rest.split("|")
    return name, context, int(guild) if guild.isdigit() else None


def modal(form: Form, guild_id: int | None) -> discord.ui.Modal:
    """Labelled inputs; a choice is a select, whose value core still validates like any other."""
    built = discord.ui.Modal(title=form.title[:LABEL_LIMIT], custom_id=form_id(form, guild_id), timeout=None)
    room = MODAL_INPUTS
    if form.intro:
        built.add_item(discord.ui.TextDisplay(render_moments(form.intro, discord_timestamp)[:TEXT_DISPLAY_LIMIT]))
        room -= 1
    for field_ in form.inputs[:room]:
        built.add_item(discord.ui.Label(text=field_.label[:LABEL_LIMIT], component=_component(field_)))
    return built


def _component(field_: Input) -> discord.ui.Item[discord.ui.View]:
    if field_.choices:
        return discord.ui.Select(
            custom_id=field_.name,
            options=[
                discord.SelectOption(label=c.label[:100], value=c.value[:100], default=c.value == field_.initial)
                for c in field_.choices[:25]
            ],
            min_values=1 if field_.required else 0,
            max_values=1,
            required=field_.required,
        )
    placeholder = _placeholder(field_)
    return discord.ui.TextInput(
        custom_id=field_.name,
        style=discord.TextStyle.paragraph if field_.multiline else discord.TextStyle.short,
        required=field_.required,
        max_length=min(field_.max_length, 4000),
        min_length=field_.min_length or None,
        placeholder=placeholder[:PLACEHOLDER_LIMIT] or None,
        default=field_.initial or None,
    )


def _placeholder(field_: Input) -> str:
    if field_.integer_range is not None:
        low, high = field_.integer_range
        return f"A number from {low} to {high}"
    return field_.placeholder


def modal_values(components: list[dict[str, object]]) -> dict[str, str]:
    """Input name → value from a modal submit's components (action rows or labels; text or select)."""
    values: dict[str, str] = {}
    stack: list[object] = list(components)
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        if "custom_id" in item and "value" in item:
            values[str(item["custom_id"])] = str(item["value"] or "")
        elif "custom_id" in item and isinstance(item.get("values"), list):
            chosen = item["values"]
            values[str(item["custom_id"])] = str(chosen[0]) if chosen else ""
        stack.extend(item.get("components", []) or [])
        if "component" in item:
            stack.append(item["component"])
    return values


def form_errors(form_title: str, errors: dict[str, str], values: dict[str, str]) -> Message:
    """Discord cannot reopen a modal from its own submit: the errors, and what they wrote, to copy back."""
    lines = [f"*{form_title}* needs another look:"]
    lines.extend(f"• {field_label(form_title, name)}: {error}" for name, error in errors.items())
    kept = [Quote(field_label(form_title, name), value) for name, value in values.items() if value.strip()]
    return Message((Text("\n".join(lines)), *kept), "Please check the form")
