"""`circles form signups.csv --size 5-7 --seed 1`: the programme lead's command. With
`--programme ID` instead of a file it reads the sign-ups the bots collected for that programme from
the bot's database (DATABASE_URL, else the embedded SQLite file).

Prints the circles as a table (one explanation line and one score line per circle), writes them
to a CSV (``circle,id,name,department,level,timezone,role``), shows a progress bar on stderr when a
run takes a while, and turns every `CircleError` into a message and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from core.db import DEFAULT_DATABASE_URL, Database
from core.errors import CircleError
from core.formation.programme_signups import PAST_PROGRAMMES, programme_sign_ups
from core.formation.roster import DEFAULT_TIME_BUDGET, FormationResult, form_circles
from core.formation.rules import FormationRules, parse_size
from core.formation.signups import SignUp, read_signups
from core.models import Programme

DESCRIPTION = """Split sign-ups into peer circles: similar level, mixed departments, a live meeting
that fits everyone's working hours, no repeats, never with one's manager or a named person, and the
given facilitators spread one per circle."""

COLUMNS_HELP = """CSV columns (only id and name are required; others may be missing; unknown columns
are ignored):
  id            unique id of the person
  name          display name
  department    free text; circles mix departments
  level         whole number (e.g. grade); circles keep levels close
  timezone      IANA name such as Europe/Paris (default UTC)
  topics        topics of interest, separated by ;
  manager_id    id of the person's manager; never in the same circle
  avoid         ids of people not to be grouped with, separated by ;
  facilitator   yes/no; facilitators are spread one per circle
  past_circles  labels of earlier circles, separated by ; (pairs sharing a label have sat together)

The output CSV has columns circle,id,name,department,level,timezone,role."""


def main(argv: Sequence[str], database_url: str = DEFAULT_DATABASE_URL) -> int:
    parser = _parser()
    parser.set_defaults(database_url=database_url)  # from the process's settings (bots/cli.py)
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return _run(args)
    except CircleError as error:
        print(f"circles form: {error.message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `circles form … | head`: the reader stopped listening; not an error
        sys.stderr.close()
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="circles form",
        description=DESCRIPTION,
        epilog=COLUMNS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("signups", type=Path, nargs="?", help="the sign-up CSV")
    parser.add_argument(
        "--programme",
        type=int,
        metavar="ID",
        help="form a programme's circles from the sign-ups collected in Slack or Discord instead of a CSV",
    )
    parser.add_argument(
        "--past-programmes",
        type=int,
        default=PAST_PROGRAMMES,
        metavar="N",
        help=f"with --programme: avoid pairs who shared a circle in the last N programmes (default {PAST_PROGRAMMES})",
    )
    parser.add_argument("--size", default="5-7", help="circle size bounds, e.g. 5-7 (default) or 6")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same circles (default 1)")
    parser.add_argument(
        "--time-budget",
        type=float,
        default=DEFAULT_TIME_BUDGET,
        metavar="SECONDS",
        help=f"search for this long: more time, better circles (default {DEFAULT_TIME_BUDGET:g}); "
        "small rosters finish sooner",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        metavar="N",
        help="search exactly N steps instead, so the same seed gives the same circles on any machine",
    )
    parser.add_argument(
        "--no-repeats",
        action="store_true",
        help="make 'never with someone from an earlier circle' a hard rule, not just a penalty",
    )
    parser.add_argument(
        "--max-spread",
        type=float,
        default=FormationRules.max_timezone_spread,
        metavar="HOURS",
        help="largest gap between UTC offsets in a circle (default 6)",
    )
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        help="where to write the circles CSV (default: <signups>-circles.csv)",
    )
    parser.add_argument("--quiet", action="store_true", help="no table, no progress bar")
    return parser


def _run(args: argparse.Namespace) -> int:
    low, high = parse_size(args.size)
    if args.time_budget <= 0:
        raise CircleError("--time-budget must be a positive number of seconds.")
    if args.steps is not None and args.steps <= 0:
        raise CircleError("--steps must be a positive number.")
    rules = FormationRules(min_size=low, max_size=high, max_timezone_spread=args.max_spread, no_repeats=args.no_repeats)
    signups, default_output = _sign_ups(args)
    bar = None if args.quiet else ProgressBar(sys.stderr)
    result = form_circles(
        signups,
        rules,
        seed=args.seed,
        time_budget=args.time_budget,
        max_steps=args.steps,
        on_progress=bar.update if bar else None,
    )
    if bar:
        bar.finish()
    output = args.output or default_output
    write_circles(result, output)
    if not args.quiet:
        print_table(result, sys.stdout)
        print(f"Wrote {output}")
    return 0


def _sign_ups(args: argparse.Namespace) -> tuple[list[SignUp], Path]:
    """The sign-ups, from the CSV or from the programme, and where the circles go by default."""
    if (args.signups is None) == (args.programme is None):
        raise CircleError("Give either a sign-up CSV or --programme ID (see circles form --help).")
    if args.signups is not None:
        return read_signups(args.signups), args.signups.with_name(f"{args.signups.stem}-circles.csv")
    if args.past_programmes < 0:
        raise CircleError("--past-programmes must be 0 or more.")
    programme, signups = asyncio.run(_load_programme(args.programme, args.past_programmes, args.database_url))
    if not signups:
        raise CircleError(f"Nobody has signed up for '{programme.name}' yet (/circle signup {programme.name}).")
    return signups, Path(f"{programme.name}-circles.csv")


async def _load_programme(programme_id: int, past_programmes: int, url: str) -> tuple[Programme, list[SignUp]]:
    database = Database(url, pool=False)
    try:
        async with database.unit_of_work() as uow:
            return await programme_sign_ups(uow.session, programme_id, past_programmes)
    except SQLAlchemyError as error:
        raise CircleError(
            f"Could not read the bot's database ({type(error).__name__}); is DATABASE_URL right?"
        ) from error
    finally:
        await database.dispose()


class ProgressBar:
    """A hand-rolled bar on stderr, drawn only once a run has lasted half a second, so quick runs
    and pipes stay clean."""

    def __init__(self, stream: TextIO, width: int = 30, delay: float = 0.5) -> None:
        self.stream = stream
        self.width = width
        self.started = time.perf_counter()
        self.delay = delay
        self.drawn = False

    def update(self, fraction: float) -> None:
        if time.perf_counter() - self.started < self.delay:
            return
        filled = int(self.width * min(max(fraction, 0.0), 1.0))
        self.stream.write(f"\rforming circles [{'#' * filled}{'.' * (self.width - filled)}] {fraction:4.0%}")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def write_circles(result: FormationResult, path: Path) -> None:
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["circle", "id", "name", "department", "level", "timezone", "role"])
            for circle in result.circles:
                for member in circle.members:
                    writer.writerow(
                        [
                            circle.number,
                            member.id,
                            member.name,
                            member.department,
                            "" if member.level is None else member.level,
                            member.timezone,
                            "facilitator" if member.facilitator else "member",
                        ]
                    )
    except OSError as error:
        raise CircleError(f"Could not write {path}: {error.strerror}.") from error


def print_table(result: FormationResult, out: TextIO) -> None:
    for relaxation in result.relaxations:
        print(f"Note — {relaxation}", file=out)
    if result.relaxations:
        print(file=out)
    header = f"{'circle':>6}  {'name':<24} {'department':<18} {'level':>5}  {'timezone':<22} role"
    print(header, file=out)
    print("-" * len(header), file=out)
    for circle in result.circles:
        for position, member in enumerate(circle.members):
            number = str(circle.number) if position == 0 else ""
            level = "" if member.level is None else str(member.level)
            role = "facilitator" if member.facilitator else ""
            print(
                f"{number:>6}  {member.name[:24]:<24} {member.department[:18]:<18} {level:>5}  "
                f"{member.timezone[:22]:<22} {role}",
                file=out,
            )
        print(f"{'':>6}  why: {circle.explanation}", file=out)
        print(f"{'':>6}  score: {circle.score.breakdown}", file=out)
    parts = "  ".join(f"{name} {value:+.1f}" for name, value in result.parts().items())
    print(
        f"\n{len(result.circles)} circles from {sum(len(c.members) for c in result.circles)} people "
        f"in {result.seconds:.2f} s (seed {result.seed}, {result.steps:,} steps); score {result.total:+.1f} = {parts}",
        file=out,
    )
