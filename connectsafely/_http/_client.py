"""`SdkHttpClient`: the `httpx.AsyncClient` the SDK makes, minus per-call work it never needs.

Used for the client the SDK creates itself (the default transport) and as the base of
`AioHttpClient`. A client the caller passes in as ``http_client`` is used as it is.
"""

from __future__ import annotations

from typing import Any

import httpx

from ._sender import Sender

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
        self._header_merges: dict[
            tuple[tuple[Any, Any], ...],
            tuple[list[tuple[bytes, bytes]], httpx.Headers, set[str]],
        ] = {}

    def build_request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        content: Any = None,
        params: Any = None,
        headers: Any = None,
        timeout: Any = httpx.USE_CLIENT_DEFAULT,
        **kwargs: Any,
    ) -> httpx.Request:
        """`httpx.AsyncClient.build_request`, for less work per call; same request.

        httpx parses (and validates character by character) the URL of every request;
        the SDK sends the same few URLs over and over, and `httpx.URL` is immutable, so
        a parsed one is reused. For the SDK's usual call (bytes or no body, a dict of
        headers, no client cookies, params or base URL) the headers are merged from a
        cached merge of all but the last header (the per-call ``Idempotency-Key``)
        with the client's, in exactly the order and spelling httpx produces.
        """
        if isinstance(url, str):
            parsed = self._parsed_urls.get(url)
            if parsed is None:
                if len(self._parsed_urls) >= _MAX_PARSED_URLS:  # many URLs: start over
                    self._parsed_urls.clear()
                parsed = self._parsed_urls[url] = httpx.URL(url)
            url = parsed
        if (
            kwargs
            or headers.__class__ is not dict
            or not headers
            or not (content is None or content.__class__ is bytes)
            or url.is_relative_url
            or self._plain is not True
        ):
            return super().build_request(
                method,
                url,
                content=content,
                params=params,
                headers=headers,
                timeout=timeout,
                **kwargs,
            )
        merged = self._merged_headers(headers)
        if merged is None:
            return super().build_request(
                method, url, content=content, params=params, headers=headers, timeout=timeout
            )
        # What `httpx.Request(content=...)` adds: Content-Length for a non-empty body
        # (unless given), then Host and, for a body-less POST/PUT/PATCH, a zero length.
        if content and "content-length" not in merged:
            merged["Content-Length"] = str(len(content))
        lowered = {key.lower() for key, _ in merged.raw}
        extra: list[tuple[bytes, bytes]] = []
        method = method.upper()
        if b"host" not in lowered and url.host:
            extra.append((b"Host", url.netloc))
        if (
            b"content-length" not in lowered
            and b"transfer-encoding" not in lowered
            and method in ("POST", "PUT", "PATCH")
        ):
            extra.append((b"Content-Length", b"0"))
        chosen = self.timeout if timeout is httpx.USE_CLIENT_DEFAULT else timeout
        if not isinstance(chosen, httpx.Timeout):
            chosen = httpx.Timeout(chosen)
        request = httpx.Request(
            method,
            url,
            params=params,
            headers=httpx.Headers(extra + merged.raw),
            stream=httpx.ByteStream(content or b""),
            extensions={"timeout": chosen.as_dict()},
        )
        request.read()  # as httpx does for a bytes body: `request.content` is set
        return request

    def _sdk_sender(self) -> Sender:
        """The `Sender` the SDK's pipeline sends with over this client (see `_sender`)."""
        return Sender(self)

    @property
    def _plain(self) -> bool:
        """No client-level cookies, params or base URL: nothing else to merge."""
        return not self._response_cookies and not self.params and not str(self.base_url)

    def _merged_headers(self, headers: dict[Any, Any]) -> httpx.Headers | None:
        """``self.headers`` updated with ``headers`` (httpx's merge), from a cache.

        The merge of all but the last header is cached; the last one (the per-call
        ``Idempotency-Key``) is appended, which is what httpx's merge does with a
        name that appears nowhere before it. Otherwise None: httpx merges.
        """
        items = tuple(headers.items())
        head, (last_name, last_value) = items[:-1], items[-1]
        if not (isinstance(last_name, str) and isinstance(last_value, str)):
            return None
        client = self.headers.raw  # compared, so a change to client.headers is seen
        cached = self._header_merges.get(head)
        if cached is None or cached[0] != client:
            if len(self._header_merges) >= _MAX_PARSED_URLS:
                self._header_merges.clear()
            base = httpx.Headers(self.headers)
            base.update(dict(head))
            cached = (client, base, {key.lower() for key in base})
            self._header_merges[head] = cached
        _, base, lowered = cached
        if last_name.lower() in lowered:
            return None
        merged = base.copy()
        merged[last_name] = last_value
        return merged

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
