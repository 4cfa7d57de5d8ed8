"""The public surface and the shape of the house, guarded.

- `connectsafely.__all__` is exactly the documented names, each importable and
  documented (a removed or renamed export breaks users; an accidental one becomes API).
- The package's imports (all of them, also inside functions and ``TYPE_CHECKING``
  blocks) form no cycle, and no module imports another module's private (underscore)
  names, except within one subpackage.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import connectsafely

PACKAGE = Path(connectsafely.__file__).parent

PUBLIC = {
    # the client and its configuration
    "AsyncClient",
    "AioHttpClient",
    "RateLimit",
    "Limits",
    "MessagingChannel",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONCURRENT_REQUESTS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "__version__",
    # models
    "Attachment",
    "Message",
    "MessagesPage",
    "Participant",
    "SendResult",
    "SentMessage",
    "AccountQuota",
    "Quota",
    "InMailCredits",
    "EmailSupport",
    "MarkAllReadResult",
    "MarkSeenResult",
    "TypingIndicatorResult",
    "SalesNavMarkReadResult",
    "SalesNavSendResult",
    "SalesNavThread",
    "SalesNavThreadsPage",
    "AccountSyncStatus",
    "Conversation",
    "ConversationActionResult",
    "ConversationExists",
    "ConversationsPage",
    "DeleteMessageResult",
    "InboxAccount",
    "LatestMessage",
    "ReactionResult",
    "RefreshResult",
    "SyncResult",
    "SyncState",
    "SyncStatus",
    "MediaDownload",
    "SavedMedia",
    "AsyncPager",
    # the network: profiles, invitations, accounts
    "Profile",
    "ProfileLocation",
    "GeoLocation",
    "BirthDate",
    "Experience",
    "Education",
    "Skill",
    "ProfileVisit",
    "Relationship",
    "Invitation",
    "InvitationProfile",
    "InvitationRequest",
    "InvitationResult",
    "InvitationActionResult",
    "InvitationsPage",
    "LinkedInAccount",
    "LinkedInPlan",
    "AccountStatus",
    # bulk
    "BulkSend",
    "BulkSummary",
    "Progress",
    "SendOutcome",
    "SendRequest",
    "collect_in_order",
    # errors
    "ConnectSafelyError",
    "ConfigurationError",
    "PaginationError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "QuotaExceededError",
    "StoreError",
    "SendInProgressError",
    "ProspectRepliedError",
    "SendInDoubtError",
    "InternalServerError",
    "OperationFailedError",
}


def test_connectsafely_exports_exactly_the_documented_names() -> None:
    assert set(connectsafely.__all__) == PUBLIC
    assert len(connectsafely.__all__) == len(PUBLIC)  # no name listed twice


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_every_public_name_resolves_and_is_documented(name: str) -> None:
    value = getattr(connectsafely, name)
    if inspect.isclass(value) or inspect.isfunction(value):
        assert inspect.getdoc(value), f"{name} has no docstring"
        assert value.__module__.startswith("connectsafely")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(module: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names) for every import in the module, wherever it stands:
    at the top, inside functions and under ``if TYPE_CHECKING:`` alike, since each is
    an edge a reader has to follow."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    imports = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            imports.append((base, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            imports.extend((alias.name, []) for alias in node.names)
    return imports


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, names in _imports(name, path):
            for candidate in [f"{target}.{n}" for n in names] + [target]:
                if candidate in modules and candidate != name:
                    graph[name].add(candidate)
                    break
    return graph


def test_the_import_graph_has_no_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node, [node])
    assert cycles == []


def _subpackage(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else module


def test_no_private_name_is_imported_across_subpackages() -> None:
    modules = _modules()
    offenders = []
    for name, path in modules.items():
        for base, names in _imports(name, path):
            if not base.startswith("connectsafely"):
                continue
            for imported in names:
                private = imported.startswith("_") and not imported.startswith("__")
                is_module = f"{base}.{imported}" in modules  # rooms, not their contents
                if private and not is_module and _subpackage(base) != _subpackage(name):
                    offenders.append(f"{name}: from {base} import {imported}")
    assert offenders == []


def test_every_module_is_importable() -> None:
    for name in _modules():
        if name.endswith("aiohttp"):
            pytest.importorskip("aiohttp")
        importlib.import_module(name)
