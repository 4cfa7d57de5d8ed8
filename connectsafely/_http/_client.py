"""`SdkHttpClient`: the `httpx.AsyncClient` the SDK makes, minus per-call work it never needs.

Used for the client the SDK creates itself (the default transport) and as the base of
`AioHttpClient`. A client the caller passes in as ``http_client`` is used as it is.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["SdkHttpClient"]

_MAX_PARSED_URLS = 512


class SdkHttpClient(httpx.AsyncClient):
    """An `httpx.AsyncClient` that parses each URL string once and skips empty cookie work.

    Everything it sends and returns is what `httpx.AsyncClient` would send and return.
    """

    def __init__(self, **options: Any) -> None:
        cookies = options.pop("cookies", None)
        super().__init__(**options)
        self.cookies = cookies
        self._parsed_urls: dict[str, httpx.URL] = {}

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:
        """`httpx.AsyncClient.build_request`, parsing each distinct URL string once.

        httpx parses (and validates character by character) the URL of every request;
        the SDK sends the same few URLs over and over, and `httpx.URL` is immutable, so
        a parsed one is reused. The request built is the same either way.
        """
        if isinstance(url, str):
            parsed = self._parsed_urls.get(url)
            if parsed is None:
                if len(self._parsed_urls) >= _MAX_PARSED_URLS:  # many URLs: start over
                    self._parsed_urls.clear()
                parsed = self._parsed_urls[url] = httpx.URL(url)
            url = parsed
        return super().build_request(method, url, **kwargs)

    # The client's cookie store is a `_ResponseCookies` (see there); the property pair
    # keeps it one when the store is replaced, as ``client.cookies = ...`` does.
    @property
    def cookies(self) -> httpx.Cookies:
        """Cookies sent with every request (and any the server sets), as in httpx."""
        return self._response_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:  # anything `httpx.Cookies` accepts
        self._response_cookies = _ResponseCookies(cookies)


class _ResponseCookies(httpx.Cookies):
    """httpx's cookie store, minus its per-response cost when there is nothing to store.

    httpx hands every response to the store, which wraps it and its request in urllib
    adapter objects (an `email.message.Message` of all headers) before the cookie jar
    looks for ``Set-Cookie``: about a tenth of a call's CPU, for API responses that
    never set one. A response with neither ``Set-Cookie`` nor ``Set-Cookie2`` gives the
    jar nothing to store, so skipping it changes nothing.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)
