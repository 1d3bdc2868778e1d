"""How every benchmark prints its figures: one aligned line each, then all of them as one JSON
object on the last line (for machines)."""

from __future__ import annotations

import json
from typing import Any


def print_figures(figures: dict[str, Any]) -> None:
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        print(f"{key:>{width}}: {value}")
    print(json.dumps(figures))
