"""Models of the account endpoints: the accounts, their status, usage quotas, InMail credits."""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = [
    "AccountQuota",
    "AccountStatus",
    "InMailCredits",
    "LinkedInAccount",
    "LinkedInPlan",
    "Quota",
]


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


@attrs.frozen
class LinkedInAccount:
    """One LinkedIn account of the workspace (an element of ``client.accounts.list()``).

    Attributes:
        account_id: Its 24-hex id (the API's ``id``), what ``account_id=`` arguments take.
        first_name: The owner's first name.
        last_name: The owner's last name.
        public_id: The owner's vanity slug.
        picture: A picture URL, or ``None``.
        status: ``"AVAILABLE"``, ``"WARMUP"``, ``"ERROR"``, ``"UNKNOWN"``, ... (an open set).
        enabled: Automation is enabled for it.
        api_seat_allocated: The API key's owner holds an API seat for it.
    """

    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    public_id: str | None = None
    picture: str | None = None
    status: str | None = None
    enabled: bool | None = None
    api_seat_allocated: bool | None = None


@attrs.frozen
class LinkedInPlan:
    """An account's LinkedIn subscription (``AccountStatus.linkedin_plan``, cached 12 h).

    Attributes:
        premium_type: E.g. ``"SALES_NAVIGATOR"``, ``"BUSINESS_PREMIUM"``, ``"FREE"``.
        is_premium: Any premium plan.
        has_sales_navigator: Sales Navigator.
        has_recruiter: Recruiter.
        has_away_messages: Away messages.
        has_advertise_badge: The advertise badge.
        has_hiring_manager: Hiring manager features.
    """

    premium_type: str | None = None
    is_premium: bool | None = None
    has_sales_navigator: bool | None = None
    has_recruiter: bool | None = None
    has_away_messages: bool | None = None
    has_advertise_badge: bool | None = None
    has_hiring_manager: bool | None = None


@attrs.frozen
class AccountStatus:
    """How one LinkedIn account is doing (``client.accounts.status``).

    Attributes:
        account_id: Its 24-hex id (the API's ``id``).
        first_name: The owner's first name.
        last_name: The owner's last name.
        public_id: The owner's vanity slug.
        platform: E.g. ``"ConnectSafely"``.
        status: ``"AVAILABLE"``, ``"IN_USE"``, ``"WARMUP"``, ``"ERROR"``, ... (an open set).
        enabled: Automation is enabled for it.
        last_used: Its last activity.
        has_tokens: Its LinkedIn session is valid.
        linkedin_plan: Its subscription (`LinkedInPlan`), for ``AVAILABLE`` and
            ``WARMUP`` accounts only.
    """

    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    public_id: str | None = None
    platform: str | None = None
    status: str | None = None
    enabled: bool | None = None
    last_used: datetime | None = None
    has_tokens: bool | None = None
    linkedin_plan: LinkedInPlan | None = None
