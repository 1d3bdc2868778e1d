"""Prompt ids: how an answer names the question it answers.

A prompt id is ``"<conversation id>.<step_seq>"``. Adapters put it into what they render (a
Discord custom_id, a Matrix record of the question's event), and send it back with the answer;
the kernel then knows whether the answer is for the current step, an older one (stale) or
someone else's conversation. It survives restarts because both numbers are in the database.
"""

from __future__ import annotations


def make_prompt_id(conversation_id: int, step_seq: int) -> str:
    return f"{conversation_id}.{step_seq}"


def parse_prompt_id(raw: str) -> tuple[int, int] | None:
    """(conversation id, step_seq), or None when ``raw`` is not a prompt id."""
    conversation_id, _, seq = raw.partition(".")
    if conversation_id.isdigit() and seq.isdigit():
        return int(conversation_id), int(seq)
    return None
