"""Tandem on Matrix, built on matrix-nio with end-to-end encryption.

The package is split by concept; each module's docstring says what lives there:

``adapter``   the :class:`MatrixAdapter` (the port's implementation, inbound and outbound)
``session``   client configuration, login on a persistent device, the crypto store
``sync``      the sync loop, key maintenance, the queue of what arrived, saving the token
``translate`` reading messages and reactions; commands; malformed events
``content``   what the bot's messages contain (notices, numbered questions, escaping)
``places``    DMs, pair rooms, invites, organizers
``records``   what the adapter remembers in the store (DM rooms, questions, sync progress)
``retry``     bounded retries for rate limits and connection errors

Setup for operators: ``docs/matrix.md``.
"""

from __future__ import annotations

from adapters.matrix.adapter import MatrixAdapter

__all__ = ["MatrixAdapter"]
