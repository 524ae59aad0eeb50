"""Topic modules for module-based circles: data files in this folder, described in its README.

A module is checked whole when it is loaded (every field present and of its kind, no unknown field,
a known category), so a typo in a file is named with the file and the field instead of showing up
half-rendered in a meeting. The catalogue lists the modules that load and names the ones that don't.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable

from core.errors import CircleError

log = logging.getLogger(__name__)

_TEXTS = ("category", "title", "summary")
_LISTS = ("material", "exercises", "reflection_questions")
DEFAULT_MODULE = "delegation"

CATEGORIES: dict[str, str] = {
    "delegation": "Delegation",
    "giving-feedback": "Giving feedback",
    "difficult-conversations": "Difficult conversations",
    "leading-change": "Leading change",
    "priorities-and-time": "Priorities and time",
    "coaching-your-team": "Coaching your team",
    "influencing-without-authority": "Influencing without authority",
    "wellbeing-and-workload": "Wellbeing and workload",
}


@dataclass(frozen=True)
class TopicModule:
    key: str
    category: str
    title: str
    summary: str
    material: tuple[str, ...]
    exercises: tuple[str, ...]
    reflection_questions: tuple[str, ...]

    @property
    def category_title(self) -> str:
        return CATEGORIES[self.category]


class BrokenModule(CircleError):
    """A module file that does not follow the README's format; the message names the file and why."""


def parse_module(key: str, text: str) -> TopicModule:
    where = f"Module '{key}' ({key}.toml)"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BrokenModule(f"{where} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - {*_TEXTS, *_LISTS})
    if unknown:
        raise BrokenModule(f"{where}: unknown field '{unknown[0]}'. Fields: {', '.join((*_TEXTS, *_LISTS))}.")
    for name in _TEXTS:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise BrokenModule(f"{where}: '{name}' must be a non-empty string.")
    for name in _LISTS:
        value = data.get(name)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise BrokenModule(f"{where}: '{name}' must be a non-empty list of non-empty strings.")
    if data["category"] not in CATEGORIES:
        raise BrokenModule(f"{where}: unknown category '{data['category']}'. Categories: {', '.join(CATEGORIES)}.")
    return TopicModule(
        key=key,
        category=data["category"],
        title=data["title"],
        summary=data["summary"],
        material=tuple(data["material"]),
        exercises=tuple(data["exercises"]),
        reflection_questions=tuple(data["reflection_questions"]),
    )


def _folder() -> Traversable:
    return resources.files(__name__)


def module_keys(folder: Traversable | None = None) -> list[str]:
    found = (folder or _folder()).iterdir()
    return sorted(p.name.removesuffix(".toml") for p in found if p.name.endswith(".toml"))


def load_module(key: str, folder: Traversable | None = None) -> TopicModule:
    folder = folder or _folder()
    keys = module_keys(folder)
    if key not in keys:
        raise CircleError(f"There is no module called '{key[:60]}'. Modules: {', '.join(keys)}.")
    return parse_module(key, folder.joinpath(f"{key}.toml").read_text("utf-8"))


@dataclass(frozen=True)
class Catalogue:
    modules: tuple[TopicModule, ...]
    broken: tuple[str, ...]  # what is wrong with each file that did not load

    def in_category(self, category: str) -> list[TopicModule]:
        return [m for m in self.modules if m.category == category]

    @property
    def categories(self) -> list[str]:
        present = {m.category for m in self.modules}
        return [c for c in CATEGORIES if c in present]


def catalogue(folder: Traversable | None = None) -> Catalogue:
    """Every module, loaded and checked; a broken file is left out and named (and logged) once here."""
    modules: list[TopicModule] = []
    broken: list[str] = []
    for key in module_keys(folder):
        try:
            modules.append(load_module(key, folder))
        except BrokenModule as error:
            log.warning("%s", error.message)
            broken.append(error.message)
    return Catalogue(tuple(modules), tuple(broken))


def titles(modules: Iterable[TopicModule]) -> str:
    return ", ".join(f"{m.title} ({m.key})" for m in modules)
