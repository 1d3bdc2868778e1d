"""``report`` and the organizers' answers to it on the memory adapter: the report reaches the
organizers' place and nobody else, the member is thanked and pointed to counselling, and
organizers (only they) can end the tandem or take the reported member out of the program."""

from __future__ import annotations

import pytest

from bot.places import PlaceKind
from tests.conftest import AppFactory, memory_of
from tests.support.rounds import (
    CLEO,
    closed_spaces,
    onboard,
    status,
    to_organizers,
)
from tests.support.tandem_pair import Pair, pair_in_a_tandem


@pytest.fixture
async def pair(make_app: AppFactory) -> Pair:
    app = await make_app("memory", program={"counselling": "TelefonSeelsorge, 0800 111 0 111"})
    return await pair_in_a_tandem(app)


async def report_about_partner(pair: Pair, text: str) -> list[str]:
    memory = pair.memory
    await memory.command(pair.ana, "report")
    assert memory.last_ask(pair.ana).question.id == "report.ask_what"
    await memory.submit(pair.ana, text)
    assert memory.last_ask(pair.ana).question.id == "report.ask_about"
    said = [r.text for r in await memory.pick(pair.ana, "partner")]
    # The agreement the report put on hold is taken up again after the thanks.
    return [text for text in said if text.startswith("Danke, dass du uns Bescheid sagst")]


async def test_a_report_reaches_the_organizers_only_and_points_to_counselling(
    pair: Pair,
) -> None:
    memory, app = pair.memory, pair.app
    ben_seen = len(memory.received(pair.ben))
    thanks = await report_about_partner(pair, "Ben kept making remarks about my accent.")
    assert thanks == [
        "Danke, dass du uns Bescheid sagst – das braucht Mut. Die Organisator:innen haben deine "
        "Meldung (Nr. 1) und melden sich bei dir, falls nötig; sonst erfährt niemand davon.\n"
        "Wenn dich das Erlebte belastet, sprich gern mit einer professionellen Beratungsstelle: "
        "Bei sensiblen Themen kann sie mehr helfen als jedes Tandem. Hier erreichst du eine: "
        "TelefonSeelsorge, 0800 111 0 111"
    ]
    assert to_organizers(memory) == []  # posted by its due item, which runs next
    await app.run_due()
    (posted,) = to_organizers(memory)
    tandem = await pair.tandem()
    assert posted == (
        "🚩 Report no. 1 from Ana (ana):\n\nBen kept making remarks about my accent.\n\n"
        f"It is about Ben (ben), tandem no. {tandem.id}. To end that tandem: /tandem-admin end "
        f"{tandem.id}. To remove Ben from the program: /tandem-admin remove 1."
    )
    # Nothing reached Ben, in his DM or in the pair space; the tandem goes on.
    assert memory.received(pair.ben)[ben_seen:] == []
    assert not [r for r in memory.sent if "accent" in r.text and r.place.kind != "organizers"]
    assert tandem.state == "active"
    report = await app.store.reports.get("memory", 1)
    assert report is not None
    assert report.about_id == (await pair.record(pair.ben)).id


async def test_a_report_about_something_else_names_nobody(make_app: AppFactory) -> None:
    app = await make_app("memory")
    pair = await pair_in_a_tandem(app)
    await pair.memory.command(pair.ana, "report")
    await pair.memory.submit(pair.ana, "The community room feels hostile lately.")
    thanks = [r.text for r in await pair.memory.pick(pair.ana, "other")]
    # No counselling contact configured: a general pointer, no dangling space.
    assert thanks[0].endswith("die TelefonSeelsorge unter 0800 111 0 111.")
    await app.run_due()
    (posted,) = to_organizers(pair.memory)
    assert posted.startswith("🚩 Report no. 1 from Ana (ana):\n\nThe community room feels")
    assert "It is about" not in posted
    refused = await pair.memory.admin(pair.olga, "remove", "1")
    assert refused[0].text.startswith("Report no. 1 isn't about a member who's still here")


async def test_without_a_tandem_the_report_asks_only_what_happened(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    cleo = await onboard(memory, "cleo", CLEO)
    await memory.command(cleo, "report")
    said = await memory.submit(cleo, "Someone in the community room keeps messaging me.")
    assert said[-1].text.startswith("Thank you for telling us — that takes courage.")
    await app.run_due()
    (posted,) = to_organizers(memory)
    assert "It is about" not in posted


async def test_an_organizer_ends_a_tandem_and_both_are_told_kindly(pair: Pair) -> None:
    memory, app = pair.memory, pair.app
    tandem = await pair.tandem()
    refused = await memory.admin(pair.ana, "end", str(tandem.id))
    assert refused[0].text.startswith('"/tandem-admin end" können nur Organisator:innen')
    assert (await pair.tandem()).state == "active"

    seen = {who.user_id: len(memory.received(who)) for who in (pair.ana, pair.ben)}
    done = await memory.admin(pair.olga, "end", f"#{tandem.id}")
    assert done[0].place.user_id == "olga"
    assert done[0].text == (
        f"Tandem no. {tandem.id} (Ana & Ben) has ended. I've told both kindly, without reasons; "
        "they're first in line in the next match round and won't be matched with each other "
        "again."
    )
    await app.run_due()
    assert pair.said_to(pair.ana, seen["ana"]) == ["ending.by_organizers"]
    assert memory.texts(pair.ben)[-1].startswith("The organizers have ended your tandem with Ana.")
    assert closed_spaces(memory) == [pair.space]
    assert await status(app.store, "ana") == await status(app.store, "ben") == "waiting"
    again = await memory.admin(pair.olga, "end", str(tandem.id))
    assert again[0].text == f"Tandem no. {tandem.id} has already ended."
    assert (await memory.admin(pair.olga, "end", "999"))[0].text == (
        "There's no tandem no. 999 in this community."
    )


async def test_an_organizer_removes_the_reported_member_after_a_report(pair: Pair) -> None:
    memory, app = pair.memory, pair.app
    await report_about_partner(pair, "Ben threatened me.")
    await app.run_due()
    refused = await memory.admin(pair.ana, "remove", "1")
    assert refused[0].text.startswith('"/tandem-admin remove" können nur Organisator:innen')
    assert await status(app.store, "ben") == "in_tandem"

    ana_seen = len(memory.received(pair.ana))
    done = await memory.admin(pair.olga, "remove", "1")
    assert [r.place.user_id for r in done] == ["olga", "ben"]
    assert done[0].text.startswith("Ben is no longer part of the program: their tandem has ended")
    assert done[1].text.startswith("The organizers have ended your participation")
    await app.run_due()
    assert pair.said_to(pair.ana, ana_seen) == ["ending.partner_left"]
    assert await status(app.store, "ben") == "left"
    assert await status(app.store, "ana") == "waiting"
    space = memory.world.spaces[pair.space]
    assert space.closed
    assert space.removed == ["ben"]
    # Ana blocked him by the report: even joining anew, he is never matched with her.
    ana, ben = await pair.record(pair.ana), await pair.record(pair.ben)
    assert await app.store.blocks.between(ana, ben)
    again = await memory.admin(pair.olga, "remove", "1")
    assert again[0].text == "Ben has already left the program."


async def test_the_organizer_place_is_where_reports_go_on_every_platform(pair: Pair) -> None:
    await report_about_partner(pair, "Something happened.")
    await pair.app.run_due()
    posted = [r for r in pair.memory.sent if r.place.kind == PlaceKind.ORGANIZERS]
    assert len(posted) == 1
    assert posted[0].place.platform == "memory"
    assert not posted[0].intent.private
