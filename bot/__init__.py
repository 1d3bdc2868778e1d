"""Tandem's kernel: the neutral model, the router, i18n, the clock, config, the CLI and app wiring.

It knows no platform: adapters (``adapters/``) translate platform events into the neutral
events of :mod:`bot.events` and render the intents of :mod:`bot.intents`; flows (``flows/``)
hold the conversations. See ``docs/architecture.md`` for the path of one message.
"""
