"""How `RedisStore` talks to its server: one script or one read per step, failures as
`StoreError`.

`RedisLink` wraps a ``redis.asyncio.Redis`` client. It runs the store's Lua scripts
with ``EVALSHA`` (registered with redis-py's ``register_script``; on a server that lacks
them, all are loaded in one pipelined round trip the first time), makes the plain reads
(``GET``/``MGET``/``EXISTS``), and turns every failure of the server or the connection
into `StoreError` naming the server by address, never by password.

asyncio only: redis-py's client is built on asyncio, so under Trio every call raises
`StoreError` before it touches the client.

`open_client` makes the client of `RedisStore.from_url`: its timeouts, and no retries.
Nothing here imports ``redis`` until a store is made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import sniffio

from .._errors import StoreError

if TYPE_CHECKING:
    import redis.asyncio
    from redis.commands.core import AsyncScript

__all__ = ["INSTALL_HINT", "RedisLink", "open_client", "text"]

INSTALL_HINT = "RedisStore needs the redis client: pip install 'connectsafely[redis]'"

_ASYNCIO_ONLY = (
    "RedisStore runs only under asyncio: redis-py's client is built on asyncio's event "
    "loop and cannot run under {library}. Use SQLiteStore or MemoryStore there."
)


def text(value: Any) -> str:
    """A reply as text (redis-py answers bytes unless told to decode)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def open_client(url: str, *, connect_timeout: float, timeout: float) -> redis.asyncio.Redis:
    """A client for ``url`` that gives up after the timeouts and never retries."""
    try:
        import redis.asyncio
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    client: redis.asyncio.Redis = redis.asyncio.Redis.from_url(
        url,
        socket_connect_timeout=connect_timeout,
        socket_timeout=timeout,
        # No retries: a script whose reply was lost may have run; running it
        # again could count or reserve twice. The caller sees StoreError instead.
        retry=Retry(NoBackoff(), 0),
    )
    return client


def _address(options: dict[str, Any]) -> str:
    """``host:port/db`` (or ``unix:path/db``) from a client's connection options."""
    if "path" in options:
        return f"unix:{options['path']}/{options.get('db', 0)}"
    where = f"{options.get('host', 'localhost')}:{options.get('port', 6379)}"
    return f"{where}/{options.get('db', 0)}"


class RedisLink:
    """One store's way to the server: its client, its scripts and its errors.

    Args:
        client: A ``redis.asyncio.Redis`` client (used, never closed unless `close`).

    Raises:
        ImportError: ``redis`` is not installed.
        TypeError: ``client`` is not a ``redis.asyncio.Redis``.
    """

    def __init__(self, client: redis.asyncio.Redis) -> None:
        try:
            import redis.asyncio
            import redis.exceptions
        except ImportError as exc:
            raise ImportError(INSTALL_HINT) from exc
        if not isinstance(client, redis.asyncio.Redis):
            raise TypeError(
                "RedisStore needs a redis.asyncio.Redis client (not a synchronous "
                f"redis.Redis), got {type(client).__name__}; or use RedisStore.from_url."
            )
        self.client = client
        self._no_script = redis.exceptions.NoScriptError
        self._errors: tuple[type[BaseException], ...] = (
            redis.exceptions.RedisError,
            OSError,
            TimeoutError,
            asyncio.TimeoutError,
        )
        options = client.connection_pool.connection_kwargs
        self.where = _address(options)
        """The server by address (never with its password), for messages and repr."""
        password = options.get("password")
        self._secret = password if isinstance(password, str) and password else None
        self._scripts: list[AsyncScript] = []

    def register(self, source: str) -> AsyncScript:
        """The script of Lua ``source``, reloaded with the others when the server lacks it."""
        script = self.client.register_script(source)
        self._scripts.append(script)
        return script

    async def run(self, script: AsyncScript, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run a registered script: one round trip (two more once, if the server lacks it)."""
        self._on_asyncio()
        try:
            try:
                # Typed Any: redis-py 5 and 6+ annotate evalsha differently.
                reply: Any = self.client.evalsha(script.sha, len(keys), *keys, *args)
                return await reply
            except self._no_script:
                # A new (or restarted, or flushed) server: load every script in one
                # round trip, then run this one. EVALSHA did not run it, so this is safe.
                async with self.client.pipeline(transaction=False) as pipe:
                    for each in self._scripts:
                        pipe.script_load(each.script)
                    await pipe.execute()
                again: Any = self.client.evalsha(script.sha, len(keys), *keys, *args)
                return await again
        except self._errors as exc:
            self.fail(exc)

    async def get(self, key: str) -> Any:
        """``GET key``: the value, or None."""
        self._on_asyncio()
        try:
            return await self.client.get(key)
        except self._errors as exc:
            self.fail(exc)

    async def mget(self, keys: list[str]) -> Any:
        """``MGET keys``: their values in order, None for each missing one."""
        self._on_asyncio()
        try:
            return await self.client.mget(keys)
        except self._errors as exc:
            self.fail(exc)

    async def exists(self, key: str) -> Any:
        """``EXISTS key``: 1 when it does, else 0."""
        self._on_asyncio()
        try:
            return await self.client.exists(key)
        except self._errors as exc:
            self.fail(exc)

    async def close(self) -> None:
        """Close the client (nothing to do off asyncio: it never connected there)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # not on asyncio (Trio): the client never connected, nothing to close
        try:
            await self.client.aclose()
        except self._errors as exc:
            self.fail(exc)

    def number(self, value: Any) -> float:
        """A number the store wrote as text; `StoreError` when it is not one."""
        try:
            return float(text(value))
        except (TypeError, ValueError, UnicodeDecodeError):
            raise StoreError(
                f"RedisStore at {self.where} holds a corrupt value: {value!r}"
            ) from None

    def fail(self, exc: BaseException) -> NoReturn:
        """Raise `StoreError` for a failure of the server or the connection."""
        detail = str(exc) or type(exc).__name__
        if self._secret:
            detail = detail.replace(self._secret, "***")
        raise StoreError(
            f"RedisStore at {self.where} failed: {type(exc).__name__}: {detail}"
        ) from None

    def _on_asyncio(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            try:
                library = sniffio.current_async_library()
            except sniffio.AsyncLibraryNotFoundError:
                library = "this event loop"
            raise StoreError(_ASYNCIO_ONLY.format(library=library)) from None
