"""client.attachments: uploads."""
