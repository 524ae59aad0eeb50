"""Formation against an exact search: on rosters small enough to enumerate every partition, the
tool widens no more circles than it must, by no more than it must, and breaks no manager,
named-person or (asked-for) repeat rule that some partition keeps together with the time-zone
rule. The rules take precedence in that order: a meeting everyone can attend first, then who sits
with whom. Facilitators are left out: their spread holds by construction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.formation.checks import hard_rule_violations
from core.formation.roster import form_circles
from core.formation.rules import FormationRules
from core.formation.signups import SignUp
from core.formation.zones import circular_spread

ZONES = [
    "UTC",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "America/New_York",
    "Pacific/Auckland",
    "Pacific/Pago_Pago",
]


@st.composite
def rosters(draw: st.DrawFn) -> list[SignUp]:
    n = draw(st.integers(3, 9))
    zones = draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=4, unique=True))
    ids = st.integers(0, n - 1).map(lambda k: f"p{k}")
    return [
        SignUp(
            id=f"p{i}",
            name=f"P{i}",
            department=draw(st.sampled_from(["Eng", "Sales", "HR"])),
            level=draw(st.integers(1, 4)),
            timezone=draw(st.sampled_from(zones)),
            manager_id=draw(st.one_of(st.none(), st.none(), ids)),
            avoid=frozenset(draw(st.lists(ids, max_size=1))),
            past_circles=frozenset(draw(st.lists(st.sampled_from(["x", "y"]), max_size=1))),
        )
        for i in range(n)
    ]


def partitions(people: list[int], low: int, high: int) -> Iterator[list[list[int]]]:
    """Every split of `people` into blocks of low..high (the first person's block chosen first)."""
    if not people:
        yield []
        return
    first, rest = people[0], people[1:]
    for size in range(low, min(high, len(people)) + 1):
        for others in combinations(rest, size - 1):
            remaining = [p for p in rest if p not in others]
            for tail in partitions(remaining, low, high):
                yield [[first, *others], *tail]


def size_options(n: int, low: int, high: int) -> list[tuple[int, int]]:
    """The asked bounds if any split fits them, else every least relaxation (written out here
    again, apart from the tool's own)."""

    def fits(a: int, b: int) -> bool:
        return any(a * m <= n <= b * m for m in range(1, n + 1))

    if fits(low, high):
        return [(low, high)]
    top = max(high, n)
    cost = {(a, b): abs(low - a) + abs(b - high) for a in range(2, top + 1) for b in range(a, top + 1) if fits(a, b)}
    least = min(cost.values())
    return [option for option, c in cost.items() if c == least]


@dataclass(frozen=True)
class Breaks:
    widened: int
    widest: float
    pairs: int
    repeats: int


def breaks(circles: list[list[SignUp]], spread: float) -> Breaks:
    widths = [circular_spread([m.utc_offset for m in c]) for c in circles]
    wide = [w for w in widths if w > spread + 1e-9]
    pairs = repeats = 0
    for circle in circles:
        for a, b in combinations(circle, 2):
            pairs += (a.manager_id == b.id) + (b.manager_id == a.id) + (b.id in a.avoid) + (a.id in b.avoid)
            repeats += bool(a.past_circles & b.past_circles)
    return Breaks(len(wide), max(wide, default=0.0), pairs, repeats)


def _people(*rows: tuple[str, str | None], avoiding: dict[str, str] | None = None) -> list[SignUp]:
    """A roster of one department and level, by (time zone, manager id) per person and who
    avoids whom, for the counterexamples pinned below."""
    avoiding = avoiding or {}
    return [
        SignUp(
            id=f"p{i}",
            name=f"P{i}",
            department="Eng",
            level=1,
            timezone=zone,
            manager_id=manager,
            avoid=frozenset([avoiding[f"p{i}"]] if f"p{i}" in avoiding else []),
        )
        for i, (zone, manager) in enumerate(rows)
    ]


# derandomize: a fresh clone (or a CI runner without the example database) checks the same 60
# rosters every time, so a new random counterexample cannot turn an unrelated change red; the
# ones found by wider local runs are pinned as examples.
@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    roster=rosters(),
    low=st.integers(2, 4),
    extra=st.integers(0, 2),
    spread=st.sampled_from([0.0, 3.0, 6.0]),
    no_repeats=st.booleans(),
    seed=st.integers(0, 100),
)
# The manager pair (P2 in Tokyo, P0 in Berlin) must not share the one circle widened to 9 h:
# {NY, NY, Berlin} at 6 h and {UTC, UTC, Tokyo} at 9 h widen as little, with no pair.
@example(
    roster=_people(
        ("Europe/Berlin", None), ("UTC", None), ("Asia/Tokyo", "p0"), ("UTC", None), ("UTC", None),
        ("UTC", None), ("UTC", None), ("America/New_York", None), ("America/New_York", None),
    ),
    low=3, extra=0, spread=0.0, no_repeats=False, seed=0,
)  # fmt: skip
# Likewise P7 in Tokyo with their manager P0 in Kolkata: the plan's 8 h circle held both, while
# {Kolkata, UTC ×3} at 5.5 h and {Kolkata, Berlin ×2, Tokyo} at 8 h widen as little with no pair.
@example(
    roster=_people(
        ("Asia/Kolkata", None), ("Asia/Kolkata", None), ("UTC", None), ("UTC", None), ("UTC", None),
        ("Europe/Berlin", None), ("Europe/Berlin", None), ("Asia/Tokyo", "p0"),
    ),
    low=3, extra=1, spread=0.0, no_repeats=False, seed=0,
)  # fmt: skip
# Auckland's P0 manages both Berlin P5 and P6, and New York P4 avoids P0: {Berlin, Kolkata ×2,
# Auckland} at 12 h only exists on a cut of the clock between Auckland and New York, not at the
# widest gap (after Kolkata), where Auckland's 12 h circle must take New York.
@example(
    roster=_people(
        ("Pacific/Auckland", None), ("Europe/Berlin", None), ("Asia/Kolkata", None), ("America/New_York", None),
        ("America/New_York", None), ("Europe/Berlin", "p0"), ("Europe/Berlin", "p0"), ("Asia/Kolkata", None),
        avoiding={"p4": "p0"},
    ),
    low=3, extra=1, spread=0.0, no_repeats=False, seed=0,
)  # fmt: skip
def test_no_rule_is_broken_that_some_partition_keeps(
    roster: list[SignUp], low: int, extra: int, spread: float, no_repeats: bool, seed: int
) -> None:
    rules = FormationRules(min_size=low, max_size=low + extra, max_timezone_spread=spread, no_repeats=no_repeats)
    result = form_circles(roster, rules, seed=seed, max_steps=20_000)
    got = breaks([list(c.members) for c in result.circles], spread)
    options = size_options(len(roster), low, low + extra)
    everyone = list(range(len(roster)))
    exact = [
        breaks([[roster[i] for i in block] for block in split], spread)
        for a, b in options
        for split in partitions(everyone, a, b)
    ]
    assert result.size_bounds in options
    least = min((e.widened, e.widest) for e in exact)
    assert (got.widened, got.widest) == least  # never a circle widened, or widened more, than needed
    tied = [e for e in exact if (e.widened, e.widest) == least]
    if any(e.pairs == 0 for e in tied):
        assert got.pairs == 0
    if no_repeats and any(e.pairs == 0 and e.repeats == 0 for e in tied) and got.pairs == 0:
        assert got.repeats == 0
    assert result.relaxed_circles == got.widened
    assert hard_rule_violations(result, roster) == []
