"""Where `shared/` is: beside the repository (as CI lays it out), else this workplace's copy."""

from __future__ import annotations

from pathlib import Path

WORKPLACE_COPY = Path("/work/shared")


def shared_path(*parts: str) -> Path:
    for folder in Path(__file__).resolve().parents:
        candidate = folder.parent / "shared" / Path(*parts)
        if candidate.exists():
            return candidate
    return WORKPLACE_COPY / Path(*parts)
