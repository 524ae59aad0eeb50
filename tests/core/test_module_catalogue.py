"""The topic-module catalogue: every shipped module loads whole, `/circle modules` browses them by
category and shows one, and a broken module file is left out and named."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.service import CircleService
from core.topic_modules import CATEGORIES, BrokenModule, catalogue, load_module, module_keys
from tests.fakes.members import cast

GOOD = """category = "delegation"
title = "A test module"
summary = "Why it matters."
material = ["One paragraph."]
exercises = ["One thing to try."]
reflection_questions = ["One question?"]
"""


def test_the_shipped_library_loads_whole_across_categories() -> None:
    library = catalogue()
    assert library.broken == ()
    assert len(library.modules) >= 8
    assert len(library.categories) >= 4
    for module in library.modules:
        assert module.category in CATEGORIES
        assert module.material
        assert module.exercises
        assert module.reflection_questions


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("title = [", "is not valid TOML"),
        (GOOD.replace('category = "delegation"', 'category = "astrology"'), "unknown category 'astrology'"),
        (GOOD.replace("exercises", "excercises"), "unknown field 'excercises'"),
        (GOOD.replace('material = ["One paragraph."]', "material = []"), "'material' must be a non-empty list"),
        (GOOD.replace('title = "A test module"', 'title = ""'), "'title' must be a non-empty string"),
        (GOOD.replace('reflection_questions = ["One question?"]', "reflection_questions = [3]"), "non-empty strings"),
    ],
)
def test_a_broken_module_is_named_clearly(tmp_path: Path, text: str, named: str) -> None:
    (tmp_path / "fine.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "broken.toml").write_text(text, encoding="utf-8")
    assert module_keys(tmp_path) == ["broken", "fine"]
    with pytest.raises(BrokenModule) as raised:
        load_module("broken", tmp_path)
    assert raised.value.message.startswith("Module 'broken' (broken.toml)")
    assert named in raised.value.message
    library = catalogue(tmp_path)
    assert [m.key for m in library.modules] == ["fine"]  # the rest of the library still shows
    assert len(library.broken) == 1
    assert "broken.toml" in library.broken[0]


async def test_modules_are_browsed_by_category_and_shown_one_at_a_time(service: CircleService) -> None:
    someone = cast(service, 1)[0]
    everything = await someone.says("/circle modules")
    assert "*Leading change* (leading-change): Leading a change people can own (leading-change)" in everything
    assert "Wellbeing and workload" in everything
    category = await someone.says("/circle modules giving-feedback")
    assert "*Giving feedback people can use* (giving-feedback): Feedback that describes" in category
    assert "*Feedback to your manager* (feedback-upward)" in category
    assert "Influence without authority" not in category
    one = await someone.says("/circle modules influence-without-authority")
    assert one.startswith("Influencing without authority · influence-without-authority\nInfluence without authority")
    assert "Try this" in one
    assert "Reflect" in one
    assert "module=influence-without-authority" in one
    unknown = await someone.says("/circle modules knitting")
    assert "no module or category called 'knitting'" in unknown
    assert "leading-change" in unknown
    assert "is set up" in await someone.says("/circle new change-circle format=module module=leading-change")
