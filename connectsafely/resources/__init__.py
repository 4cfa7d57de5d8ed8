"""Resource namespaces: one module per group of endpoints (``client.<namespace>``)."""

from .accounts import Accounts
from .attachments import Attachments
from .conversations import Conversations
from .sales_navigator import SalesNavigator

__all__ = ["Accounts", "Attachments", "Conversations", "SalesNavigator"]
