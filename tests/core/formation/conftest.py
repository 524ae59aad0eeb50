"""Shared builders for formation tests: small rosters written the way a programme lead would."""

from __future__ import annotations

from core.formation.signups import SignUp


def person(index: int, **fields: object) -> SignUp:
    values: dict[str, object] = {
        "id": f"p{index}",
        "name": f"Person {index}",
        "department": f"D{index % 4}",
        "level": 3,
        "timezone": "Europe/London",
    }
    values.update(fields)
    return SignUp(**values)  # type: ignore[arg-type]
