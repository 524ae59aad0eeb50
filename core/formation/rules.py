"""What a programme lead asks of circle formation: hard rules and how much each wish weighs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import CircleError


@dataclass(frozen=True)
class Weights:
    """Objective weights, per pair of people in a circle. Forbidden pairs (manager, named person)
    are hard rules: the search weighs them (and repeats, under `no_repeats`) above anything a step
    can gain (`roster._penalties`); `forbidden` is only a floor for that weight."""

    department: float = 1.0  # penalty per pair from the same department
    level: float = 0.5  # penalty per pair, times the squared level difference
    topic: float = 0.3  # bonus per pair sharing a topic, per topic
    repeat: float = 4.0  # penalty per pair that sat together before
    forbidden: float = 1000.0


@dataclass(frozen=True)
class FormationRules:
    min_size: int = 5
    max_size: int = 7
    # A live meeting of one hour inside an 8-hour working day fits everyone when the circle's UTC
    # offsets lie within 7 hours; 6 leaves an hour of slack.
    max_timezone_spread: float = 6.0
    weights: Weights = Weights()
    # Pairs who sat together before (the `past_circles` the lead gave, e.g. the last N programmes)
    # are a hard rule rather than a penalty: kept apart whenever some partition does.
    no_repeats: bool = False

    def __post_init__(self) -> None:
        if not 2 <= self.min_size <= self.max_size:
            raise CircleError("Circle sizes must satisfy 2 ≤ smallest ≤ largest, e.g. --size 5-7.")
        if not 0 <= self.max_timezone_spread <= 24:
            raise CircleError("The time-zone spread must be between 0 and 24 hours.")

    @property
    def target_size(self) -> float:
        return (self.min_size + self.max_size) / 2


def parse_size(text: str) -> tuple[int, int]:
    """'5-7' or '6' → bounds; the CLI's --size."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:[-–]\s*(\d+))?\s*", text)
    if match is None:
        raise CircleError(f"--size must look like 5-7 or 6, not '{text}'.")
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if not 2 <= low <= high:
        raise CircleError(f"--size {text}: need 2 ≤ smallest ≤ largest.")
    return low, high


def circle_count_range(people: int, min_size: int, max_size: int) -> range:
    """Numbers of circles m with m·min ≤ people ≤ m·max (empty when none works)."""
    smallest = -(-people // max_size)
    largest = people // min_size
    return range(smallest, largest + 1) if smallest <= largest else range(0)
