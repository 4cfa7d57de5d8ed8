"""`SdkHttpClient`: the `httpx.AsyncClient` the SDK makes, minus per-call work it never needs.

Used for the client the SDK creates itself (the default transport) and as the base of
`AioHttpClient`. A client the caller passes in as ``http_client`` is used as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ._query import with_params
from ._sender import Sender

__all__ = ["SdkHttpClient"]

_MAX_PARSED_URLS = 512

# `AsyncClient` options whose effect on each request `_direct_request` does not reproduce.
_NOT_DIRECT = ("mounts", "proxy", "proxies", "default_encoding")


class SdkHttpClient(httpx.AsyncClient):
    """An `httpx.AsyncClient` that parses each URL string once and skips empty cookie work.

    Everything it sends and returns is what `httpx.AsyncClient` would send and return.
    """

    def __init__(self, **options: Any) -> None:
        cookies = options.pop("cookies", None)
        super().__init__(**options)
        if options.get("transport") is None:  # httpx's default transport: the SDK's own
            # Imported here: `_net` needs httpcore, which httpx itself loads only when
            # it makes a transport (as it just did), not at `import httpx`.
            from ._locks import use_quick_locks
            from ._net import plain_pool, use_native_backend

            pool = plain_pool(self._transport)
            if pool is not None:
                use_native_backend(pool)
                use_quick_locks(pool)
        self.cookies = cookies
        self._parsed_urls: dict[str, httpx.URL] = {}
        self._direct_urls: dict[str, tuple[httpx.URL, str | None]] = {}
        self._header_merges: dict[tuple[tuple[Any, Any], ...], _Merge] = {}
        # Settings httpx applies per request that `_direct_request` does not reproduce.
        self._direct_ok = not any(name in options for name in _NOT_DIRECT)

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
        a parsed one is reused, and a call's query is put on it by `with_params`
        rather than by httpx parsing the whole URL again. For the SDK's usual call
        (bytes or no body, a dict of headers, no client cookies, params or base URL)
        the headers are merged from a cached merge of all but the last header (the
        per-call ``Idempotency-Key``) with the client's, in exactly the order and
        spelling httpx produces.
        """
        if isinstance(url, str):
            url = self._parse(url)
        if params is not None and not self.params and not url.is_relative_url:
            # httpx would merge no client params nor base URL: the query goes on here.
            url = with_params(url, params)
            params = None
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
        # Any params are on ``url`` by now (no client params, an absolute URL).
        request = httpx.Request(
            method,
            url,
            headers=httpx.Headers(extra + merged.raw),
            stream=httpx.ByteStream(content or b""),
            extensions={"timeout": chosen.as_dict()},
        )
        request.read()  # as httpx does for a bytes body: `request.content` is set
        return request

    def _direct_request(
        self, method: str, url: str, headers: Mapping[str, str], content: bytes | None
    ) -> tuple[httpx.URL, list[tuple[str, str]]] | None:
        """The URL and headers of `build_request`'s request for this call, when sending
        it needs nothing else of httpx's client; else None.

        For a transport that sends without httpx's client (`AioHttpClient`): the
        headers are the same (name, value) pairs in the same order, without building
        the `httpx.Request`. None when httpx's client would act on the request (auth,
        event hooks, redirects, cookies, client params or base URL, mounts or proxies,
        a default encoding; a closed client raises there) or build it another way.
        """
        if (
            not self._direct_ok
            or self.auth is not None
            or self.follow_redirects
            or self.is_closed
            or headers.__class__ is not dict
            or not headers
            # Client cookies or params to merge. (A base URL applies only to a relative
            # URL, which is never sent directly.)
            or self._response_cookies
            or self.params
        ):
            return None
        hooks = self.event_hooks
        if hooks["request"] or hooks["response"]:
            return None
        target = self._direct_urls.get(url)
        if target is None:
            target = self._direct_target(url)
        parsed, host = target
        merge = self._merge(headers)  # a dict (checked above)
        if merge is None or host is None:
            return None
        name, value = next(reversed(headers.items()))
        if not (name.isascii() and value.isascii()):  # httpx refuses it: let it say so
            return None
        # Names lower-cased, as `httpx.Headers.multi_items` gives them (and so as httpx's
        # route hands them to aiohttp).
        lowered = name.lower()
        items = [*merge.items, (lowered, value)]
        length = merge.length or lowered == "content-length"
        if content and not length:
            items.append(("content-length", str(len(content))))
            length = True
        extra = []
        if not (merge.host or lowered == "host") and host:
            extra.append(("host", host))
        chunked = merge.chunked or lowered == "transfer-encoding"
        if not (length or chunked) and method.upper() in ("POST", "PUT", "PATCH"):
            extra.append(("content-length", "0"))
        return parsed, [*extra, *items] if extra else items

    def _direct_target(self, url: str) -> tuple[httpx.URL, str | None]:
        """``url`` parsed, with the Host header httpx adds for it ("" for none); None in
        place of the host when it is not sent directly (relative, or with credentials,
        which httpx turns into Basic auth)."""
        parsed = self._parse(url)
        host: str | None = parsed.netloc.decode("ascii") if parsed.host else ""
        if parsed.is_relative_url or parsed.userinfo:
            host = None
        if len(self._direct_urls) >= _MAX_PARSED_URLS:  # many URLs: start over
            self._direct_urls.clear()
        self._direct_urls[url] = (parsed, host)
        return parsed, host

    def _sdk_sender(self) -> Sender:
        """The `Sender` the SDK's pipeline sends with over this client (see `_sender`)."""
        return Sender(self)

    def _parse(self, url: str) -> httpx.URL:
        parsed = self._parsed_urls.get(url)
        if parsed is None:
            if len(self._parsed_urls) >= _MAX_PARSED_URLS:  # many URLs: start over
                self._parsed_urls.clear()
            parsed = self._parsed_urls[url] = httpx.URL(url)
        return parsed

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
        merge = self._merge(headers)
        if merge is None:
            return None
        last_name, last_value = next(reversed(headers.items()))
        merged = merge.base.copy()
        merged[last_name] = last_value
        return merged

    def _merge(self, headers: dict[Any, Any]) -> _Merge | None:
        """The cached merge of the client's headers with all but the last of
        ``headers``; None when httpx must merge (see `_merged_headers`)."""
        items = tuple(headers.items())
        head, (last_name, last_value) = items[:-1], items[-1]
        if not (isinstance(last_name, str) and isinstance(last_value, str)):
            return None
        client = self.headers.raw  # compared, so a change to client.headers is seen
        merge = self._header_merges.get(head)
        if merge is None or merge.client != client:
            if len(self._header_merges) >= _MAX_PARSED_URLS:
                self._header_merges.clear()
            base = httpx.Headers(self.headers)
            base.update(dict(head))
            merge = self._header_merges[head] = _Merge(client, base)
        if last_name.lower() in merge.lowered:
            return None
        return merge

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


class _Merge:
    """One cached merge of the client's headers with a call's headers but the last."""

    __slots__ = ("base", "chunked", "client", "host", "items", "length", "lowered")

    def __init__(self, client: list[tuple[bytes, bytes]], base: httpx.Headers) -> None:
        self.client = client
        self.base = base
        self.lowered = {key.lower() for key in base}
        self.items = base.multi_items()  # lower-cased names, as aiohttp is given them
        self.length = "content-length" in self.lowered
        self.chunked = "transfer-encoding" in self.lowered
        self.host = "host" in self.lowered
