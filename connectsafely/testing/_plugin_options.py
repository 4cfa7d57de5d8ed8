"""The pytest plugin's marker: ``@pytest.mark.connectsafely(...)`` merged and applied.

Markers on the module, the class and the test merge per argument, the nearest winning
(`plugin_options`); `new_fake` builds the test's fake from the result. Only the
public names of `connectsafely` and `connectsafely.testing` are used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs
import pytest

from .. import Limits
from . import FakeClock, FakeConnectSafely

__all__ = ["MARKER_ARGUMENTS", "PluginOptions", "new_fake", "plugin_options"]

MARKER_ARGUMENTS = ("strict", "accounts", "sales_navigator", "limits", "now")
"""What ``@pytest.mark.connectsafely(...)`` takes (keywords only)."""


@attrs.frozen
class PluginOptions:
    """One test's merged marker arguments.

    Attributes:
        strict: Fail the test on leftovers (see `_plugin_strict.leftovers`).
        accounts: Extra accounts to connect: ids, or keyword arguments of
            `FakeConnectSafely.add_account`.
        sales_navigator: Give the default account a Sales Navigator subscription.
        limits: The limits the fake enforces (``None``: none beyond the daily quota).
        now: Freeze the fake's clock at this moment (aware datetime or epoch seconds).
    """

    strict: bool = True
    accounts: tuple[str | Mapping[str, Any], ...] = ()
    sales_navigator: bool = False
    limits: Limits | None = None
    now: datetime | float | None = None


def plugin_options(node: pytest.Item, strict_default: object) -> PluginOptions:
    """Merge the ``connectsafely`` markers of ``node`` (test, class, module: nearest
    first) into checked `PluginOptions`; ``strict_default`` is the ini setting.

    Raises:
        TypeError: A positional argument, an unknown keyword or a value of the wrong type
            (the message names the marker argument).
        ValueError: A naive ``now`` or a negative number of accounts.
    """
    merged: dict[str, Any] = {}
    for mark in node.iter_markers("connectsafely"):
        if mark.args:
            raise TypeError(
                "@pytest.mark.connectsafely takes keyword arguments only "
                f"({', '.join(a + '=' for a in MARKER_ARGUMENTS)}), got {mark.args!r}"
            )
        for name, value in mark.kwargs.items():
            if name not in MARKER_ARGUMENTS:
                raise TypeError(
                    f"@pytest.mark.connectsafely got an unknown argument {name!r}; it takes "
                    f"{', '.join(MARKER_ARGUMENTS)}"
                )
            merged.setdefault(name, value)
    return PluginOptions(
        strict=_flag(merged.get("strict", strict_default), "strict"),
        accounts=_accounts(merged.get("accounts", ())),
        sales_navigator=_flag(merged.get("sales_navigator", False), "sales_navigator"),
        limits=_limits(merged.get("limits")),
        now=_now(merged.get("now")),
    )


def new_fake(options: PluginOptions) -> FakeConnectSafely:
    """A fresh fake seeded as ``options`` say: clock, accounts, Sales Navigator, limits."""
    clock = None if options.now is None else FakeClock(options.now)
    fake = FakeConnectSafely(clock=clock)
    for account in options.accounts:
        if isinstance(account, str):
            fake.add_account(account)
        else:
            fake.add_account(**account)
    if options.sales_navigator:
        fake.default_account.sales_navigator = True
    limits = options.limits
    if limits is not None:
        if limits.key is not None:
            fake.enforce_rate_limit(limits.key.limit, limits.key.per)
        if limits.account_writes is not None:
            fake.enforce_account_limit(limits.account_writes.limit, limits.account_writes.per)
        if limits.daily_new_conversations is not None:
            for seeded in fake.accounts.values():
                seeded.daily_quota = limits.daily_new_conversations
    return fake


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(
            f"@pytest.mark.connectsafely({name}=...) must be True or False, not {value!r}"
        )
    return value


def _accounts(value: object) -> tuple[str | Mapping[str, Any], ...]:
    """``accounts=``: a count, an id, or an iterable of ids and `add_account` keywords."""
    if isinstance(value, bool):
        raise TypeError("@pytest.mark.connectsafely(accounts=...) must not be a bool")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"@pytest.mark.connectsafely(accounts={value}) must not be negative")
        return tuple({} for _ in range(value))
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, Iterable):
        raise TypeError(
            "@pytest.mark.connectsafely(accounts=...) takes a count, account ids, or "
            f"mappings of add_account() arguments, not {type(value).__name__}"
        )
    accounts: list[str | Mapping[str, Any]] = []
    for item in value:
        if not isinstance(item, (str, Mapping)):
            raise TypeError(
                "@pytest.mark.connectsafely(accounts=...) items must be account ids (str) "
                f"or mappings of add_account() arguments, not {type(item).__name__}"
            )
        accounts.append(item)
    return tuple(accounts)


def _limits(value: object) -> Limits | None:
    """``limits=``: ``True`` for the API's published limits, a `connectsafely.Limits`,
    or ``None``/``False`` for none."""
    if value is None or value is False:
        return None
    if value is True:
        return Limits.documented()
    if not isinstance(value, Limits):
        raise TypeError(
            "@pytest.mark.connectsafely(limits=...) takes True (the documented limits), a "
            f"connectsafely.Limits or None, not {type(value).__name__}"
        )
    return value


def _now(value: object) -> datetime | float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                "@pytest.mark.connectsafely(now=...) must be an aware datetime "
                "(e.g. tzinfo=timezone.utc), not a naive one"
            )
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError("@pytest.mark.connectsafely(now=...) must be finite")
        return float(value)
    raise TypeError(
        "@pytest.mark.connectsafely(now=...) takes an aware datetime or epoch seconds, "
        f"not {type(value).__name__}"
    )
