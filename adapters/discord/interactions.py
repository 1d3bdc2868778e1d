"""Answering Discord interactions in place, within Discord's deadlines.

Discord wants every interaction acknowledged within 3 seconds and lets its token be used for
15 minutes. A :class:`Reply` wraps one live interaction while the event it became is handled:

* the first answer that belongs where the interaction happened uses the interaction response
  (ephemeral when only the member should see it), later ones are follow-ups; a free-text question
  may be answered with a form (modal), which must be the response itself;
* :meth:`Reply.acknowledge_later` runs beside the handling and defers the interaction if nothing
  has answered it shortly before the deadline, so a slow database never shows "interaction
  failed";
* when the handling is over the adapter drops the :class:`Reply`: nothing ever uses a token after
  that, so long conversations continue as ordinary DM messages.

One lock per interaction keeps the deferral and a real answer from racing each other.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import discord

from bot.places import Place, PlaceKind

log = logging.getLogger(__name__)

#: The interaction is deferred if nothing answered it this long after it arrived (Discord: 3 s).
ACKNOWLEDGE_AFTER_SECONDS = 2.0
NO_MENTIONS = discord.AllowedMentions.none()


class Reply:
    def __init__(
        self,
        interaction: discord.Interaction[Any],
        *,
        acknowledge_after: float = ACKNOWLEDGE_AFTER_SECONDS,
    ) -> None:
        self.interaction = interaction
        self.acknowledge_after = acknowledge_after
        #: The clicked question, retired: applied by :meth:`finish` with the click's response.
        self.retired_view: discord.ui.View | None = None
        self.in_dm = interaction.guild_id is None
        self.received = time.monotonic()
        self.lock = asyncio.Lock()
        self.deferred_thinking = False
        self.original_used = False
        self.form_sent = False

    @property
    def is_command(self) -> bool:
        return self.interaction.type is discord.InteractionType.application_command

    @property
    def done(self) -> bool:
        return self.interaction.response.is_done()

    @property
    def can_open_form(self) -> bool:
        return not self.done and self.interaction.type in (
            discord.InteractionType.application_command,
            discord.InteractionType.component,
        )

    @property
    def owes_first_answer(self) -> bool:
        """A command's first in-place answer goes into its response (or its "thinking" message)."""
        if not self.is_command or self.form_sent:
            return False
        return not self.done or (self.deferred_thinking and not self.original_used)

    def here(self, target: Place) -> bool:
        """Whether a message for ``target`` belongs where the interaction happened."""
        if self.in_dm:
            return target.kind == PlaceKind.DM and target.user_id == str(self.interaction.user.id)
        return target.kind != PlaceKind.DM and target.channel_id == str(self.interaction.channel_id)

    def ephemeral_for(self, *, private: bool, transient: bool) -> bool:
        """Only the member sees it: it changed nothing, or it is private in a shared channel."""
        return transient or (private and not self.in_dm)

    async def send(
        self,
        content: str,
        *,
        ephemeral: bool,
        view: discord.ui.View | None = None,
        file: discord.File | None = None,
    ) -> discord.Message | None:
        """Answer in place; the message, or None when Discord did not return one."""
        extra: dict[str, Any] = {}
        if view is not None:
            extra["view"] = view
        async with self.lock:
            response = self.interaction.response
            if not response.is_done():
                if file is not None:
                    extra["file"] = file
                result = await response.send_message(
                    content, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, **extra
                )
                resource = result.resource
                return resource if isinstance(resource, discord.Message) else None
            if self.deferred_thinking and not self.original_used:
                self.original_used = True
                if file is not None:
                    extra["attachments"] = [file]
                return await self.interaction.edit_original_response(
                    content=content, allowed_mentions=NO_MENTIONS, **extra
                )
            if file is not None:
                extra["file"] = file
            return await self.interaction.followup.send(
                content, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, wait=True, **extra
            )

    async def open_form(self, form: discord.ui.Modal) -> bool:
        async with self.lock:
            if not self.can_open_form:
                return False
            await self.interaction.response.send_modal(form)
            self.form_sent = True
            return True

    async def acknowledge_later(self) -> None:
        """Defer the interaction if nothing has answered it shortly before Discord's deadline."""
        waited = time.monotonic() - self.received
        await asyncio.sleep(max(0.0, self.acknowledge_after - waited))
        # Shielded: once the deferral is on its way, finishing the handling must not cut it off.
        await asyncio.shield(self._defer_unless_answered())

    async def _defer_unless_answered(self) -> None:
        async with self.lock:
            if not self.done:
                log.info("deferring a slow interaction %s", self.interaction.id)
                await self._defer()

    async def _defer(self) -> None:
        if self.is_command:
            await self.interaction.response.defer(ephemeral=not self.in_dm, thinking=True)
            self.deferred_thinking = True
        else:
            await self.interaction.response.defer()

    async def finish(
        self, *, updated_view: discord.ui.View | None, notice: str, received: str
    ) -> None:
        """Acknowledge what nothing answered: update the clicked message, or say something.

        ``updated_view`` (the clicked question, retired) becomes the response when nothing else
        used it; after a deferral or an answer in place the message is edited instead.
        ``notice`` answers a command whose replies all went elsewhere (e.g. to the DM);
        ``received`` a form that was not opened from a message (nothing to update in place).
        """
        async with self.lock:
            response = self.interaction.response
            if response.is_done() and updated_view is not None and self.interaction.message:
                await self.interaction.message.edit(view=updated_view)
            if not response.is_done():
                if updated_view is not None and self.interaction.message is not None:
                    await response.edit_message(view=updated_view)
                elif self.is_command or self.interaction.message is None:
                    text = notice if self.is_command else received
                    await response.send_message(
                        text, ephemeral=not self.in_dm, allowed_mentions=NO_MENTIONS
                    )
                else:
                    await response.defer()
            elif self.deferred_thinking and not self.original_used:
                self.original_used = True
                await self.interaction.edit_original_response(
                    content=notice, allowed_mentions=NO_MENTIONS
                )
