"""What a program round of a tandem came to: meetings held, the longest streak, the milestones
reached, the badges earned, each partner's progress per goal from their first to their last
reflection, and the texts and chart that show it.

Two readers, two views. The pair space sees a partner's progress only if that partner shared
their progress in the reflections it comes from (the first and the last of the round); each
member's DM sees their own progress in full, and their chart. Notes and the other answers of a
reflection are never read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import Translator
from bot.messages import Msg, msg, user_text
from flows.badges import ALL_GOALS, FIRST_MILESTONE, STREAK
from flows.meeting_view import longest_streak
from flows.pair_view import name_of
from flows.program_chart import ProgressChart
from store import Store
from store.badges import BadgeRecord
from store.meetings import HELD
from store.members import MemberRecord
from store.milestones import MilestoneRecord
from store.reflections import ReflectionRecord
from store.tandems import TandemRecord


@dataclass(frozen=True)
class GoalProgress:
    goal: str
    # The progress (1–5) at each of the member's reflections of the round; None: not asked.
    values: tuple[int | None, ...]

    @property
    def first(self) -> int | None:
        return next((v for v in self.values if v is not None), None)

    @property
    def last(self) -> int | None:
        return next((v for v in reversed(self.values) if v is not None), None)


@dataclass(frozen=True)
class MemberProgress:
    member: MemberRecord
    goals: tuple[GoalProgress, ...]
    # Whether the member shared their progress in the first and the last reflection.
    shared: bool

    @property
    def reflections(self) -> int:
        return max((len(goal.values) for goal in self.goals), default=0)


@dataclass(frozen=True)
class ProgramFigures:
    tandem: TandemRecord
    weeks: int
    meetings_held: int
    longest_streak: int
    meetings_per_week: tuple[int, ...]
    milestones: tuple[MilestoneRecord, ...]
    badges: tuple[BadgeRecord, ...]
    progress: tuple[MemberProgress, ...]

    def of(self, member_id: int) -> MemberProgress:
        return next(p for p in self.progress if p.member.id == member_id)


def _progress(member: MemberRecord, reflections: list[ReflectionRecord]) -> MemberProgress:
    mine = [r for r in reflections if r.member_id == member.id]
    order: list[str] = []
    for reflection in mine:
        for goal in reflection.answers.get("goals", []):
            if goal["goal"] not in order:
                order.append(goal["goal"])
    goals = tuple(
        GoalProgress(
            goal,
            tuple(
                next(
                    (int(g["progress"]) for g in r.answers.get("goals", []) if g["goal"] == goal),
                    None,
                )
                for r in mine
            ),
        )
        for goal in order
    )
    shared = bool(mine) and all("progress" in r.shared for r in (mine[0], mine[-1]))
    return MemberProgress(member, goals, shared)


async def figures(
    store: Store, tandem: TandemRecord, members: list[MemberRecord], weeks: int, now: datetime
) -> ProgramFigures:
    """The round's figures, read from the store (the round: since it began, up to ``now``)."""
    began = tandem.round_began
    history = [m for m in await store.meetings.history(tandem.id) if m.starts_at >= began]
    span = max(weeks, -(-int((now - began) / timedelta(days=1)) // 7), 1)
    per_week = [0] * span
    for meeting in history:
        if meeting.state == HELD:
            per_week[min(int((meeting.starts_at - began) / timedelta(weeks=1)), span - 1)] += 1
    reflections = [r for r in await store.reflections.of_tandem(tandem.id) if r.created_at >= began]
    reached = [m for m in await store.milestones.reached(tandem.id) if m.reached_at >= began]
    earned = [b for b in await store.badges.for_tandem(tandem.id) if b.earned_at >= began]
    return ProgramFigures(
        tandem=tandem,
        weeks=weeks,
        meetings_held=sum(per_week),
        longest_streak=longest_streak(history),
        meetings_per_week=tuple(per_week),
        milestones=tuple(reached),
        badges=tuple(earned),
        progress=tuple(_progress(member, reflections) for member in members),
    )


def _goal_lines(progress: MemberProgress) -> list[Msg]:
    lines = []
    for goal in progress.goals:
        if goal.first is None or goal.last is None:
            continue
        lines.append(
            msg(
                "program_end.progress_goal",
                goal=user_text(goal.goal),
                first=goal.first,
                last=goal.last,
            )
        )
    return lines


def _milestone_lines(figures: ProgramFigures) -> list[Msg]:
    names = {p.member.id: name_of(p.member) for p in figures.progress}
    return [
        msg("program_end.milestone", name=names[m.member_id], milestone=user_text(m.text))
        for m in figures.milestones
        if m.member_id in names
    ] or [msg("program_end.milestones_none")]


def _badge_lines(figures: ProgramFigures) -> list[Msg]:
    """The badges of the round, each kind once: a streak at the longest it reached (4, then 8
    in a row is one badge of 8), then the first milestone, then every goal reached. Empty
    when there are none (the summary then leaves the line out)."""
    streaks = [badge.level for badge in figures.badges if badge.kind == STREAK]
    kinds = {badge.kind for badge in figures.badges}
    lines = [msg("program_end.badge.streak", count=max(streaks))] if streaks else []
    lines += [
        msg(f"program_end.badge.{kind}") for kind in (FIRST_MILESTONE, ALL_GOALS) if kind in kinds
    ]
    return [msg("program_end.badges", lines=lines)] if lines else []


def space_summary(figures: ProgramFigures) -> Msg:
    """The completion in the pair space: only what each partner shared."""
    sides = []
    for progress in figures.progress:
        lines = _goal_lines(progress) if progress.shared else []
        if lines:
            sides.append(
                msg("program_end.progress_side", name=name_of(progress.member), lines=lines)
            )
        else:
            sides.append(msg("program_end.progress_private", name=name_of(progress.member)))
    a, b = (name_of(p.member) for p in figures.progress)
    return msg(
        "program_end.space",
        count=figures.weeks,
        a=a,
        b=b,
        weeks=figures.weeks,
        meetings=figures.meetings_held,
        streak=figures.longest_streak,
        milestones=_milestone_lines(figures),
        badges=_badge_lines(figures),
        progress=sides,
    )


def own_summary(figures: ProgramFigures, member_id: int) -> Msg:
    """The member's own progress, in full, for their DM."""
    lines = _goal_lines(figures.of(member_id))
    return msg(
        "program_end.dm",
        lines=lines or [msg("program_end.progress_none")],
    )


def chart_of(figures: ProgramFigures, member_id: int, locale: str) -> ProgressChart:
    """The member's chart, its labels in ``locale``."""
    text = Translator().render
    progress = figures.of(member_id)
    title = msg("program_end.chart.title", count=figures.weeks, weeks=figures.weeks)
    return ProgressChart(
        title=text(title, locale),
        progress_title=text(msg("program_end.chart.progress"), locale),
        reflection_labels=tuple(
            text(msg("program_end.chart.reflection", number=n), locale)
            for n in range(1, progress.reflections + 1)
        ),
        goals=tuple((goal.goal, goal.values) for goal in progress.goals),
        meetings_title=text(msg("program_end.chart.meetings"), locale),
        week_labels=tuple(str(week) for week in range(1, len(figures.meetings_per_week) + 1)),
        meetings=figures.meetings_per_week,
    )
