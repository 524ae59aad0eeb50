"""`circles form`: table, CSV, determinism, and exit status 2 with a message for bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bots.cli import main as circles
from core.formation.command import ProgressBar

HEADER = "id,name,department,level,timezone,topics,manager_id,avoid,facilitator,past_circles\n"


def roster_file(tmp_path: Path, people: int = 14) -> Path:
    rows = [
        f"{i},Person {i},D{i % 4},{2 + i % 3},Europe/Paris,feedback,,,{'yes' if i < 2 else 'no'},\n"
        for i in range(people)
    ]
    path = tmp_path / "signups.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_prints_a_table_and_writes_the_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = roster_file(tmp_path)
    out = tmp_path / "circles.csv"
    assert circles(["form", str(source), "--size", "5-7", "--seed", "1", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "why: " in printed
    assert "score: department" in printed
    assert "2 circles from 14 people" in printed
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["circle", "id", "name", "department", "level", "timezone", "role"]
    assert sorted(int(r["id"]) for r in rows) == list(range(14))
    assert sum(r["role"] == "facilitator" for r in rows) == 2


def test_same_seed_same_file(tmp_path: Path) -> None:
    source = roster_file(tmp_path, 30)
    first, again = tmp_path / "a.csv", tmp_path / "b.csv"
    for target in (first, again):
        assert circles(["form", str(source), "--seed", "7", "--quiet", "-o", str(target)]) == 0
    assert first.read_text() == again.read_text()


@pytest.mark.parametrize(
    ("content", "arguments", "words"),
    [
        ("", [], "empty"),
        ("name,level\nAnn,3\n", [], "no id column"),
        (HEADER + "1,Ann,Eng,3,Moon/Base,,,,no,\n", [], "Unknown time zone"),
        (HEADER + "1,Ann,Eng,3,UTC,,,,no,,,surplus\n", [], "more cells"),
        (HEADER + "1,Ann,Eng,3,UTC,,,,no,\n", [], "at least two people"),
        (HEADER + "1,Ann,Eng,3,UTC,,,,no,\n2,Bob,Eng,3,UTC,,,,no,\n", ["--size", "7-5"], "smallest"),
        (HEADER + "1,Ann,Eng,3,UTC,,,,no,\n2,Bob,Eng,3,UTC,,,,no,\n", ["--time-budget", "0"], "positive"),
        (HEADER + "1,Ann,Eng,3,UTC,,,,no,\n2,Bob,Eng,3,UTC,,,,no,\n", ["--steps", "-5"], "--steps must be a positive"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, arguments: list[str], words: str
) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(content, encoding="utf-8")
    assert circles(["form", str(source), *arguments]) == 2
    error = capsys.readouterr().err
    assert words in error
    assert "Traceback" not in error


def test_too_few_people_still_forms_and_explains(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = roster_file(tmp_path, 4)
    assert circles(["form", str(source), "-o", str(tmp_path / "o.csv")]) == 0
    assert "Note — circle size: 4 people cannot be split into circles of 5–7" in capsys.readouterr().out


def test_help_lists_the_columns(capsys: pytest.CaptureFixture[str]) -> None:
    assert circles(["form", "--help"]) == 0
    assert "past_circles" in capsys.readouterr().out


def test_progress_bar_stays_quiet_on_quick_runs_and_draws_on_long_ones() -> None:
    import io

    quick = io.StringIO()
    ProgressBar(quick, delay=60).update(0.5)
    assert quick.getvalue() == ""
    slow = io.StringIO()
    bar = ProgressBar(slow, delay=0)
    bar.update(0.5)
    bar.finish()
    assert "50%" in slow.getvalue()
    assert slow.getvalue().endswith("\n")


def test_no_repeats_keeps_earlier_circles_apart_and_steps_repeat_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [f"{i},Person {i},D{i % 4},3,Europe/Paris,,,,no,old{i % 3}\n" for i in range(12)]
    source = tmp_path / "again.csv"
    source.write_text(HEADER + "".join(rows), encoding="utf-8")
    outputs = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for target in outputs:
        arguments = ["form", str(source), "--size", "3-4", "--no-repeats", "--steps", "5000", "-o", str(target)]
        assert circles(arguments) == 0
    printed = capsys.readouterr().out
    assert "5,000 steps" in printed
    assert "Note" not in printed  # a partition without repeats exists, so nothing is relaxed
    assert outputs[0].read_text() == outputs[1].read_text()
    with outputs[0].open() as handle:
        by_circle: dict[str, set[int]] = {}
        for row in csv.DictReader(handle):
            by_circle.setdefault(row["circle"], set()).add(int(row["id"]) % 3)
    assert all(len(old) == 3 for old in by_circle.values())  # one from each earlier circle
