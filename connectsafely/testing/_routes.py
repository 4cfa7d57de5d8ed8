"""Every endpoint of the fake, in matching order: the `Route` lists of the ``_routes_*``
modules gathered into one `ROUTES` for the core's router (`_routing.Router`).

Order only matters where two patterns match one path: ``GET .../exists/messages`` is the
messages of a conversation called "exists" (messages before inbox, as ever).
"""

from __future__ import annotations

from . import (
    _routes_account,
    _routes_actions,
    _routes_inbox,
    _routes_invitations,
    _routes_media,
    _routes_messages,
    _routes_network,
    _routes_read_state,
    _routes_sales_nav,
    _routes_send,
    _routes_sync,
    _routes_uploads,
)
from ._routing import Route

__all__ = ["ROUTES"]

ROUTES: list[Route] = [
    *_routes_send.ROUTES,
    *_routes_messages.ROUTES,
    *_routes_inbox.ROUTES,
    *_routes_sync.ROUTES,
    *_routes_actions.ROUTES,
    *_routes_media.ROUTES,
    *_routes_uploads.ROUTES,
    *_routes_account.ROUTES,
    *_routes_read_state.ROUTES,
    *_routes_sales_nav.ROUTES,
    *_routes_network.ROUTES,
    *_routes_invitations.ROUTES,
]
