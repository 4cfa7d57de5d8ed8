"""Resource namespaces: one module per group of endpoints (``client.<namespace>``)."""

from .accounts import Accounts
from .attachments import Attachments
from .conversations import Conversations
from .invitations import Invitations
from .profiles import Profiles
from .sales_navigator import SalesNavigator

__all__ = ["Accounts", "Attachments", "Conversations", "Invitations", "Profiles", "SalesNavigator"]
