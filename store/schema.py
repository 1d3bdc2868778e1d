"""The tables, as SQLAlchemy Core metadata. Migrations in ``store/migrations`` create them.

Times are stored as naive UTC and returned timezone-aware (:class:`UTCDateTime`), so SQLite and
PostgreSQL behave the same. JSON columns hold answers and serialised places.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in Python, naive UTC in the database."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def fit_text(column: sa.Column[str], value: str | None) -> str | None:
    """``value`` as ``column`` can hold it on every database: without NUL characters (which
    PostgreSQL refuses in text) and cut to the column's length (which PostgreSQL enforces and
    SQLite does not), so text from a platform can never make a write fail."""
    if value is None:
        return None
    value = value.replace("\x00", "")
    length = getattr(column.type, "length", None)
    return value if length is None else value[:length]


members = sa.Table(
    "members",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column("platform", sa.String(32), nullable=False),
    sa.Column("platform_user_id", sa.String(255), nullable=False),
    sa.Column("display_name", sa.String(200)),
    sa.Column("locale", sa.String(16)),
    sa.Column("platform_locale", sa.String(16)),
    sa.Column("status", sa.String(32), nullable=False, server_default="new"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("timezone", sa.String(64)),
    sa.Column("paused_until", UTCDateTime),
    sa.Column("left_at", UTCDateTime),
    # Where to reach the member privately (a serialised place), for messages nobody asked for.
    sa.Column("dm_place", sa.JSON),
    # Set when the member sat out a match round (or was left without a partner): the next round
    # does not choose them to sit out again while anyone else can. Cleared once they are paired.
    sa.Column("first_in_line_at", UTCDateTime),
    sa.Index("ix_members_status", "community_id", "status"),
    sa.UniqueConstraint("community_id", "platform", "platform_user_id", name="uq_members_identity"),
)

profile_answers = sa.Table(
    "profile_answers",
    metadata,
    sa.Column(
        "member_id",
        sa.Integer,
        sa.ForeignKey("members.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("question_id", sa.String(64), primary_key=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column(
        "member_id",
        sa.Integer,
        sa.ForeignKey("members.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("flow_id", sa.String(64), nullable=False),
    sa.Column("flow_version", sa.Integer, nullable=False),
    sa.Column("step_id", sa.String(64), nullable=False),
    # Grows with every step; a prompt id is "<conversation id>.<step_seq>", so an answer to an
    # older question (a stale button) can be recognised, even across processes.
    sa.Column("step_seq", sa.Integer, nullable=False),
    sa.Column("answers", sa.JSON, nullable=False),
    sa.Column("trail", sa.JSON, nullable=False),
    sa.Column("place", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_conversations_member_status", "member_id", "status"),
    # One running conversation per member, even when two processes start one at once.
    sa.Index(
        "uq_conversations_one_active",
        "member_id",
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    ),
)


def status_is(status: sa.ColumnElement[str], value: str) -> sa.ColumnElement[bool]:
    """``status = '<value>'`` for a conversation's status, with the value written into the
    statement. Not bound as a parameter: a bound value compared with the column of a partial
    index's condition (``uq_conversations_one_active``) makes SQLite plan the statement anew
    every time it is bound, which was three quarters of the answer path's group read (125 of
    170 µs) and most of its group update (``tests/test_statement_plans.py``)."""
    if not value.isalpha():  # a status of the code's, never a value from outside
        raise ValueError(f"not a conversation status: {value!r}")
    return status == sa.literal_column(f"'{value}'", sa.String)


adapter_state = sa.Table(
    "adapter_state",
    metadata,
    sa.Column("community_id", sa.String(200), primary_key=True),
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    # The platform user this entry is about, if any, so that forgetting a member finds it.
    sa.Column("platform_user_id", sa.String(255)),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

consents = sa.Table(
    "consents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column(
        "member_id",
        sa.Integer,
        sa.ForeignKey("members.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("notice_version", sa.String(32), nullable=False),
    sa.Column("given_at", UTCDateTime, nullable=False),
    # The member's latest consent is read with every event (see store.members.MEMBER_COLUMNS).
    sa.Index("ix_consents_member_id", "member_id", "id"),
)

# Platform events that changed a conversation (see store/conversations.py): the key is recorded
# in the same transaction as the step the event caused, so a redelivered event (a Matrix sync
# replayed after a crash) is never applied twice, whichever step its conversation is at by then.
applied_events = sa.Table(
    "applied_events",
    metadata,
    sa.Column("community_id", sa.String(200), primary_key=True),
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("event_id", sa.String(255), primary_key=True),
    sa.Column(
        "member_id",
        sa.Integer,
        sa.ForeignKey("members.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "conversation_id",
        sa.Integer,
        sa.ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # The conversation's step_seq right after the event: the state it led to.
    sa.Column("step_seq", sa.Integer, nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
    sa.Index("ix_applied_events_applied_at", "applied_at"),
    sa.Index("ix_applied_events_member", "member_id"),
)

# Everything the bot does on its own schedule (see store/due_items.py and bot/due.py).
due_items = sa.Table(
    "due_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    # Chosen by the flow ("pause_end:42", "meeting:42:reminder_24h"): reschedule and cancel by it.
    sa.Column("key", sa.String(255), nullable=False),
    # The member it is for, if any: forgetting or purging the member deletes their items.
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE")),
    # Where it is sent when that is not the member's DM: a serialised Place (pair space, room).
    sa.Column("target", sa.JSON),
    # Ids only, never text: what the kind needs to find its data at run time.
    sa.Column("payload", sa.JSON, nullable=False),
    # When the item runs next: the time it was scheduled for, or later when it was held for
    # quiet hours or put off after a failure.
    sa.Column("due_at", UTCDateTime, nullable=False),
    # The time the flow scheduled it for: how late a run is, and its idempotency key, count
    # from here, whatever holds and retries moved ``due_at`` to.
    sa.Column("scheduled_for", UTCDateTime, nullable=False),
    # pending → claimed (with a lease) → done; or cancelled; or failed after too many attempts.
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("community_id", "key", name="uq_due_items_community_key"),
    sa.Index("ix_due_items_state_due", "state", "due_at"),
    sa.Index("ix_due_items_state_lease", "state", "lease_until"),
    sa.Index("ix_due_items_member", "member_id"),
)

# Match rounds (see store/rounds.py): a preview of proposed pairs, shown to organizers only, and
# the run that introduces exactly those pairs.
match_rounds = sa.Table(
    "match_rounds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    # "organizer" (a match command) or "cadence" (the community's schedule).
    sa.Column("started_by", sa.String(16), nullable=False),
    sa.Column("seed", sa.Integer, nullable=False),
    # The Monday of the week whose common free time the pairs were matched on.
    sa.Column("week_start", sa.Date, nullable=False),
    # preview → run → done (every pair introduced); or discarded (a newer preview replaced it).
    sa.Column("state", sa.String(16), nullable=False),
    # A hash of the waiting members and their profiles when previewed: a run checks that nothing
    # changed since, so it introduces exactly what the organizer saw.
    sa.Column("fingerprint", sa.String(64), nullable=False),
    # The proposed pairs (member ids, scores, reasons) while previewed; once run, the tandems
    # hold them and this is emptied (it names members, and would outlive a forgotten one).
    sa.Column("proposal", sa.JSON),
    sa.Column("pairs", sa.Integer, nullable=False),
    sa.Column("sit_outs", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("run_at", UTCDateTime),
    sa.Index("ix_match_rounds_community_state", "community_id", "state"),
)

# Tandems (see store/tandems.py): two members introduced by a round, and what became of it.
tandems = sa.Table(
    "tandems",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("match_rounds.id", ondelete="SET NULL")),
    # The smaller member id is member_a.
    sa.Column(
        "member_a", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "member_b", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("score", sa.Integer, nullable=False),
    # bot.matching.Reasons.to_json(): why they were matched, in both directions.
    sa.Column("reasons", sa.JSON, nullable=False),
    # introducing → introduced → active | declined | lapsed; active → ended | paused.
    sa.Column("state", sa.String(16), nullable=False),
    # The pair space (a serialised Place), recorded as soon as the platform made it.
    sa.Column("space", sa.JSON),
    # Each partner's answer after the first call ("yes" / "no") and an optional reason that only
    # organizers see.
    sa.Column("answer_a", sa.String(8)),
    sa.Column("answer_b", sa.String(8)),
    sa.Column("reason_a", sa.String(500)),
    sa.Column("reason_b", sa.String(500)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("introduced_at", UTCDateTime),
    sa.Column("active_at", UTCDateTime),
    sa.Column("ended_at", UTCDateTime),
    # Why it ended: "not_a_fit", "lapsed", "rematch" (a block too), "left", "removed", "forgotten",
    # "organizer" (see flows/endings.py), "completed" (the program's end: flows/program_choice.py).
    sa.Column("end_reason", sa.String(32)),
    # While paused: which partner paused it, and until when (None: until they resume).
    sa.Column("paused_by", sa.Integer),
    sa.Column("paused_until", UTCDateTime),
    # The program round the tandem is in (1, then 2, … when both chose to go on together), and
    # when that round began (None: when the tandem became active). See store/program_ends.py.
    sa.Column("program_round", sa.Integer, nullable=False, server_default="1"),
    sa.Column("round_started_at", UTCDateTime),
    sa.Index("ix_tandems_community_state", "community_id", "state"),
    sa.Index("ix_tandems_member_a", "member_a"),
    sa.Index("ix_tandems_member_b", "member_b"),
    sa.Index("ix_tandems_round", "round_id"),
)

# Tandem agreements (see store/agreements.py): one per tandem, merged from both partners' parts.
agreements = sa.Table(
    "agreements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    # Goes with its tandem (and so with either member, on forget or purge).
    sa.Column(
        "tandem_id",
        sa.Integer,
        sa.ForeignKey("tandems.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    # drafting (parts being answered) → proposed (merged, awaiting both confirmations) → agreed.
    sa.Column("state", sa.String(16), nullable=False),
    # Raised by every accepted change; a confirmation names the version it confirms.
    sa.Column("version", sa.Integer, nullable=False),
    # Each partner's own answers (member_a's and member_b's, as in the tandem).
    sa.Column("part_a", sa.JSON),
    sa.Column("part_b", sa.JSON),
    # The merged agreement: goals per member, the rhythm (weekday, local time, time zone,
    # duration, format) and the rules both accepted.
    sa.Column("terms", sa.JSON),
    sa.Column("confirmed_a", sa.Boolean, nullable=False),
    sa.Column("confirmed_b", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("agreed_at", UTCDateTime),
)

# Every version of an agreement and every proposed change: its history.
agreement_changes = sa.Table(
    "agreement_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column(
        "agreement_id",
        sa.Integer,
        sa.ForeignKey("agreements.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # "merged" (the first version, from both parts) or what a change touched: "slot",
    # "duration", "format", "goals".
    sa.Column("field", sa.String(16), nullable=False),
    # Who proposed it (None for the merge); the partner decides.
    sa.Column("proposed_by", sa.Integer),
    # The whole agreement as it is (or would be) with this change.
    sa.Column("terms", sa.JSON, nullable=False),
    # merged/pending → accepted | declined | superseded (a newer proposal replaced it).
    sa.Column("state", sa.String(16), nullable=False),
    # The version this change made (accepted ones only).
    sa.Column("version", sa.Integer),
    sa.Column("proposed_at", UTCDateTime, nullable=False),
    sa.Column("decided_at", UTCDateTime),
    sa.Index("ix_agreement_changes_agreement", "agreement_id"),
)

# Blocks (see store/blocks.py): whom a member never wants to be matched with. The blocked person
# is kept only as a keyed hash of their platform identity (bot/identity_key.py), so the block
# outlasts their ``forget`` and holds when they join again.
blocks = sa.Table(
    "blocks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column(
        "blocker_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False
    ),
    # HMAC-SHA256 (hex) of the blocked person's community, platform and platform user id.
    sa.Column("blocked_digest", sa.String(64), nullable=False),
    # Which key made the digest (a digest of a constant under it): a changed key is noticed.
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("blocker_id", "blocked_digest", name="uq_blocks_blocker_blocked"),
    sa.Index("ix_blocks_community_digest", "community_id", "blocked_digest"),
)

# Reports (see store/reports.py): a problem a member told the organizers about, privately.
reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column(
        "reporter_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False
    ),
    # Whom it is about, if anyone (their tandem partner): an organizer may remove them. Set to
    # NULL when that member is deleted; the report stays the reporter's.
    sa.Column("about_id", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("text", sa.String(2000), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_reports_reporter", "reporter_id"),
    sa.Index("ix_reports_about", "about_id"),
)

# A member's private learning notes (the seed's notebook): never shown to anyone else.
notes = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column(
        "member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("text", sa.String(2000), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_notes_member", "member_id"),
)

# Reflections (see store/reflections.py): one member's answers to one reflection of their tandem
# and which parts of them they chose to share in the pair space. Goes with the tandem and the
# member.
reflections = sa.Table(
    "reflections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column(
        "tandem_id", sa.Integer, sa.ForeignKey("tandems.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False
    ),
    # The tandem's reflections are numbered 1, 2, …; both partners' answers to one share it.
    sa.Column("number", sa.Integer, nullable=False),
    # The last reflection, at the end of the program.
    sa.Column("final", sa.Boolean, nullable=False),
    # {"goals": [{"goal", "progress" 1–5, "note"}], "helped", "change", "focus"}
    sa.Column("answers", sa.JSON, nullable=False),
    # The parts the member shares ("progress", "notes", "helped", "change", "focus").
    sa.Column("shared", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint(
        "tandem_id", "member_id", "number", name="uq_reflections_tandem_member_number"
    ),
    sa.Index("ix_reflections_member", "member_id"),
)

# A milestone of the agreement a member marked reached (see store/milestones.py).
milestones_reached = sa.Table(
    "milestones_reached",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column(
        "tandem_id", sa.Integer, sa.ForeignKey("tandems.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False
    ),
    # Which of the member's goals in the agreement's terms, and which of its milestones.
    sa.Column("goal_index", sa.Integer, nullable=False),
    sa.Column("milestone_index", sa.Integer, nullable=False),
    # The milestone as it read when reached (a later change of the agreement keeps this).
    sa.Column("text", sa.String(300), nullable=False),
    sa.Column("reached_at", UTCDateTime, nullable=False),
    # When the partner congratulated (or let it pass): they are not asked again.
    sa.Column("congratulated_at", UTCDateTime),
    sa.UniqueConstraint(
        "tandem_id",
        "member_id",
        "goal_index",
        "milestone_index",
        name="uq_milestones_reached_tandem_member_goal",
    ),
    sa.Index("ix_milestones_reached_member", "member_id"),
)

# Whether a member of a tandem agrees to short shout-outs in the community's celebration
# channel or room (both partners must; default: no row, which is no).
shoutout_optins = sa.Table(
    "shoutout_optins",
    metadata,
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column(
        "tandem_id", sa.Integer, sa.ForeignKey("tandems.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("opted_in", sa.Boolean, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tandem_id", "member_id", name="pk_shoutout_optins"),
    sa.Index("ix_shoutout_optins_member", "member_id"),
)

# Meetings (see store/meetings.py): the occurrences of a tandem's agreed weekly rhythm, the next
# one (or few) materialised at a time, with each partner's check-in answer.
meetings = sa.Table(
    "meetings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    # Goes with its tandem (and so with either member, on forget or purge).
    sa.Column(
        "tandem_id", sa.Integer, sa.ForeignKey("tandems.id", ondelete="CASCADE"), nullable=False
    ),
    # When the rhythm puts this occurrence (UTC); stays when the meeting is moved.
    sa.Column("occurrence_at", UTCDateTime, nullable=False),
    # When it takes place (UTC): the occurrence, or where the pair moved it.
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime, nullable=False),
    # The agreed zone the rhythm is anchored in.
    sa.Column("timezone", sa.String(64), nullable=False),
    # scheduled | moved (both still to come) → held | missed | unclear; skipped; cancelled.
    sa.Column("state", sa.String(16), nullable=False),
    # Each partner's check-in: met | moved | missed (member_a's and member_b's, as in the tandem).
    sa.Column("answer_a", sa.String(8)),
    sa.Column("answer_b", sa.String(8)),
    # A move one partner proposed and the other has not decided on yet.
    sa.Column("proposed_at", UTCDateTime),
    sa.Column("proposed_by", sa.Integer),
    # Who skipped it (None: skipped because the tandem was paused).
    sa.Column("skipped_by", sa.Integer),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("tandem_id", "occurrence_at", name="uq_meetings_tandem_occurrence"),
    sa.Index("ix_meetings_tandem_start", "tandem_id", "starts_at"),
)

# Each member's meeting settings: where their reminders go ("dm", the default, or "space").
meeting_settings = sa.Table(
    "meeting_settings",
    metadata,
    sa.Column(
        "member_id",
        sa.Integer,
        sa.ForeignKey("members.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column("reminders", sa.String(8), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Badges a tandem earned (see store/badges.py): a streak of meetings held, the first milestone,
# every goal reached. ``ref`` names the event that earned it (the meeting that completed the
# streak, the milestone), so each event earns a badge once; a new run of four meetings earns
# the four again. Goes with its tandem (and so with either member, on forget or purge).
badges = sa.Table(
    "badges",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column(
        "tandem_id", sa.Integer, sa.ForeignKey("tandems.id", ondelete="CASCADE"), nullable=False
    ),
    # streak | first_milestone | all_goals
    sa.Column("kind", sa.String(32), nullable=False),
    # The streak's length; 1 for the others.
    sa.Column("level", sa.Integer, nullable=False),
    # The meeting that completed the streak, or the milestone that earned it.
    sa.Column("ref", sa.Integer, nullable=False),
    sa.Column("earned_at", UTCDateTime, nullable=False),
    # When it is celebrated: when earned, or when the pair's last celebration is a day old.
    sa.Column("celebrate_at", UTCDateTime, nullable=False),
    # When it was posted in the pair space (None: not yet, or never: paused or ended).
    sa.Column("celebrated_at", UTCDateTime),
    sa.UniqueConstraint("tandem_id", "kind", "level", "ref", name="uq_badges_tandem_kind_level"),
)


# The end of one program round of a tandem (see store/program_ends.py): the completion
# celebrated once, each partner's choice how to go on, and what the bot did with both.
program_ends = sa.Table(
    "program_ends",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_id", sa.String(200), nullable=False),
    sa.Column(
        "tandem_id", sa.Integer, sa.ForeignKey("tandems.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("round", sa.Integer, nullable=False),
    # The run of the due item that celebrated the completion (its retries go on; no other may).
    sa.Column("completed_by", sa.String(200), nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=False),
    # Each partner's choice: "continue", "finish", "anew" (None: not answered yet).
    sa.Column("choice_a", sa.String(16)),
    sa.Column("choice_b", sa.String(16)),
    sa.Column("answered_a_at", UTCDateTime),
    sa.Column("answered_b_at", UTCDateTime),
    # What the bot did with both answers: "continued" or "ended", and when.
    sa.Column("outcome", sa.String(16)),
    sa.Column("decided_at", UTCDateTime),
    sa.UniqueConstraint("tandem_id", "round", name="uq_program_ends_tandem_round"),
)
