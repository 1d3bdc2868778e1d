"""Platform adapters: the only code that imports a platform SDK.

Each adapter turns its platform's events into :mod:`bot.events` and renders
:mod:`bot.intents` as well as the platform allows (see :class:`bot.adapter.Adapter`).
``console`` is the embedded default; ``memory`` records everything for tests.
"""
