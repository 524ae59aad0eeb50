"""`circles`: the one entry point. `circles run` picks Slack, Discord or the playground from the
environment; the other subcommands are the programme lead's tools."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "run"
    rest = args[1:]
    if command in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if command == "form":
        from core.formation.command import main as form_main

        return form_main(rest)
    if command == "migrate":
        from core.db import database_url, migrate

        migrate(database_url())
        print("Database is at the newest revision.")
        return 0
    if command in ("run", "demo"):
        from bots.runner import main as run_main

        return run_main(rest, demo=command == "demo")
    print(f"Unknown command '{command}'.\n{USAGE}", file=sys.stderr)
    return 2


USAGE = """usage: circles [run|demo|migrate|form] ...
  circles run        run the bot: Slack and/or Discord when their tokens are set, else the playground
  circles demo       the playground with a seeded demo programme
  circles migrate    bring the database to the newest schema
  circles form FILE  split sign-ups into circles (circles form --help)"""


def parse_port(argv: Sequence[str], default: int) -> int:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--port", type=int, default=default)
    known, _ = parser.parse_known_args(list(argv))
    return int(known.port)


if __name__ == "__main__":
    raise SystemExit(main())
