"""Why two members were matched: the :class:`~bot.matching.model.Reasons` an intro shows.

Computed per chosen pair (a few thousand at most), in plain Python: the topics each can help the
other with, the needs they share, the languages they share, the stretches of the round's week
both are free (UTC, an hour or longer, earliest first) and whether they can meet in person.
"""

from __future__ import annotations

from datetime import date

from bot.matching.hours import common_stretches, slot_mask
from bot.matching.model import CommonTime, Person, Reasons


def meets_in_person(a: Person, b: Person) -> bool:
    """Both chose or accept meeting in person, and in the same city."""
    return a.format != "video" and b.format != "video" and a.city is not None and a.city == b.city


def reasons(a: Person, b: Person, week_start: date) -> Reasons:
    """The reasons for the pair ``a``, ``b`` in the round whose week starts on ``week_start``."""
    stretches = common_stretches(
        (a.timezone, slot_mask(a.availability)),
        (b.timezone, slot_mask(b.availability)),
        week_start,
    )
    return Reasons(
        a_helps_b=tuple(sorted(a.offers & b.needs)),
        b_helps_a=tuple(sorted(b.offers & a.needs)),
        shared_needs=tuple(sorted(a.needs & b.needs)),
        languages=tuple(sorted(a.languages & b.languages)),
        common_times=tuple(CommonTime(start, end) for start, end in stretches),
        in_person=meets_in_person(a, b),
    )
