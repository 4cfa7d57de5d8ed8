"""What every resource namespace shares: the pipeline it sends through, and being traced.

Every public method of a subclass runs as a telemetry operation named
``connectsafely {namespace}.{method}`` (`_telemetry.trace_methods`, applied as each
class is defined), so a new namespace needs nothing for its calls to show in traces.
"""

from __future__ import annotations

from typing import Any, TypeVar

from .. import _validate as check
from .._errors import APIResponseValidationError
from .._http import HttpCore
from .._serde import DecodeError, structure
from .._telemetry import trace_methods

__all__ = ["Resource", "decode_part"]

T = TypeVar("T")


def decode_part(data: object, cls: type[T], path: str) -> T:
    """Decode one part of a response body already read (e.g. ``$.profile``) into ``cls``.

    For models that keep their JSON object as ``raw`` beside the decoded fields: the
    pipeline hands back the object, this decodes it with the same rules, and a part
    that does not fit raises `APIResponseValidationError` naming the JSON path.
    """
    try:
        return structure(data, cls)
    except DecodeError as exc:
        where = path + exc.path[1:]
        raise APIResponseValidationError(
            f"Unexpected response body: {where}: {exc.reason}", body=data
        ) from None


class Resource:
    """Base of ``client.conversations`` and friends: holds the client's pipeline."""

    __slots__ = ("_core",)

    def __init__(self, core: HttpCore) -> None:
        self._core = core

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        trace_methods(cls)

    def _account(self, account_id: str | None) -> str | None:
        """The call's ``account_id`` if given, else the client's default (may be None)."""
        if account_id is None:
            return self._core.config.account_id
        return check.account_id(account_id)

    def _account_params(self, account_id: str | None) -> dict[str, str]:
        """``{"accountId": ...}`` for the call's account, or nothing when there is none."""
        account = self._account(account_id)
        return {} if account is None else {"accountId": account}

    def _body_with_account(self, account_id: str | None, **fields: Any) -> dict[str, Any]:
        """A JSON body of ``fields``, led by the call's ``accountId`` when there is one."""
        return {**self._account_params(account_id), **fields}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {str(self._core.config.base_url)!r}>"
