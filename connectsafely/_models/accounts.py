"""Models of the account endpoints: usage quotas (and, later, InMail credits)."""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["AccountQuota", "InMailCredits", "Quota"]


@attrs.frozen
class Quota:
    """One feature's usage in its current window (an element of `AccountQuota.quotas`).

    Attributes:
        feature: What is counted, e.g. ``"CONNECT"``, ``"PROFILE_VIEW"`` (an open set).
        window: ``"daily"`` (resets 00:00 UTC) or ``"weekly"`` (Monday 00:00 UTC).
        used: Calls counted in the window, from every source (API, MCP, automations).
        limit: ConnectSafely's ceiling: calls get 429 once ``used`` reaches it.
        linkedin_limit: LinkedIn's own (higher) ceiling, for information.
        remaining: ``limit - used``, never below 0.
        limit_reached: True when *LinkedIn itself* refused this feature in the window
            (not the same as ``remaining == 0``).
        limit_reached_at: When LinkedIn refused it, if it did.
        reset_at: When the window resets (aware UTC).
    """

    feature: str | None = None
    window: str | None = None
    used: int | None = None
    limit: int | None = None
    linkedin_limit: int | None = None
    remaining: int | None = None
    limit_reached: bool | None = None
    limit_reached_at: datetime | None = None
    reset_at: datetime | None = None


@attrs.frozen
class AccountQuota:
    """``GET /linkedin/account/{accountId}/quota``: every counted feature of one account.

    Attributes:
        account_id: The account.
        quotas: One `Quota` per feature.
    """

    account_id: str | None = None
    quotas: tuple[Quota, ...] = ()

    def get(self, feature: str) -> Quota | None:
        """The quota of ``feature`` (e.g. ``"CONNECT"``), or ``None`` if not listed."""
        return next((quota for quota in self.quotas if quota.feature == feature), None)


@attrs.frozen
class InMailCredits:
    """``GET /linkedin/inmail/credits``: the InMail credits an account has left.

    Non-premium accounts get 0 credits rather than an error; read `premium_type`.

    Attributes:
        in_mail_credits: Credits available now.
        total_credits: The period's total (Sales Navigator only).
        used_credits: Credits used in the period (Sales Navigator only).
        entity_urn: The URN of the credits entity (format undocumented).
        account_id: The account asked about.
        premium_type: ``SALES_NAVIGATOR``, ``BUSINESS_PREMIUM``, ``RECRUITER``, ``FREE`` or
            ``UNKNOWN`` (kept as the API sends it: new values are not an error).
        message: Extra information, e.g. for non-premium accounts.
    """

    in_mail_credits: int | None = None
    total_credits: int | None = None
    used_credits: int | None = None
    entity_urn: str | None = None
    account_id: str | None = None
    premium_type: str | None = None
    message: str | None = None
