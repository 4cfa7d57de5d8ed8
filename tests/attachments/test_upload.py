"""attachments.upload: every input kind, types and names, wire format, safe retries."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import anyio
import pytest

import connectsafely
from connectsafely import AsyncClient, Attachment
from connectsafely._uploads import CHUNK_SIZE
from connectsafely.testing import FakeConnectSafely
from tests._support import UPLOAD

pytestmark = pytest.mark.anyio

# More than three chunks with an odd tail, so chunk boundaries are exercised.
BIG = bytes(range(256)) * ((3 * CHUNK_SIZE) // 256) + b"tail!"


def write(tmp_path: Path, name: str, data: bytes = BIG) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def uploads(fake: FakeConnectSafely) -> list[Any]:
    return fake.requests_to(UPLOAD, "POST")


class NonSeekable(io.RawIOBase):
    """A pipe-like binary stream: readable, not seekable."""

    def __init__(self, data: bytes) -> None:
        self._source = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._source.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


class AsyncStream:
    """An async byte stream with ``read`` only (no seek/tell)."""

    def __init__(self, data: bytes) -> None:
        self._source = io.BytesIO(data)

    async def read(self, size: int = -1) -> bytes:
        await anyio.lowlevel.checkpoint()
        return self._source.read(size)


# -- input kinds --------------------------------------------------------------------


async def test_upload_path_str_streams_the_file_and_returns_an_attachment(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    path = write(tmp_path, "q3-report.pdf")
    attachment = await client.attachments.upload(str(path))
    assert isinstance(attachment, Attachment)
    assert attachment.asset_urn.startswith("urn:li:digitalmediaAsset:D4E10AQ")
    assert attachment.byte_size == len(BIG)
    assert attachment.media_type == "application/pdf"
    assert attachment.name == "q3-report.pdf"
    stored = fake.uploads[attachment.asset_urn]
    assert stored.data == BIG
    assert stored.account_id == fake.default_account_id


async def test_upload_pathlib_path(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    path = write(tmp_path, "chart.png", b"\x89PNG fake image")
    attachment = await client.attachments.upload(path)
    assert (attachment.name, attachment.media_type) == ("chart.png", "image/png")
    assert fake.uploads[attachment.asset_urn].data == b"\x89PNG fake image"


@pytest.mark.parametrize(
    "data",
    [b"raw bytes", bytearray(b"raw bytes"), memoryview(b"raw bytes")],
    ids=["bytes", "bytearray", "memoryview"],
)
async def test_upload_bytes_like_data(
    client: AsyncClient, fake: FakeConnectSafely, data: Any
) -> None:
    attachment = await client.attachments.upload(data, filename="notes.txt")
    assert attachment.byte_size == 9
    assert attachment.media_type == "text/plain"
    assert fake.uploads[attachment.asset_urn].data == b"raw bytes"


async def test_upload_memoryview_of_non_byte_items_sends_its_raw_bytes(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    view = memoryview(bytearray(8)).cast("I")
    view[0] = 0x01020304
    attachment = await client.attachments.upload(view)
    assert fake.uploads[attachment.asset_urn].data == view.tobytes()


async def test_upload_binary_file_object_uses_its_name_and_leaves_it_open(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    path = write(tmp_path, "deck.pptx")
    with path.open("rb") as file:
        attachment = await client.attachments.upload(file)
        assert not file.closed
    assert attachment.name == "deck.pptx"
    assert attachment.media_type == (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    )
    assert fake.uploads[attachment.asset_urn].data == BIG


async def test_upload_bytesio_sends_from_its_current_position(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    buffer = io.BytesIO(b"HEADER" + BIG)
    buffer.seek(6)
    attachment = await client.attachments.upload(buffer, filename="data.bin")
    assert fake.uploads[attachment.asset_urn].data == BIG
    assert uploads(fake)[0].headers["content-length"] == str(len(BIG))


async def test_upload_async_file_from_anyio_open_file(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    path = write(tmp_path, "clip.mp4")
    async with await anyio.open_file(path, "rb") as file:
        attachment = await client.attachments.upload(file)
    assert (attachment.name, attachment.media_type) == ("clip.mp4", "video/mp4")
    assert fake.uploads[attachment.asset_urn].data == BIG
    assert uploads(fake)[0].headers["content-length"] == str(len(BIG))


async def test_upload_non_seekable_stream_is_sent_chunked(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    attachment = await client.attachments.upload(NonSeekable(BIG), filename="stream.bin")
    assert fake.uploads[attachment.asset_urn].data == BIG
    request = uploads(fake)[0]
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"


async def test_upload_async_stream_without_seek(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    attachment = await client.attachments.upload(AsyncStream(BIG))
    assert attachment.name == "attachment"
    assert fake.uploads[attachment.asset_urn].data == BIG


# -- names and types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("photo.png", "image/png"),
        ("photo.JPG", "image/jpeg"),
        ("photo.jpeg", "image/jpeg"),
        ("anim.gif", "image/gif"),
        ("sticker.webp", "image/webp"),
        ("report.pdf", "application/pdf"),
        ("memo.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("leads.csv", "text/csv"),
        ("readme.txt", "text/plain"),
        ("bundle.zip", "application/zip"),
        ("backup.tar.gz", "application/gzip"),
        ("mystery.qqqzz", "application/octet-stream"),
        ("no-extension", "application/octet-stream"),
    ],
)
async def test_upload_guesses_content_type_from_the_file_name(
    fake: FakeConnectSafely, filename: str, expected: str
) -> None:
    async with fake.client() as client:
        attachment = await client.attachments.upload(b"data", filename=filename)
    assert attachment.media_type == expected
    assert uploads(fake)[0].headers["content-type"] == expected


async def test_upload_explicit_content_type_wins_over_the_guess(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    attachment = await client.attachments.upload(
        b"{}", filename="export.png", content_type="Application/JSON; charset=utf-8"
    )
    assert uploads(fake)[0].headers["content-type"] == "application/json; charset=utf-8"
    assert attachment.media_type == "application/json"


async def test_upload_bytes_without_filename_is_named_attachment(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    attachment = await client.attachments.upload(b"data")
    assert attachment.name == "attachment"
    assert attachment.media_type == "application/octet-stream"
    assert uploads(fake)[0].query["filename"] == "attachment"


async def test_upload_explicit_filename_overrides_the_path_name(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    path = write(tmp_path, "tmp123.bin")
    attachment = await client.attachments.upload(path, filename="Q3 résumé.pdf")
    assert (attachment.name, attachment.media_type) == ("Q3 résumé.pdf", "application/pdf")
    assert uploads(fake)[0].query["filename"] == "Q3 résumé.pdf"


# -- the wire ---------------------------------------------------------------------------------


async def test_upload_sends_raw_bytes_with_type_length_and_query(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    path = write(tmp_path, "q3-report.pdf")
    await client.attachments.upload(path)
    request = uploads(fake)[0]
    assert request.method == "POST"
    assert request.query == {"filename": "q3-report.pdf"}
    assert request.headers["content-type"] == "application/pdf"
    assert request.headers["content-length"] == str(len(BIG))
    assert request.headers["authorization"] == f"Bearer {fake.api_key}"
    assert request.idempotency_key
    assert request.body == BIG


async def test_upload_sends_the_account_id(make_client: Any, fake: FakeConnectSafely) -> None:
    other = fake.add_account("5f0c0ffee0c0ffee0c0ffee0")
    default = fake.add_account("aaaaaaaaaaaaaaaaaaaaaaaa")
    async with make_client(account_id=default.account_id) as client:
        first = await client.attachments.upload(b"x", filename="a.txt")
        second = await client.attachments.upload(
            b"y", filename="b.txt", account_id=other.account_id
        )
    assert [r.query.get("accountId") for r in uploads(fake)] == [
        default.account_id,
        other.account_id,
    ]
    assert fake.uploads[first.asset_urn].account_id == default.account_id
    assert fake.uploads[second.asset_urn].account_id == other.account_id


async def test_upload_for_an_unknown_account_raises_not_found(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    with pytest.raises(connectsafely.NotFoundError):
        await client.attachments.upload(b"x", account_id="ffffffffffffffffffffffff")
    assert len(uploads(fake)) == 1
    assert fake.uploads == {}


async def test_upload_then_send_attaches_the_file(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    conversation = fake.add_conversation(recipient_profile_id="sam-lee")
    attachment = await client.attachments.upload(write(tmp_path, "chart.png", b"PNG"))
    await client.conversations.send(
        "Chart attached.", conversation_urn=conversation.urn, attachments=[attachment]
    )
    body = fake.requests_to("/linkedin/conversations/send")[0].json()
    assert body["attachments"] == [
        {
            "file": {
                "assetUrn": attachment.asset_urn,
                "byteSize": 3,
                "mediaType": "image/png",
                "name": "chart.png",
            }
        }
    ]
    assert conversation.messages[-1].attachments[0]["assetUrn"] == attachment.asset_urn


async def test_upload_response_without_attachment_is_a_validation_error(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body={"success": True})
    with pytest.raises(connectsafely.APIResponseValidationError, match="attachment"):
        await client.attachments.upload(b"x")


# -- retries ------------------------------------------------------------------------------------


def assert_identical_bodies(fake: FakeConnectSafely, expected: bytes, attempts: int = 2) -> None:
    requests = uploads(fake)
    assert len(requests) == attempts
    assert all(r.body == expected for r in requests)
    assert len({r.idempotency_key for r in requests}) == 1
    assert len({r.headers["content-length"] for r in requests}) == 1


@pytest.mark.parametrize("failure", ["503", "drop"])
async def test_upload_retry_resends_the_whole_file_from_a_path(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path, failure: str
) -> None:
    if failure == "503":
        fake.fail_next(503, after_processing=True)
    else:
        fake.drop_next()
    attachment = await client.attachments.upload(write(tmp_path, "big.zip"))
    assert_identical_bodies(fake, BIG)
    assert fake.uploads[attachment.asset_urn].data == BIG


@pytest.mark.parametrize("failure", ["503", "drop"])
async def test_upload_retry_seeks_a_file_object_back_to_its_start(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path, failure: str
) -> None:
    path = write(tmp_path, "big.bin", b"SKIP" + BIG)
    if failure == "503":
        fake.fail_next(503, after_processing=True, count=2)
    else:
        fake.drop_next(count=2)
    with path.open("rb") as file:
        file.seek(4)
        await client.attachments.upload(file)
    assert_identical_bodies(fake, BIG, attempts=3)


async def test_upload_retry_seeks_a_bytesio_back_to_its_start(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    buffer = io.BytesIO(b"0123456789" + BIG)
    buffer.seek(10)
    fake.fail_next(503, after_processing=True)
    await client.attachments.upload(buffer)
    assert_identical_bodies(fake, BIG)


async def test_upload_retry_seeks_an_async_file_back_to_its_start(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    path = write(tmp_path, "big.bin", b"SKIP" + BIG)
    fake.drop_next()
    async with await anyio.open_file(path, "rb") as file:
        await file.seek(4)
        await client.attachments.upload(file)
    assert_identical_bodies(fake, BIG)


async def test_upload_retry_resends_bytes(client: AsyncClient, fake: FakeConnectSafely) -> None:
    data = bytearray(b"payload")
    fake.fail_next(503, after_processing=True)
    await client.attachments.upload(data)
    assert_identical_bodies(fake, b"payload")


@pytest.mark.parametrize("kind", ["bytearray", "memoryview"])
async def test_upload_retry_sends_the_bytes_as_they_were_when_upload_was_called(
    client: AsyncClient,
    fake: FakeConnectSafely,
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float],
    kind: str,
) -> None:
    buffer = bytearray(b"original payload")
    data: bytearray | memoryview = buffer if kind == "bytearray" else memoryview(buffer)

    async def overwrite_while_waiting(seconds: float) -> None:
        sleeps.append(seconds)
        data[:8] = b"MUTATED!"  # the caller reuses its buffer during the backoff

    monkeypatch.setattr(connectsafely._retry, "sleep", overwrite_while_waiting)
    fake.fail_next(503, path=UPLOAD)
    attachment = await client.attachments.upload(data, filename="payload.bin")
    assert len(sleeps) == 1  # the buffer really changed between the two attempts
    assert bytes(buffer) == b"MUTATED! payload"
    assert_identical_bodies(fake, b"original payload")
    assert fake.uploads[attachment.asset_urn].data == b"original payload"


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_upload_non_seekable_stream_is_not_retried_after_a_503(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float], kind: str
) -> None:
    stream = NonSeekable(BIG) if kind == "sync" else AsyncStream(BIG)
    fake.fail_next(503)
    with pytest.raises(connectsafely.InternalServerError):
        await client.attachments.upload(stream)
    assert len(uploads(fake)) == 1
    assert uploads(fake)[0].body == BIG
    assert sleeps == []


@pytest.mark.parametrize("change", [b"short", b"X" * len(BIG)], ids=["shrunk", "rewritten"])
async def test_upload_of_a_path_changed_before_the_retry_raises(
    client: AsyncClient,
    fake: FakeConnectSafely,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: bytes,
) -> None:
    path = write(tmp_path, "report.log")
    stamp = path.stat().st_mtime_ns

    async def change_while_waiting(seconds: float) -> None:
        path.write_bytes(change)
        os.utime(path, ns=(stamp + 1_000_000, stamp + 1_000_000))

    monkeypatch.setattr(connectsafely._retry, "sleep", change_while_waiting)
    fake.fail_next(503)
    with pytest.raises(OSError, match="changed since upload"):
        await client.attachments.upload(path)
    assert len(uploads(fake)) == 1
    assert fake.uploads == {}


async def test_upload_of_a_file_object_that_shrank_before_the_retry_raises(
    client: AsyncClient, fake: FakeConnectSafely, monkeypatch: pytest.MonkeyPatch
) -> None:
    buffer = io.BytesIO(BIG)

    async def truncate_while_waiting(seconds: float) -> None:
        buffer.truncate(100)

    monkeypatch.setattr(connectsafely._retry, "sleep", truncate_while_waiting)
    fake.fail_next(503)
    with pytest.raises(OSError, match="changed while being uploaded"):
        await client.attachments.upload(buffer)
    assert fake.uploads == {}


async def test_upload_closes_the_file_it_opened_when_cancelled(
    fake: FakeConnectSafely, tmp_path: Path
) -> None:
    path = write(tmp_path, "slow.bin")
    fake.delay_next(5)
    before = open_fds()
    async with fake.client() as client:
        with anyio.move_on_after(0.2) as scope:
            await client.attachments.upload(path)
    assert scope.cancelled_caught
    assert open_fds() <= before


def open_fds() -> set[str]:
    """This process's open file descriptors (empty where /proc is not available)."""
    return set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()


# -- validation: nothing is sent ---------------------------------------------------------------


async def test_upload_missing_path_raises_file_not_found(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        await client.attachments.upload(tmp_path / "nope.pdf")
    assert fake.requests == []


async def test_upload_directory_raises(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    with pytest.raises(IsADirectoryError):
        await client.attachments.upload(str(tmp_path))
    assert fake.requests == []


@pytest.mark.parametrize(
    "make_source",
    [
        lambda tmp: write(tmp, "empty.pdf", b""),
        lambda tmp: b"",
        lambda tmp: bytearray(),
        lambda tmp: memoryview(b""),
        lambda tmp: io.BytesIO(b""),
        lambda tmp: _at_end(io.BytesIO(b"already read")),
        lambda tmp: NonSeekable(b""),
        lambda tmp: AsyncStream(b""),
    ],
    ids=[
        "file",
        "bytes",
        "bytearray",
        "memoryview",
        "bytesio",
        "bytesio-at-end",
        "non-seekable",
        "async",
    ],
)
async def test_upload_empty_source_raises_value_error(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path, make_source: Any
) -> None:
    with pytest.raises(ValueError, match="nothing to upload"):
        await client.attachments.upload(make_source(tmp_path))
    assert fake.requests == []


def _at_end(buffer: io.BytesIO) -> io.BytesIO:
    buffer.seek(0, io.SEEK_END)
    return buffer


class StrReader:
    """Duck-typed text stream: ``read`` returns str."""

    def read(self, size: int = -1) -> str:
        return "text"


async def test_upload_text_mode_file_raises_type_error(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    path = write(tmp_path, "notes.txt", b"hello")
    with path.open("r") as text_file, pytest.raises(TypeError, match="binary mode"):
        await client.attachments.upload(text_file)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="binary mode"):
        await client.attachments.upload(io.StringIO("hello"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="binary mode"):
        await client.attachments.upload(StrReader())  # type: ignore[arg-type]
    async with await anyio.open_file(path, "r") as async_text:
        with pytest.raises(TypeError, match="binary mode"):
            await client.attachments.upload(async_text)  # type: ignore[arg-type]
    assert fake.requests == []


async def test_upload_closed_file_raises_value_error(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    buffer = io.BytesIO(b"data")
    buffer.close()
    with pytest.raises(ValueError, match="closed"):
        await client.attachments.upload(buffer)
    assert fake.requests == []


@pytest.mark.parametrize("value", [42, None, ["a.pdf"], object()])
async def test_upload_unsupported_source_raises_type_error(
    client: AsyncClient, fake: FakeConnectSafely, value: Any
) -> None:
    with pytest.raises(TypeError, match="file must be"):
        await client.attachments.upload(value)
    assert fake.requests == []


@pytest.mark.parametrize(
    "filename",
    ["bad\nname.pdf", "tab\there.txt", "nul\x00.bin", "dir/file.pdf", "..\\evil.exe", "..", " "],
)
async def test_upload_invalid_filename_raises_value_error(
    client: AsyncClient, fake: FakeConnectSafely, filename: str
) -> None:
    with pytest.raises(ValueError, match="filename"):
        await client.attachments.upload(b"data", filename=filename)
    assert fake.requests == []


async def test_upload_path_whose_name_has_control_characters_asks_for_filename(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    path = write(tmp_path, "weird\x1bname.pdf", b"data")
    with pytest.raises(ValueError, match="pass filename="):
        await client.attachments.upload(path)
    attachment = await client.attachments.upload(path, filename="fine.pdf")
    assert attachment.name == "fine.pdf"


@pytest.mark.parametrize(
    "content_type",
    ["pdf", "application/", "/pdf", "image/png\r\nX-Evil: 1", "text/plain\n", "a b/c", ""],
)
async def test_upload_invalid_content_type_raises_value_error(
    client: AsyncClient, fake: FakeConnectSafely, content_type: str
) -> None:
    with pytest.raises(ValueError, match="content_type"):
        await client.attachments.upload(b"data", content_type=content_type)
    assert fake.requests == []


async def test_upload_invalid_argument_leaves_a_stream_unread(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    stream = NonSeekable(b"precious")
    with pytest.raises(ValueError, match="content_type"):
        await client.attachments.upload(stream, content_type="nonsense")
    attachment = await client.attachments.upload(stream)
    assert fake.uploads[attachment.asset_urn].data == b"precious"
