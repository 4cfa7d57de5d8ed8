"""`with_params`: a parsed URL with a call's query, without httpx parsing it again.

Given ``params``, `httpx.Request` rebuilds its URL from the parts and parses the result
afresh, checking and escaping every character of the whole URL once more: about a third
of a millisecond per page of a paginated walk. For the SDK's query (a dict of strings on a
URL that has none) the only new part is the query, and httpx's own spelling of it is
`urllib.parse.urlencode` of the pairs (`httpx.QueryParams.__str__`). That output holds
only ASCII letters, digits, ``-._~+=&`` and ``%XX`` escapes, all of which httpx's second
escaping pass keeps as they are, so the query goes into the parsed URL's parts directly.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

__all__ = ["with_params"]

# httpx refuses a URL (or a part of one) longer than this (`MAX_URL_LENGTH` in
# `httpx._urlparse`); a URL that would be longer is left to httpx, to refuse as it does.
_MAX_URL_LENGTH = 65536


def with_params(url: httpx.URL, params: Mapping[str, Any]) -> httpx.URL:
    """The URL of ``httpx.Request(method, url, params=params)``.

    Args:
        url: A parsed URL.
        params: The query parameters, as ``httpx.Request`` takes them.

    Returns:
        The same URL httpx builds. Made here for a non-empty dict of strings on a URL
        without a query (the SDK's calls); anything else is left to httpx.
    """
    fast = _fast(url, params) if _fast_works() else None
    if fast is None:
        return httpx.Request("GET", url, params=params).url
    return fast


def _fast(url: httpx.URL, params: Mapping[str, Any]) -> httpx.URL | None:
    """``url`` with the query of ``params``, or None when httpx must build it."""
    if params.__class__ is not dict or not params:
        return None
    reference: Any = url._uri_reference
    if reference.query is not None:  # httpx versions differ: merge or replace
        return None
    pairs = list(params.items())
    for key, value in pairs:
        if key.__class__ is not str or value.__class__ is not str:
            return None  # httpx spells True as "true", None as "", and so on
    query = urlencode(pairs)
    if len(query) + len(str(url)) >= _MAX_URL_LENGTH:
        return None
    made = httpx.URL.__new__(httpx.URL)
    made._uri_reference = reference._replace(query=query)
    return made


@functools.cache
def _fast_works() -> bool:
    """Whether this httpx keeps a parsed URL as `_fast` expects (checked on first use)."""
    url = httpx.URL("https://example.com:8443/a%20b/c")
    params = {"cursor": "a+b&c=d é/?#%41", "count": "50"}
    try:
        made = _fast(url, params)
    except (AttributeError, TypeError):
        return False
    expected = httpx.Request("GET", url, params=params).url
    return made is not None and str(made) == str(expected) and made.params == expected.params
