"""``client.conversations``: send messages, read and manage conversations, download media.

One namespace, one class, composed of one base per concept: sending
(`_conversations_sending`), reading and the server's store (`_conversations_reading`),
thread actions and read state (`_conversations_actions`), media (`_conversations_media`).
Each method maps its arguments to the wire (checked by `_validate`), makes one call
through the client's pipeline (`_http`) and returns a model (`_models`); what a send
needs beyond that (limits scope, ledger, read-back) is in `_sending`, the batch runner in
`_bulk`.

Idempotency: the pipeline puts an ``Idempotency-Key`` on every POST, the same on each
retry of a call. PATCH (``star``, ``unstar``, ``mark_unread``) and DELETE
(``delete_message``) carry none: they set a state, so repeating one is harmless. The one
visible effect: a retried ``delete_message`` whose first attempt went through but whose
answer was lost gets a `NotFoundError`, because the message is already gone.
"""

from __future__ import annotations

from ._conversations_actions import _ThreadActions
from ._conversations_media import _Media
from ._conversations_reading import _Reading
from ._conversations_sending import _Sending

__all__ = ["Conversations"]


# The bases are listed last-first: the reference shows inherited methods base by base from
# the far end of the MRO, so this order documents them as sending, reading, actions, media.
class Conversations(_Media, _ThreadActions, _Reading, _Sending):
    """Send LinkedIn messages and read conversations (``client.conversations``).

    Every method checks its arguments first: a bad one raises `ValueError` or
    `TypeError` naming it, and nothing is sent. URNs are taken exactly as the API gave
    them (``urn:li:...``) and percent-encoded for you; ``account_id`` defaults to the
    client's everywhere. Server faults raise the typed errors of `connectsafely` after
    the client's retries.
    """

    __slots__ = ()
