"""``client.accounts``: what the connected LinkedIn accounts may still do."""

from __future__ import annotations

from collections.abc import Mapping

from .. import _validate as check
from .._models.accounts import AccountQuota, AccountStatus, InMailCredits, LinkedInAccount
from ._base import Resource, decode_part

__all__ = ["Accounts"]


class Accounts(Resource):
    """Account-level information (``client.accounts``)."""

    __slots__ = ()

    async def list(self, *, query: str | None = None) -> tuple[LinkedInAccount, ...]:
        """The LinkedIn accounts of the workspace (``GET /linkedin/accounts``).

        Read from ConnectSafely's database (no LinkedIn call): the caller's accounts and
        those shared through a workspace, in one answer (no paging).

        Examples:
            >>> for account in await client.accounts.list():  # doctest: +SKIP
            ...     print(account.account_id, account.public_id, account.status)

        Args:
            query: Only accounts matching it (``q``): a case-insensitive part of the
                first or last name or the public id, an exact 24-hex account id, or a
                LinkedIn profile URL (its slug is matched).

        Returns:
            A tuple of `LinkedInAccount`.

        Raises:
            ValueError: A blank ``query`` (before any request).
        """
        params = {} if query is None else {"q": check.required_text(query, "query")}
        rows = await self._core.request("GET", "/linkedin/accounts", params=params)
        if not isinstance(rows, list):  # a bare array, as documented
            return decode_part(rows, tuple[LinkedInAccount, ...], "$")
        return tuple(
            decode_part(_with_account_id(row), LinkedInAccount, f"$[{index}]")
            for index, row in enumerate(rows)
        )

    async def status(self, account_id: str | None = None) -> AccountStatus:
        """How a LinkedIn account is doing: status, session, plan.

        ``GET /linkedin/account/{accountId}/status`` for the given (or the client's)
        account; without either, ``GET /linkedin/account/status``, which answers for the
        most recently used account.

        Examples:
            >>> status = await client.accounts.status()  # doctest: +SKIP
            >>> status.status, status.has_tokens  # doctest: +SKIP
            ('AVAILABLE', True)

        Args:
            account_id: The account (its 24-hex id); defaults to the client's.

        Returns:
            An `AccountStatus`.

        Raises:
            ValueError: A blank ``account_id`` (before any request).
            NotFoundError: The account does not exist or is not yours.
        """
        account = self._account(account_id)
        if account is None:
            path = "/linkedin/account/status"
        else:
            path = f"/linkedin/account/{check.path_segment_text(account, 'account_id')}/status"
        body = await self._core.request("GET", path)
        return decode_part(_with_account_id(body), AccountStatus, "$")

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


def _with_account_id(row: object) -> object:
    """An account object with its ``id`` as ``accountId`` (our name for it); anything
    else as it is (decoding then says what is wrong)."""
    if not isinstance(row, Mapping):
        return row
    fields = {name: value for name, value in row.items() if name != "accountId"}
    fields["accountId"] = row.get("id")
    return fields
