"""`circles`: the one entry point. `circles run` picks Slack, Discord or the playground from the
environment; the other subcommands are the programme lead's tools.

The settings are read and validated here, once, before anything starts: a value that cannot work
ends the command with one line per problem and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bots.settings import Settings, SettingsError


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "run"
    rest = args[1:]
    if command in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if command.startswith("-"):  # `circles --port 8001`: flags of the default command
        command, rest = "run", args
    if command not in ("run", "demo", "migrate", "form"):
        print(f"circles: unknown command '{command}'.\n{USAGE}", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        for problem in error.problems:
            print(f"circles: {problem}", file=sys.stderr)
        return 2
    if command == "form":
        from bots.operations.metrics import record_formation
        from core.formation.command import main as form_main
        from core.formation.runs import watch_runs

        watch_runs(record_formation)
        return form_main(rest, database_url=settings.database_url)
    if command == "migrate":
        from core.db import migrate

        migrate(settings.database_url)
        print("Database is at the newest revision.")
        return 0
    from bots.runner import main as run_main

    return run_main(rest, demo=command == "demo", settings=settings)


USAGE = """usage: circles [run|demo|migrate|form] ...
  circles run        run the bot: Slack and/or Discord when their tokens are set, else the playground
                     (circles run --help for its options)
  circles demo       the playground with a seeded demo programme
  circles migrate    bring the database to the newest schema
  circles form FILE  split sign-ups into circles (circles form --help)
Settings come from the environment or a .env file (README: Settings)."""


if __name__ == "__main__":
    raise SystemExit(main())
