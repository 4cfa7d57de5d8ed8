"""Resource namespaces: one module per group of endpoints (``client.<namespace>``)."""

from .attachments import Attachments
from .conversations import Conversations

__all__ = ["Attachments", "Conversations"]
