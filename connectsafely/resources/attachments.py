"""``client.attachments``: upload files to attach to messages."""

from __future__ import annotations

from ._base import Resource

__all__ = ["Attachments"]


class Attachments(Resource):
    """Upload files for `Conversations.send` (``client.attachments``)."""

    __slots__ = ()
