"""What the review of the safety and ending features found, on the memory adapter: endings
before both said yes still keep the two apart, an introduction not yet sent ends without a
word to anyone, a pause survives the partner's ending, ``forget`` after ``leave`` takes the
member out of the space, the farewell speaks both languages, and ``rematch``, ``report`` and
``block`` say only what the member may know."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.intents import Ask, Say
from tests.conftest import AppFactory, memory_of
from tests.support.rounds import ANA, BEN, CLEO, DAN, PEER, onboard, onboard_all, said_in
from tests.support.tandem_pair import pair_in_a_tandem


async def record(app: App, who: str):
    member = await app.store.members.find("memory", "memory", who)
    assert member is not None
    return member


@pytest.mark.parametrize("how", ["rematch", "block", "end"])
async def test_a_tandem_ended_before_both_said_yes_keeps_the_two_apart(
    make_app: AppFactory, how: str
) -> None:
    pair = await pair_in_a_tandem(await make_app("memory"), active=False)
    memory = pair.memory
    if how == "rematch":
        await memory.command(pair.ana, "rematch")
        await memory.pick(pair.ana, "end")
    elif how == "block":
        await memory.command(pair.ana, "block")
    else:
        await memory.admin(pair.olga, "end", str((await pair.tandem()).id))
    await pair.app.run_due()
    preview = await memory.admin(pair.olga, "match", "preview")
    assert "Ana ↔ Ben" not in preview[0].text
    assert preview[0].text.startswith("No pair is possible this time: 2 members are waiting")


async def run_round_without_introducing(make_app: AppFactory) -> tuple[App, dict]:
    app = await make_app("memory")
    memory = memory_of(app)
    memory.organizers = {"olga"}
    people = await onboard_all(memory, {"ana": ANA, "ben": BEN})
    olga = memory.member("olga")
    await memory.admin(olga, "match", "preview")
    await memory.admin(olga, "match", "run")  # the introduction is booked, not yet sent
    return app, people


async def test_a_block_before_the_introduction_tells_nobody_anything(
    make_app: AppFactory,
) -> None:
    app, people = await run_round_without_introducing(make_app)
    memory = memory_of(app)
    ben_seen = len(memory.received(people["ben"]))
    answer = await memory.command(people["ana"], "block", "ben")
    # Ana never learnt that Ben was her match: the answer is the one for anybody.
    assert [r.text for r in answer] == [
        "Erledigt: Falls diese Person mitmacht oder irgendwann beitritt, bringe ich euch nie "
        "zusammen. Die Person erfährt davon nichts."
    ]
    await app.run_due()
    # Ben hears nothing: no ending, no introduction; no space was opened.
    assert memory.received(people["ben"])[ben_seen:] == []
    assert memory.world.spaces == {}
    ben = await record(app, "ben")
    assert ben.status == "waiting"
    assert ben.first_in_line_at is not None


async def test_rematch_and_report_name_no_partner_before_the_introduction(
    make_app: AppFactory,
) -> None:
    app, people = await run_round_without_introducing(make_app)
    memory = memory_of(app)
    refused = await memory.command(people["ana"], "rematch")
    assert refused[0].text.startswith("Deine Vorstellung ist unterwegs")
    assert not any("Ben" in r.text for r in refused)
    await memory.command(people["ana"], "report")
    done = await memory.submit(people["ana"], "Something in the community room.")
    # No "is it about your tandem with Ben?": the report is filed at once.
    assert done[-1].text.startswith("Danke, dass du uns Bescheid sagst")
    assert not any("Ben" in r.text for r in done)


async def test_the_one_who_paused_stays_paused_when_the_partner_ends_it(
    make_app: AppFactory,
) -> None:
    pair = await pair_in_a_tandem(await make_app("memory"))
    memory, app = pair.memory, pair.app
    await memory.command(pair.ana, "pause", "in 3 Wochen")
    paused_until = (await pair.tandem()).paused_until
    ana_seen = len(memory.received(pair.ana))
    await memory.command(pair.ben, "rematch")
    await memory.pick(pair.ben, "end")
    await app.run_due()
    told = [r.text for r in memory.received(pair.ana)[ana_seen:]]
    assert told == [
        "Ben hat sich entschieden, euer Tandem zu beenden. Das kommt vor, und es ist niemandes "
        "Schuld – danke für die gemeinsame Zeit! Deine Pause läuft weiter bis zum 26. Januar "
        "2026; danach bist du zuerst dran."
    ]
    ana = await record(app, "ana")
    assert (ana.status, ana.paused_until) == ("paused", paused_until)
    await onboard(memory, "pat", PEER)
    preview = await memory.admin(pair.olga, "match", "preview")
    assert "Ana" not in preview[0].text


async def test_forget_right_after_leave_takes_the_member_out_of_the_space(
    make_app: AppFactory,
) -> None:
    pair = await pair_in_a_tandem(await make_app("memory"))
    memory, app = pair.memory, pair.app
    await memory.command(pair.ana, "leave")
    await memory.pick(pair.ana, "leave")
    await memory.command(pair.ana, "forget")  # before the ending notice ran
    await memory.pick(pair.ana, "forget")
    await app.run_due()
    space = memory.world.spaces[pair.space]
    assert space.closed
    assert space.removed == ["ana"]
    assert memory.texts(pair.ben)[-1].startswith(
        "Your tandem has ended: your tandem partner is no longer taking part"
    )


async def test_the_farewell_in_the_space_speaks_both_partners_languages(
    make_app: AppFactory,
) -> None:
    pair = await pair_in_a_tandem(await make_app("memory"))
    await pair.memory.admin(pair.olga, "end", str((await pair.tandem()).id))
    await pair.app.run_due()
    assert said_in(pair.memory, pair.space)[-2:] == [
        "Dieses Tandem ist beendet, deshalb schließe ich diesen Raum jetzt. Danke für die "
        "gemeinsame Zeit hier!",
        "This tandem has ended, so this space closes now. Thank you for the time you shared here!",
    ]


async def test_rematch_understands_yes_and_no_typed_in_either_language(
    make_app: AppFactory,
) -> None:
    pair = await pair_in_a_tandem(await make_app("memory"))
    await pair.memory.command(pair.ana, "rematch")
    kept = await pair.memory.say(pair.ana, "nein")
    assert "Okay, euer Tandem geht weiter. 🙂" in [r.text for r in kept]
    await pair.memory.command(pair.ana, "rematch")
    ended = await pair.memory.say(pair.ana, "ja")
    assert ended[0].text.startswith("Erledigt: Dein Tandem mit Ben ist beendet")


async def test_when_both_end_it_at_once_the_second_is_told_once(make_app: AppFactory) -> None:
    pair = await pair_in_a_tandem(await make_app("memory"))
    memory = pair.memory
    await memory.command(pair.ana, "rematch")
    await memory.command(pair.ben, "rematch")
    await memory.pick(pair.ana, "end")
    ben_seen = len(memory.received(pair.ben))
    second = await memory.pick(pair.ben, "end")
    assert second[-1].text.startswith("Your tandem with Ana has ended – Ana ended it at the same")
    await pair.app.run_due()
    later = memory.received(pair.ben)[ben_seen + len(second) :]
    assert [r.text for r in later if isinstance(r.intent, Say)] == []


async def test_a_member_removed_meanwhile_is_not_told_they_are_first_in_line(
    make_app: AppFactory,
) -> None:
    pair = await pair_in_a_tandem(await make_app("memory"))
    memory = pair.memory
    await memory.command(pair.ben, "report")
    await memory.submit(pair.ben, "Ana was rude")
    await memory.pick(pair.ben, "partner")
    await memory.admin(pair.olga, "end", str((await pair.tandem()).id))
    await memory.admin(pair.olga, "remove", "1")  # before the ending notice ran
    ana_seen = len(memory.received(pair.ana))
    await pair.app.run_due()
    assert not any("zuerst dran" in text for text in memory.texts(pair.ana)[ana_seen - 1 :])


async def test_the_partner_is_told_the_pause_date_the_member_chose(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    memory.organizers = {"olga"}
    people = await onboard_all(memory, {"cleo": CLEO, "dan": DAN})
    olga = memory.member("olga")
    await memory.admin(olga, "match", "preview")
    await memory.admin(olga, "match", "run")
    await app.run_due()
    for who in ("cleo", "dan"):
        await memory.command(people[who], "decide")
        await memory.pick(people[who], "yes")
    await app.run_due()
    await memory.command(people["cleo"], "pause", "Jan 20")  # London
    assert "until January 20, 2026" in memory.texts(people["dan"])[-1]  # New York


async def test_members_who_left_may_still_report_and_block(make_app: AppFactory) -> None:
    pair = await pair_in_a_tandem(await make_app("memory"))
    memory, app = pair.memory, pair.app
    await memory.command(pair.ana, "leave")
    await memory.pick(pair.ana, "leave")
    await app.run_due()
    blocked = await memory.command(pair.ana, "block", "ben")
    assert blocked[0].text.startswith("Erledigt:")
    assert len(await app.store.dump_table("blocks")) == 1
    await memory.command(pair.ana, "report")
    await memory.submit(pair.ana, "Ben kept writing to me after the tandem ended.")
    done = await memory.pick(pair.ana, "partner")
    assert done[-1].text.startswith("Danke, dass du uns Bescheid sagst")
    assert len(await app.store.dump_table("reports")) == 1


async def test_reports_beyond_three_a_day_are_kept_and_listed_not_posted(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    memory.organizers = {"olga"}
    ana = await onboard(memory, "ana", ANA)
    answers = []
    for number in range(1, 5):
        await memory.command(ana, "report")
        answers.append((await memory.submit(ana, f"Problem {number}"))[-1].text)
    await app.run_due()
    organizers = [r for r in memory.sent if r.place.kind == "organizers"]
    assert len(organizers) == 3
    assert answers[3].startswith("Danke – ich habe auch diese Meldung aufbewahrt (Nr. 4).")
    assert len(await app.store.dump_table("reports")) == 4
    listed = await memory.admin(memory.member("olga"), "reports")
    assert "• no. 4, 2026-01-05 09:00 UTC, from Ana: Problem 4" in listed[0].text
    full = await memory.admin(memory.member("olga"), "reports", "4")
    assert full[0].text.startswith("🚩 Report no. 4 from Ana (ana)")


async def test_without_an_organizer_place_a_report_says_so_and_is_kept(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await make_app("memory")
    monkeypatch.setattr(type(app.settings), "has_organizer_place", lambda _self, _platform: False)
    memory = memory_of(app)
    ana = await onboard(memory, "ana", ANA)
    await memory.command(ana, "report")
    said = await memory.submit(ana, "x" * 1600)  # longer than before, within what is kept
    assert "kann ich sie nicht von selbst weitergeben" in said[-1].text
    await app.run_due()
    assert [r for r in memory.sent if r.place.kind == "organizers"] == []
    (report,) = await app.store.dump_table("reports")
    assert report["text"] == "x" * 1600


async def test_forget_leaves_the_member_id_in_no_scheduled_item_or_sent_record(
    make_app: AppFactory,
) -> None:
    pair = await pair_in_a_tandem(await make_app("memory"))
    memory, app = pair.memory, pair.app
    ana_id = (await record(app, "ana")).id
    await memory.command(pair.ana, "forget")
    await memory.pick(pair.ana, "forget")
    await app.run_due()
    for row in await app.store.dump_table("due_items"):
        named = [row["payload"].get(key) for key in ("by", "members", "tell")]
        assert ana_id not in [*named, *(named[1] or []), *(named[2] or [])], row
    sent = [row["key"] for row in await app.store.dump_table("adapter_state")]
    assert not [key for key in sent if key.startswith("sent:") and key.endswith(f"-{ana_id}")]
    # Ben was still told, without a name.
    assert memory.texts(pair.ben)[-1].startswith("Your tandem has ended: your tandem partner")


async def test_mydata_says_in_words_who_paused_the_tandem_and_until_when(
    make_app: AppFactory,
) -> None:
    pair = await pair_in_a_tandem(await make_app("memory"))
    await pair.memory.command(pair.ana, "pause", "in 3 Wochen")
    await pair.memory.command(pair.ben, "mydata")
    markdown = pair.memory.files[-1].content.decode()
    assert "- Ana: paused by your tandem partner until January 26, 2026" in markdown
    assert "your answer: let's do it" in markdown


async def test_a_paused_tandem_asks_nothing_about_its_agreement_until_it_goes_on(
    make_app: AppFactory,
) -> None:
    pair = await pair_in_a_tandem(await make_app("memory"))
    memory, app = pair.memory, pair.app
    await app.run_due()  # the agreement asks each partner for their part
    assert memory.last_ask(pair.ana).question.id.startswith("agreement.")
    await memory.command(pair.ana, "pause", "in 3 Wochen")
    # After pausing, and after any other command, no agreement question comes back.
    said = await memory.command(pair.ana, "profile")
    assert not [r for r in said if r.text.startswith("Zurück zu /tandem agreement")]
    asked = [r.intent.question.id for r in said if isinstance(r.intent, Ask)]
    assert not [question for question in asked if question.startswith("agreement.")]
    await app.run_due()
    assert not await app.store.conversations.suspended_for((await record(app, "ana")).id)
    await memory.command(pair.ana, "resume")
    await app.run_due()
    assert memory.last_ask(pair.ana).question.id.startswith("agreement.")
