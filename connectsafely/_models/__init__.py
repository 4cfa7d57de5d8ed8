"""Response models and request data: frozen, slotted attrs classes.

- `messages`: sending, reading and uploading (loaded by ``import connectsafely``);
- `inbox`: conversation lists, the exists check, sync and thread actions;
- `bulk`: `send_many`'s requests, outcomes, progress and summary.

Nothing is imported here, so each module loads only when something uses it.
"""
