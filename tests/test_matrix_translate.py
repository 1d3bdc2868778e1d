"""Reading Matrix events from raw event dicts, as the homeserver sends them."""

from __future__ import annotations

from typing import Any

import pytest
from nio import Event

from adapters.matrix.translate import (
    MalformedEvent,
    membership_change,
    named_member,
    parse_command,
    reaction_choice,
    read_message,
    strip_reply_fallback,
)

BOT = "@tandem:example.org"
ALICE = "@alice:example.org"


def event(kind: str, content: dict[str, Any], sender: str = ALICE, **extra: Any) -> Any:
    return Event.parse_event(
        {
            "type": kind,
            "event_id": "$ev1",
            "sender": sender,
            "origin_server_ts": 1,
            "content": content,
            **extra,
        }
    )


def read(raw: Any, prefix: str = "!tandem") -> Any:
    return read_message(raw, "!room:example.org", own_user_id=BOT, prefix=prefix)


def test_a_prefixed_message_is_a_command_with_arguments() -> None:
    incoming = read(event("m.room.message", {"msgtype": "m.text", "body": "!Tandem JOIN now"}))
    assert incoming.kind == "command"
    assert (incoming.command, incoming.args) == ("join", ("now",))
    assert incoming.sender == ALICE


def test_a_command_keeps_whom_it_mentions_from_pills_not_their_display_names() -> None:
    ben = "@ben:example.org"
    pill = {
        "msgtype": "m.text",
        "body": "!tandem block Ben",
        "format": "org.matrix.custom.html",
        "formatted_body": '!tandem block <a href="https://matrix.to/#/%40ben%3Aexample.org">Ben</a>',
    }
    assert read(event("m.room.message", pill)).mentions == (ben,)
    declared = {"msgtype": "m.text", "body": "!tandem block Ben", "m.mentions": {"user_ids": [ben]}}
    incoming = read(event("m.room.message", declared))
    assert (incoming.args, incoming.mentions) == (("Ben",), (ben,))
    # The bot itself is never the one meant (a reply to its message mentions it).
    replying = {"msgtype": "m.text", "body": "!tandem block", "m.mentions": {"user_ids": [BOT]}}
    assert read(event("m.room.message", replying)).mentions == ()
    typed = {"msgtype": "m.text", "body": f"!tandem block {ben}"}
    assert read(event("m.room.message", typed)).args == (ben,)


def test_whom_block_names_a_typed_id_beats_a_replys_mention() -> None:
    ben, cleo = "@ben:example.org", "@cleo:example.org"
    # A reply to Cleo's message mentions Cleo; the id typed says whom the member means.
    assert named_member(("@Ben:Example.org",), (cleo,)) == (ben,)
    # A pill's display name is no id: the user it links to is meant.
    assert named_member(("Ben",), (ben,)) == (ben,)
    # A display name alone stays as typed, and the kernel refuses it (it names nobody for sure).
    assert named_member(("Ben",), ()) == ("Ben",)
    # The quoted fallback of a reply links its sender; that is no pill the member wrote.
    reply = {
        "msgtype": "m.text",
        "body": "> <@cleo:example.org> hi\n\n!tandem block",
        "format": "org.matrix.custom.html",
        "formatted_body": '<mx-reply><blockquote><a href="https://matrix.to/#/%40cleo%3Aexample.org">'
        "cleo</a> hi</blockquote></mx-reply>!tandem block",
        "m.relates_to": {"m.in_reply_to": {"event_id": "$x"}},
    }
    assert read(event("m.room.message", reply)).mentions == ()


def test_the_prefix_alone_asks_for_help_and_the_prefix_is_configurable() -> None:
    assert parse_command("!tandem", "!tandem") == ("help", ())
    assert parse_command("!mentor join", "!mentor") == ("join", ())
    assert parse_command("!tandemjoin", "!tandem") is None
    assert parse_command("please !tandem join", "!tandem") is None


def test_other_text_is_a_reply_and_keeps_what_the_member_wrote() -> None:
    incoming = read(event("m.room.message", {"msgtype": "m.text", "body": "<b>@room</b> 2"}))
    assert incoming.kind == "text"
    assert incoming.text == "<b>@room</b> 2"
    assert incoming.relates_to is None


def test_a_rich_reply_drops_the_quoted_fallback_and_names_the_question() -> None:
    content = {
        "msgtype": "m.text",
        "body": "> <@tandem:example.org> Which language?\n> 1. Deutsch\n\n2",
        "m.relates_to": {"m.in_reply_to": {"event_id": "$question"}},
    }
    incoming = read(event("m.room.message", content))
    assert (incoming.text, incoming.relates_to) == ("2", "$question")
    assert strip_reply_fallback("no quote") == "no quote"


def test_a_reaction_names_the_message_it_is_on() -> None:
    content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$q", "key": "✅"}}
    incoming = read(event("m.reaction", content))
    assert (incoming.kind, incoming.text, incoming.relates_to) == ("reaction", "✅", "$q")


@pytest.mark.parametrize(
    ("kind", "content", "sender"),
    [
        ("m.room.message", {"msgtype": "m.text", "body": "!tandem join"}, BOT),  # own echo
        ("m.room.message", {"msgtype": "m.notice", "body": "!tandem join"}, ALICE),  # a bot
        ("m.room.message", {"msgtype": "m.emote", "body": "waves"}, ALICE),
        (
            "m.room.message",
            {
                "msgtype": "m.text",
                "body": "* 3",
                "m.new_content": {"msgtype": "m.text", "body": "3"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": "$old"},
            },
            ALICE,
        ),  # an edit: the first answer counts
        ("m.room.topic", {"topic": "hi"}, ALICE),
    ],
)
def test_what_is_not_for_the_bot_is_ignored(
    kind: str, content: dict[str, Any], sender: str
) -> None:
    raw = event(kind, content, sender, **({"state_key": ""} if kind == "m.room.topic" else {}))
    assert read(raw) is None


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("m.room.message", {"msgtype": "m.text", "body": 42}),
        ("m.room.message", {"msgtype": "m.text"}),
        ("m.reaction", {"m.relates_to": {"rel_type": "m.annotation"}}),
    ],
)
def test_a_malformed_event_raises_so_the_loop_can_log_and_skip_it(
    kind: str, content: dict[str, Any]
) -> None:
    with pytest.raises(MalformedEvent):
        read(event(kind, content))


def test_a_reaction_picks_the_option_with_that_emoji_or_that_keycap() -> None:
    emojis: list[str | None] = ["✅", "✏️"]
    assert reaction_choice("✅", emojis) == "1"
    assert reaction_choice("✏", emojis) == "2"  # without the variation selector
    assert reaction_choice("2️⃣", [None, None, None]) == "2"
    assert reaction_choice("🔟", [None] * 10) == "10"
    assert reaction_choice("4️⃣", [None, None]) is None
    assert reaction_choice("👍", emojis) is None


def test_a_membership_change_is_told_apart_from_a_rename() -> None:
    left = event(
        "m.room.member",
        {"membership": "leave"},
        state_key=ALICE,
        unsigned={"prev_content": {"membership": "join"}},
    )
    renamed = event(
        "m.room.member",
        {"membership": "join", "displayname": "Al"},
        state_key=ALICE,
        unsigned={"prev_content": {"membership": "join", "displayname": "Alice"}},
    )
    assert membership_change(left) == (ALICE, "join", "leave")
    assert membership_change(renamed) is None
