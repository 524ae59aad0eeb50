"""Where the pinned data the fakes read lives: inside the repository's `tests/` folder, so a clone
anywhere passes the suite (nothing is read from beside or outside the tree)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def shared_path(*parts: str) -> Path:
    """`shared_path("specs", "slack", …)` is `tests/specs/slack/…`; a missing file is named, not guessed."""
    path = TESTS.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the repository should carry it (see tests/specs/README.md)")
    return path
