"""Topic modules for module-based circles: data files in this folder, described in its README."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from core.errors import CircleError

_FIELDS = ("title", "summary", "material", "exercises", "reflection_questions")


@dataclass(frozen=True)
class TopicModule:
    key: str
    title: str
    summary: str
    material: tuple[str, ...]
    exercises: tuple[str, ...]
    reflection_questions: tuple[str, ...]


def parse_module(key: str, text: str) -> TopicModule:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CircleError(f"Module '{key}' is not valid TOML: {error}") from None
    for name in _FIELDS:
        value = data.get(name)
        if name in ("title", "summary"):
            if not isinstance(value, str) or not value.strip():
                raise CircleError(f"Module '{key}': '{name}' must be a non-empty string.")
        elif not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise CircleError(f"Module '{key}': '{name}' must be a non-empty list of strings.")
    return TopicModule(
        key=key,
        title=data["title"],
        summary=data["summary"],
        material=tuple(data["material"]),
        exercises=tuple(data["exercises"]),
        reflection_questions=tuple(data["reflection_questions"]),
    )


def module_keys() -> list[str]:
    folder = resources.files(__name__)
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_module(key: str) -> TopicModule:
    if key not in module_keys():
        raise CircleError(f"There is no module called '{key}'. Modules: {', '.join(module_keys())}.")
    return parse_module(key, resources.files(__name__).joinpath(f"{key}.toml").read_text("utf-8"))
