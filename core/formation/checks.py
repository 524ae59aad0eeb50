"""Independent check of the hard rules on a finished formation: the tests and the benchmark use
it so a bug in the search's bookkeeping cannot hide behind that same bookkeeping."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

from core.formation.roster import FormationResult
from core.formation.signups import SignUp
from core.formation.zones import circular_spread


def hard_rule_violations(result: FormationResult, signups: list[SignUp]) -> list[str]:
    """Every broken hard rule not owned up to by a relaxation, in words; empty when all hold."""
    relaxed = {relaxation.rule for relaxation in result.relaxations}
    owned = Counter((r.rule, r.circle) for r in result.relaxations)
    problems = _coverage(result, signups)
    problems += _sizes(result, relaxed)
    problems += _spread(result, owned)
    problems += _pairs(result, owned)
    problems += _facilitators(result)
    return problems


def _coverage(result: FormationResult, signups: list[SignUp]) -> list[str]:
    placed = Counter(member.id for circle in result.circles for member in circle.members)
    wanted = Counter(signup.id for signup in signups)
    return [] if placed == wanted else ["not everyone is placed exactly once"]


def _sizes(result: FormationResult, relaxed: set[str]) -> list[str]:
    if "circle size" in relaxed:
        return []
    low, high = result.rules.min_size, result.rules.max_size
    return [
        f"circle {c.number} has {len(c.members)} people" for c in result.circles if not low <= len(c.members) <= high
    ]


def _spread(result: FormationResult, owned: Counter[tuple[str, int | None]]) -> list[str]:
    """Every circle within the asked spread, unless a relaxation names that very circle."""
    limit = result.rules.max_timezone_spread
    return [
        f"circle {c.number} spans {c.score.timezone_spread} h"
        for c in result.circles
        if circular_spread([m.utc_offset for m in c.members]) > limit + 1e-9
        and not owned[("time-zone spread", c.number)]
    ]


def _pairs(result: FormationResult, owned: Counter[tuple[str, int | None]]) -> list[str]:
    """Each manager, named-person and (under no_repeats) repeat pair inside a circle needs a
    relaxation of its own for that circle."""
    problems = []
    for circle in result.circles:
        ids = {m.id for m in circle.members}
        found: Counter[str] = Counter()
        for member in circle.members:
            if member.manager_id in ids and member.manager_id != member.id:
                found["never with one's manager"] += 1
            found["named person"] += len((member.avoid & ids) - {member.id})
        if result.rules.no_repeats:
            found["no repeats"] += sum(1 for a, b in combinations(circle.members, 2) if a.past_circles & b.past_circles)
        for rule, count in found.items():
            if count > owned[(rule, circle.number)]:
                problems.append(
                    f"circle {circle.number} breaks '{rule}' {count} times, owned up to {owned[(rule, circle.number)]}"
                )
    return problems


def _facilitators(result: FormationResult) -> list[str]:
    """Within a time-zone window, facilitator counts per circle differ by at most one (so one per
    circle whenever there are enough of them)."""
    per_window: dict[int, list[int]] = {}
    for circle in result.circles:
        per_window.setdefault(circle.window, []).append(len(circle.facilitators))
    return [
        f"facilitators are bunched in time-zone window {window}: {counts}"
        for window, counts in per_window.items()
        if max(counts) - min(counts) > 1
    ]
