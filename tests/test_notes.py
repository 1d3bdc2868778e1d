"""Learning notes on the memory adapter: ``note <text>`` keeps one at once, plain ``note``
lists them (newest first) and deletes one; notes are in ``mydata`` and gone after ``forget``."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.clock import FakeClock
from bot.intents import AttachFile
from tests.conftest import AppFactory, memory_of
from tests.support.rounds import ANA, onboard


async def test_notes_are_kept_listed_deleted_exported_and_forgotten(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    ana = await onboard(memory, "ana", ANA)

    said = await memory.command(ana, "note")
    assert said[-1].text.startswith("📓 Dein Notizbuch ist noch leer.")
    assert [o.id for o in memory.last_ask(ana).options] == ["write", "done"]
    await memory.pick(ana, "write")
    said = await memory.submit(ana, "Timeboxing hilft mir beim Planen")
    assert said[-1].text.startswith("📓 Notiert! Nur du kannst es sehen.")

    clock.advance(timedelta(days=1))
    said = await memory.command(ana, "note", "Frage", "an", "Ben:", "Folien", "oder", "frei?")
    assert said[-1].text.startswith("📓 Notiert!")
    said = await memory.command(ana, "note")
    listed = said[-1].text
    assert listed.startswith("📓 Deine Notizen (2, die neuesten zuerst; nur du siehst sie):")
    assert listed.index("Frage an Ben: Folien oder frei?") < listed.index("Timeboxing hilft")

    await memory.pick(ana, "delete")
    options = memory.last_ask(ana).options
    first = memory.translator.render(options[-1].label, "de")
    assert first.endswith("Timeboxing hilft mir beim Planen")
    said = await memory.pick(ana, options[-1].id)
    assert said[-1].text == "🗑️ Gelöscht. Die Notiz ist endgültig weg."
    member = await app.store.members.find("memory", "memory", "ana")
    assert member is not None
    assert [n.text for n in await app.store.notes.of(member.id)] == [
        "Frage an Ben: Folien oder frei?"
    ]

    # In mydata (both copies), gone after forget.
    files = [r.intent for r in await memory.command(ana, "mydata")]
    json_file, markdown = [f for f in files if isinstance(f, AttachFile)]
    assert [n["text"] for n in json.loads(json_file.content)["notes"]] == [
        "Frage an Ben: Folien oder frei?"
    ]
    assert "## Deine Notizen" in markdown.content.decode()
    assert "Frage an Ben: Folien oder frei?" in markdown.content.decode()
    await memory.command(ana, "forget")
    await memory.pick(ana, "forget")
    assert await app.store.notes.of(member.id) == []
    for table in await app.store.table_names():
        dumped = json.dumps(await app.store.dump_table(table), default=str, ensure_ascii=False)
        assert "Folien oder frei" not in dumped, table
