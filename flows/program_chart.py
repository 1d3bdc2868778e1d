"""A member's progress chart at the end of a program: a PNG of 800×450 pixels.

Left: each of the member's goals, its progress (1–5) at each reflection of the round, as
lines; right: the meetings held week by week. Drawn on the bare figure of
:mod:`flows.stats_chart` (matplotlib imported only inside :func:`draw`, which blocks: run it
in a thread). Every label arrives translated; goals are the member's own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows.stats_chart import COLOURS, MEMBERS_COLOUR, new_figure, png_of


@dataclass(frozen=True)
class ProgressChart:
    title: str
    progress_title: str
    reflection_labels: tuple[str, ...]
    # (goal, progress per reflection; None where the goal was not asked).
    goals: tuple[tuple[str, tuple[int | None, ...]], ...]
    meetings_title: str
    week_labels: tuple[str, ...]
    meetings: tuple[int, ...]


def _short(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def draw(chart: ProgressChart) -> bytes:
    """The chart as PNG bytes (blocking: run it in a thread)."""
    return png_of(figure_of(chart))


def figure_of(chart: ProgressChart) -> Any:
    """The chart's figure (matplotlib's, imported by :func:`flows.stats_chart.new_figure`)."""
    figure = new_figure()
    progress, meetings = figure.subplots(1, 2, width_ratios=(3, 2))
    figure.suptitle(chart.title, fontsize=12)

    positions = list(range(len(chart.reflection_labels)))
    for index, (goal, values) in enumerate(chart.goals):
        points = [(x, v) for x, v in zip(positions, values, strict=False) if v is not None]
        progress.plot(
            [x for x, _ in points],
            [v for _, v in points],
            marker="o",
            label=_short(goal),
            color=COLOURS[index % len(COLOURS)],
        )
    progress.set_title(chart.progress_title, fontsize=10)
    progress.set_xticks(positions, chart.reflection_labels, fontsize=8)
    progress.set_ylim(0.5, 6.2)
    progress.set_yticks([1, 2, 3, 4, 5])
    if chart.goals:
        legend = progress.legend(fontsize=8, loc="upper left")
        for text in legend.get_texts():
            # A goal is the member's words: a "$" is a dollar, not the start of a formula
            # (one matplotlib cannot read would make the drawing fail).
            text.set_parse_math(False)

    weeks = range(len(chart.week_labels))
    meetings.bar(list(weeks), chart.meetings, color=MEMBERS_COLOUR)
    meetings.set_title(chart.meetings_title, fontsize=10)
    meetings.set_xticks(list(weeks), chart.week_labels, fontsize=7)
    meetings.yaxis.get_major_locator().set_params(integer=True)
    meetings.set_ylim(0, max(chart.meetings, default=0) + 1)
    return figure
