"""The organizers' chart (``admin stats``): a PNG of 800×450 pixels drawn with matplotlib; the
bare figure and its PNG are shared with the program's progress chart (:mod:`flows.program_chart`).

matplotlib is imported inside :func:`draw` only, so that a bot nobody asks for a chart never
loads it (it would add tens of megabytes to every process); :func:`draw` is blocking and is run
in a thread (``asyncio.to_thread``). It uses the Agg renderer through a bare ``Figure``, not
``pyplot``: no display, no global figure state shared between threads. Every label arrives
translated: nothing here knows a language.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

WIDTH_PX, HEIGHT_PX, DPI = 800, 450, 100
# Colours that stay apart for the common kinds of colour blindness (Okabe & Ito).
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
MEMBERS_COLOUR = "#56B4E9"


@dataclass(frozen=True)
class Chart:
    """What the chart shows, labels already in the organizer's language."""

    title: str
    weekly_title: str
    week_labels: tuple[str, ...]
    # (label, one count per week) for each weekly series.
    series: tuple[tuple[str, tuple[int, ...]], ...]
    members_title: str
    # (status label, count), in the order shown from the top.
    members: tuple[tuple[str, int], ...]


def new_figure() -> Any:
    """A bare matplotlib ``Figure`` of 800×450 pixels on the Agg canvas (imports matplotlib:
    call it only from a drawing function run in a thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def png_of(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def draw(chart: Chart) -> bytes:
    """The chart as PNG bytes (blocking: run it in a thread)."""
    figure = new_figure()
    weekly, members = figure.subplots(1, 2, width_ratios=(3, 2))
    figure.suptitle(chart.title, fontsize=12)

    count = max(len(chart.series), 1)
    width = 0.8 / count
    positions = range(len(chart.week_labels))
    for index, (label, values) in enumerate(chart.series):
        offset = (index - (count - 1) / 2) * width
        weekly.bar(
            [x + offset for x in positions],
            values,
            width,
            label=label,
            color=COLOURS[index % len(COLOURS)],
        )
    weekly.set_title(chart.weekly_title, fontsize=10)
    weekly.set_xticks(list(positions), chart.week_labels, rotation=45, ha="right", fontsize=7)
    weekly.yaxis.get_major_locator().set_params(integer=True)
    # Headroom above the highest bar, so that the legend never covers one.
    highest = max((max(values, default=0) for _, values in chart.series), default=0)
    weekly.set_ylim(0, highest * 1.35 + 1)
    weekly.legend(fontsize=8, loc="upper left")

    labels = [label for label, _ in reversed(chart.members)]
    numbers = [number for _, number in reversed(chart.members)]
    members.barh(labels, numbers, color=MEMBERS_COLOUR)
    members.set_title(chart.members_title, fontsize=10)
    members.tick_params(axis="y", labelsize=8)
    members.xaxis.get_major_locator().set_params(integer=True)

    return png_of(figure)
