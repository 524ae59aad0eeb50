"""Circle formation on rosters: hard rules hold on random rosters, a seed repeats, and rosters
that cannot meet the rules get an explanation and the best relaxation instead of a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import CircleError
from core.formation.checks import hard_rule_violations
from core.formation.roster import form_circles
from core.formation.rules import FormationRules
from core.formation.signups import SignUp
from tests.core.formation.conftest import person

ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Pacific/Auckland",
    "Pacific/Pago_Pago",
]


@st.composite
def rosters(draw: st.DrawFn) -> list[SignUp]:
    n = draw(st.integers(2, 60))
    zones = draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True))
    people = []
    for i in range(n):
        people.append(
            SignUp(
                id=f"p{i}",
                name=f"P{i}",
                department=draw(st.sampled_from(["Eng", "Sales", "HR", "Ops", ""])),
                level=draw(st.one_of(st.none(), st.integers(1, 8))),
                timezone=draw(st.sampled_from(zones)),
                topics=frozenset(draw(st.lists(st.sampled_from("abcdef"), max_size=3))),
                manager_id=draw(st.one_of(st.none(), st.integers(0, n - 1).map(lambda k: f"p{k}"))),
                avoid=frozenset(draw(st.lists(st.integers(0, n - 1).map(lambda k: f"p{k}"), max_size=2))),
                facilitator=draw(st.booleans()),
                past_circles=frozenset(draw(st.lists(st.sampled_from(["x", "y", "z"]), max_size=2))),
            )
        )
    return people


size_bounds = st.tuples(st.integers(2, 6), st.integers(0, 3)).map(lambda t: (t[0], t[0] + t[1]))


@settings(max_examples=40, deadline=None)
@given(roster=rosters(), bounds=size_bounds, spread=st.sampled_from([0.0, 3.0, 6.0, 12.0]), seed=st.integers(0, 1000))
def test_hard_rules_hold_or_are_owned_up_to(
    roster: list[SignUp], bounds: tuple[int, int], spread: float, seed: int
) -> None:
    rules = FormationRules(min_size=bounds[0], max_size=bounds[1], max_timezone_spread=spread)
    result = form_circles(roster, rules, seed=seed)
    assert hard_rule_violations(result, roster) == []
    for relaxation in result.relaxations:
        assert relaxation.problem
        assert relaxation.instead


@settings(max_examples=15, deadline=None)
@given(roster=rosters(), seed=st.integers(0, 1000))
def test_same_seed_same_circles(roster: list[SignUp], seed: int) -> None:
    def ids(result_circles: tuple) -> list[list[str]]:  # type: ignore[type-arg]
        return [[m.id for m in c.members] for c in result_circles]

    first = form_circles(roster, seed=seed)
    again = form_circles(roster, seed=seed)
    assert ids(first.circles) == ids(again.circles)


def test_four_people_get_one_circle_and_an_explanation() -> None:
    result = form_circles([person(i) for i in range(4)])
    assert [len(c.members) for c in result.circles] == [4]
    (relaxation,) = result.relaxations
    assert relaxation.rule == "circle size"
    assert "4 people cannot be split into circles of 5–7" in relaxation.problem
    assert "one circle of all 4" in relaxation.instead


def test_a_stranded_time_zone_widens_the_spread_and_names_who_is_stranded() -> None:
    roster = [person(i) for i in range(6)] + [person(10 + i, timezone="Asia/Tokyo") for i in range(2)]
    result = form_circles(roster, FormationRules(min_size=4, max_size=7, max_timezone_spread=4))
    (relaxation,) = result.relaxations
    assert relaxation.rule == "time-zone spread"
    assert "Person 10 (Asia/Tokyo)" in relaxation.problem
    assert "9 hours" in relaxation.instead
    assert hard_rule_violations(result, roster) == []


def test_contradicting_pairs_are_reported_not_hidden() -> None:
    everyone = {f"p{i}" for i in range(5)}
    roster = [person(i, avoid=frozenset(everyone - {f"p{i}"})) for i in range(5)]
    result = form_circles(roster)
    assert any(r.rule == "named person" for r in result.relaxations)
    assert hard_rule_violations(result, roster) == []


def test_managers_are_kept_apart_when_there_is_room() -> None:
    roster = [person(i, manager_id="p0" if i else None) for i in range(12)]
    result = form_circles(roster, FormationRules(min_size=5, max_size=7))
    boss_circle = next(c for c in result.circles if any(m.id == "p0" for m in c.members))
    assert len(boss_circle.members) >= 5
    assert not result.relaxations or all(r.rule == "never with one's manager" for r in result.relaxations)


def test_facilitators_are_spread_one_per_circle() -> None:
    roster = [person(i, facilitator=i < 3) for i in range(18)]
    result = form_circles(roster, FormationRules(min_size=6, max_size=6))
    assert [len(c.facilitators) for c in result.circles] == [1, 1, 1]


def test_departments_mix_and_levels_stay_close() -> None:
    roster = [person(i, department=f"D{i % 3}", level=1 + (i // 6) * 4) for i in range(12)]
    result = form_circles(roster, FormationRules(min_size=6, max_size=6))
    for circle in result.circles:
        assert circle.score.level_low == circle.score.level_high  # the two levels never mix
        assert circle.score.departments == 3
        assert "3 departments among 6" in circle.explanation


def test_people_who_sat_together_are_split() -> None:
    roster = [person(i, past_circles=frozenset({f"old{i % 2}"})) for i in range(10)]
    result = form_circles(roster, FormationRules(min_size=5, max_size=5))
    # each circle holds 2+3 or 3+2 of the old circles: 1 + 3 repeat pairs, the least possible
    assert [c.score.repeat_pairs for c in result.circles] == [4, 4]


@pytest.mark.parametrize("count", [0, 1])
def test_nobody_or_one_person_is_an_error_in_words(count: int) -> None:
    with pytest.raises(CircleError, match="at least two people"):
        form_circles([person(i) for i in range(count)])


def test_contradictory_size_rules_are_refused() -> None:
    with pytest.raises(CircleError, match="smallest"):
        FormationRules(min_size=7, max_size=5)


@settings(max_examples=15, deadline=None)
@given(count=st.integers(2, 4), low=st.integers(5, 7), seed=st.integers(0, 100))
def test_too_few_people_always_get_the_size_explained(count: int, low: int, seed: int) -> None:
    result = form_circles([person(i) for i in range(count)], FormationRules(min_size=low, max_size=low + 1), seed=seed)
    assert len(result.circles) == 1
    (relaxation,) = result.relaxations
    assert f"{count} people cannot be split into circles of {low}–{low + 1}" in relaxation.problem
