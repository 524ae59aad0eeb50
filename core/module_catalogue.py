"""`/circle modules [CATEGORY|KEY]`: browse the topic modules by category, or show one in full.

Anyone may browse: the catalogue is the programme's library, not a circle's content.
"""

from __future__ import annotations

from core import views
from core.context import RequestContext
from core.errors import CircleError
from core.messages import Block, Heading, Message, Reply, Text
from core.requests import BrowseModules
from core.topic_modules import CATEGORIES, catalogue, titles

HOW_TO_USE = "Show one with /circle modules KEY; start a circle on it with /circle new NAME format=module module=KEY."


async def browse(ctx: RequestContext, req: BrowseModules) -> Reply:
    return Reply(modules_message(req.wanted))


def modules_message(wanted: str) -> Message:
    library = catalogue()
    if not wanted:
        blocks: list[Block] = [Heading("Topic modules")]
        blocks.extend(Text(f"*{CATEGORIES[c]}* ({c}): {titles(library.in_category(c))}") for c in library.categories)
        blocks.append(Text("Browse a category with /circle modules CATEGORY. " + HOW_TO_USE))
        return Message(tuple(blocks), "Topic modules")
    if wanted in CATEGORIES:
        found = library.in_category(wanted)
        if not found:
            raise CircleError(f"No modules in {CATEGORIES[wanted]} yet. See them all with /circle modules.")
        blocks = [Heading(CATEGORIES[wanted])]
        blocks.extend(Text(f"*{m.title}* ({m.key}): {m.summary}") for m in found)
        blocks.append(Text(HOW_TO_USE))
        return Message(tuple(blocks), f"Topic modules: {CATEGORIES[wanted]}")
    module = next((m for m in library.modules if m.key == wanted), None)
    if module is None:
        raise CircleError(
            f"There is no module or category called '{wanted[:60]}'. "
            f"Categories: {', '.join(library.categories)}. See them all with /circle modules."
        )
    shown = [Text(f"{module.category_title} · {module.key}"), *views.module_blocks(module.key)]
    shown.append(Text("Start a circle on it with /circle new NAME format=module module=" + module.key + "."))
    return Message(tuple(shown), module.title)
