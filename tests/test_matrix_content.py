"""What the bot's Matrix messages contain: numbered questions, escaping, no mentions."""

from __future__ import annotations

from adapters.matrix.content import as_reply, defuse, notice, question
from bot.i18n import Translator
from bot.intents import Ask, Option
from bot.messages import msg, organizer_text
from bot.places import MemberRef, Place

ALICE = MemberRef(platform="matrix", user_id="@alice:example.org")


def test_a_notice_never_mentions_anyone_and_defuses_at_room() -> None:
    content = notice("Hello @room and @ROOM, see @roomy")
    assert content["msgtype"] == "m.notice"
    assert content["m.mentions"] == {}
    assert "format" not in content
    assert "@room " not in content["body"]
    assert content["body"] == "Hello @\u2060room and @\u2060ROOM, see @roomy"
    assert defuse("mail me@roommate.org") == "mail me@roommate.org"


def test_a_choice_question_is_a_numbered_list_in_html_and_plain_text() -> None:
    ask = Ask(
        target=Place.dm(ALICE, channel_id="!dm:example.org"),
        locale="en",
        prompt_id="1.1",
        question=organizer_text({"en": "Pick <one> & go\nnow"}),
        kind="one",
        options=(
            Option(id="save", label=organizer_text({"en": "<b>Save</b>"}), emoji="✅"),
            Option(id="change", label=msg("join.confirm.change"), emoji="✏️"),
        ),
    )
    content = question(ask, Translator())
    assert content["body"].startswith("Pick <one> & go\nnow\n\n1. <b>Save</b> ✅\n2. ")
    assert content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == (
        "<p>Pick &lt;one&gt; &amp; go<br>now</p>"
        "<ol><li>&lt;b&gt;Save&lt;/b&gt; ✅</li><li>Change something ✏️</li></ol>"
        "<p><em>Answer with the number or the word.</em></p>"
    )
    assert content["m.mentions"] == {}


def test_a_reply_points_at_the_command_without_quoting_it() -> None:
    content = as_reply(notice("ok"), "$cmd")
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$cmd"}}
