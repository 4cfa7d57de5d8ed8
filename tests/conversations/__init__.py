"""client.conversations: send, bulk send, messages, the inbox list and actions, media, URNs."""
