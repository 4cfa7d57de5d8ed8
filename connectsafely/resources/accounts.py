"""``client.accounts``: what the connected LinkedIn accounts may still do."""

from __future__ import annotations

from .. import _validate as check
from .._models.accounts import AccountQuota, InMailCredits
from ._base import Resource

__all__ = ["Accounts"]


class Accounts(Resource):
    """Account-level information (``client.accounts``)."""

    __slots__ = ()

    async def quota(self, account_id: str | None = None) -> AccountQuota:
        """How much of each counted feature an account has used in its current window.

        ``GET /linkedin/account/{accountId}/quota``. Reading it calls nothing on LinkedIn
        and consumes nothing, but ``/account/*`` calls are limited to 10 a minute per
        account, so poll no more often than that.

        Examples:
            >>> quota = await client.accounts.quota("696ce9e780e0483585e4e553")  # doctest: +SKIP
            >>> connect = quota.get("CONNECT")  # doctest: +SKIP

        Args:
            account_id: The account (its 24-hex id); defaults to the client's. The path
                needs one: there is no server-side default here.

        Returns:
            An `AccountQuota` with one `Quota` per feature.

        Raises:
            ValueError: No account id was given and the client has none (before any
                request), or it is blank.
            NotFoundError: The account does not exist or is not yours.
        """
        account = self._account(account_id)
        if account is None:
            raise ValueError(
                "accounts.quota() needs an account_id: pass it, or create the client with "
                "account_id= (or set CONNECTSAFELY_ACCOUNT_ID)."
            )
        segment = check.path_segment_text(account, "account_id")
        return await self._core.request(
            "GET", f"/linkedin/account/{segment}/quota", cast_to=AccountQuota
        )

    async def inmail_credits(self, *, account_id: str | None = None) -> InMailCredits:
        """The InMail credits an account has left (``GET /linkedin/inmail/credits``).

        The server detects the account type (Sales Navigator, Business Premium,
        Recruiter); a free account gets 0 credits, not an error.

        Examples:
            >>> credits = await client.accounts.inmail_credits()  # doctest: +SKIP
            >>> credits.in_mail_credits, credits.premium_type  # doctest: +SKIP
            (42, 'SALES_NAVIGATOR')

        Args:
            account_id: The account; defaults to the client's (else the workspace
                default).
        """
        params = self._account_params(account_id)
        return await self._core.request(
            "GET", "/linkedin/inmail/credits", params=params, cast_to=InMailCredits
        )
