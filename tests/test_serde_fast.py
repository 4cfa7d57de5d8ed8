"""The fast decoding paths give exactly what `json.loads` + the detailed converter give.

`_serde` decodes through generated functions (and, with orjson installed, straight from
bytes in `decode_fast`); whatever they do not recognise is decoded again the careful
way. These tests generate bodies with every kind of value in every field (wrong types,
nulls, missing and unknown keys, huge integers, NaN) and check the fast paths agree.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectsafely import Message, MessagesPage, Participant, SendResult, _serde
from connectsafely._models.messages import SentMessage
from connectsafely._serde import DecodeError, decode_fast, structure

KEYS = {
    Message: [
        "messageUrn",
        "text",
        "sentAt",
        "senderProfileId",
        "senderName",
        "senderPhoto",
        "isSentByOwner",
        "hasAttachment",
        "attachments",
    ],
    Participant: ["profileId", "name", "headline", "profilePicture", "profileUrl", "distance"],
}
KEYS[SentMessage] = KEYS[Message]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=0, max_value=2**41),  # plausible epoch ms
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["1732550400000", "2024-11-25T16:00:00Z", "2024-11-25T16:00:00"]),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=2),
    st.lists(st.dictionaries(st.text(max_size=3), scalars, max_size=2), max_size=2),
    st.dictionaries(st.text(max_size=3), scalars, max_size=2),
)


def objects(model: type[Any]) -> st.SearchStrategy[dict[str, Any]]:
    keys = [*KEYS[model], "unknownKey"]
    return st.dictionaries(st.sampled_from(keys), values)


page_bodies = st.fixed_dictionaries(
    {},
    optional={
        "messages": st.one_of(st.lists(objects(Message), max_size=3), values),
        "participants": st.one_of(st.lists(objects(Participant), max_size=2), values),
        "hasMore": values,
        "cursor": values,
        "note": values,
        "success": st.sampled_from([True, False, None]),
    },
)


send_bodies = st.fixed_dictionaries(
    {},
    optional={
        "success": st.sampled_from([True, False, None]),
        "message": values,
        "recipientProfileUrn": values,
        "sentMessage": st.one_of(objects(SentMessage), values),
        "threadId": values,
        "replayed": values,
    },
)


def careful(data: object, cls: type[Any]) -> object:
    """What the detailed cattrs converter alone gives (the reference)."""
    try:
        return _serde._converter(detailed=True).structure(data, cls)
    except Exception:
        return "error"


def outcome(data: object, cls: type[Any]) -> object:
    try:
        return structure(data, cls)
    except DecodeError:
        return "error"


def same(left: object, right: object) -> bool:
    # Compare by value and by type (1 == 1.0 == True, but they decode differently);
    # a `SentMessage`'s object as received too (its ``raw`` is not in eq or repr).
    return repr(left) == repr(right) and left == right and repr(_raw(left)) == repr(_raw(right))


def _raw(value: object) -> object:
    if isinstance(value, SendResult):
        value = value.sent_message
    return dict(value.raw) if isinstance(value, SentMessage) else None


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(page_bodies)
def test_fast_converter_matches_the_detailed_one(body: dict[str, Any]) -> None:
    assert same(outcome(body, MessagesPage), careful(body, MessagesPage))


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(objects(Message))
def test_message_matches_the_detailed_converter(body: dict[str, Any]) -> None:
    assert same(outcome(body, Message), careful(body, Message))


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(page_bodies)
def test_decode_fast_answers_only_with_what_json_gives(body: dict[str, Any]) -> None:
    content = json.dumps(body).encode()
    fast = decode_fast(content, MessagesPage)
    if fast is not None:
        assert same(fast, outcome(json.loads(content), MessagesPage))


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(send_bodies)
def test_a_send_result_matches_the_detailed_converter(body: dict[str, Any]) -> None:
    # `SentMessage` keeps the object as received: a generated function of its own.
    assert same(outcome(body, SendResult), careful(body, SendResult))


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(send_bodies)
def test_decode_fast_answers_a_send_only_with_what_json_gives(body: dict[str, Any]) -> None:
    content = json.dumps(body).encode()
    fast = decode_fast(content, SendResult)
    if fast is not None:
        assert same(fast, outcome(json.loads(content), SendResult))


@pytest.mark.parametrize(
    "content",
    [
        # orjson turns an integer beyond 64 bits into a float, kept in `raw` as it is.
        b'{"success":true,"sentMessage":{"text":"hi","n":123456789012345678901234567890}}',
        b'{"sentMessage":{"text":"hi","x":{"y":[-123456789012345678901234567890]}}}',
        b'{"sentMessage":{"text":"hi","size":NaN}}',
    ],
)
def test_decode_fast_leaves_a_send_orjson_may_change_to_json(content: bytes) -> None:
    pytest.importorskip("orjson")
    assert decode_fast(content, SendResult) is None
    decoded = structure(json.loads(content), SendResult)
    assert decoded.sent_message is not None
    assert dict(decoded.sent_message.raw) == json.loads(content)["sentMessage"]


def test_decode_fast_decodes_a_send() -> None:
    pytest.importorskip("orjson")
    sent = {"messageUrn": "urn:li:m:1", "sentAt": 1_732_550_400_000, "extra": 1.5}
    body = {"success": True, "message": "ok", "sentMessage": sent}
    decoded = decode_fast(json.dumps(body).encode(), SendResult)
    assert decoded is not None
    assert same(decoded, structure(body, SendResult))
    assert decoded.sent_message is not None
    assert decoded.sent_message["extra"] == 1.5
    assert decoded.sent_message.sent_at is not None


def test_a_send_answer_as_documented_is_decoded_in_one_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The keys the API's send answer leaves out (``threadId``; ``hasAttachment`` and
    ``attachments`` of ``sentMessage``) and the SDK's own ``replayed`` are looked up,
    not subscripted: no KeyError, no second pass over the body."""
    fast = _serde._converter(detailed=False)
    second_passes: list[str] = []
    for model in (SendResult, SentMessage):
        namespace = fast.get_structure_hook(model).__globals__
        sparse = namespace["structure_sparse"]

        def second_pass(o: object, sparse: Any = sparse, name: str = model.__name__) -> Any:
            second_passes.append(name)
            return sparse(o)

        monkeypatch.setitem(namespace, "structure_sparse", second_pass)
    sent = {
        "messageUrn": "urn:li:msg_message:1",
        "text": "Hi",
        "sentAt": 1_772_000_000_000,
        "senderProfileId": "ACoAAA",
        "senderName": "Alex",
        "senderPhoto": "https://example.com/a.png",
        "isSentByOwner": True,
    }
    body = {
        "success": True,
        "message": "Hi",
        "recipientProfileUrn": "urn:li:x",
        "sentMessage": sent,
    }
    decoded = structure(body, SendResult)
    assert decoded.thread_id is None and decoded.replayed is False
    assert decoded.sent_message is not None
    assert decoded.sent_message.attachments == () and decoded.sent_message.has_attachment is None
    # A Sales Navigator answer carries threadId; a recorded result carries replayed.
    again = structure({**body, "threadId": "2-abc", "replayed": True}, SendResult)
    assert again.thread_id == "2-abc" and again.replayed is True
    assert second_passes == []


@pytest.mark.parametrize(
    "content",
    [
        # orjson turns integers beyond 64 bits into floats: never answered from it.
        b'{"messages":[{"text":123456789012345678901234567890}]}',
        b'{"messages":[{"attachments":[{"id":123456789012345678901234567890}]}]}',
        b'{"messages":[{"sentAt":123456789012345678901234567890}]}',
        # json accepts these, orjson does not.
        b'{"messages":[{"attachments":[{"size":NaN}]}]}',
        b'{"note":"\\ud800"}',
        b'{"success":false,"error":"nope"}',
        b"[]",
    ],
)
def test_decode_fast_leaves_what_orjson_may_change_to_json(content: bytes) -> None:
    pytest.importorskip("orjson")
    assert decode_fast(content, MessagesPage) is None


def test_decode_fast_decodes_a_page() -> None:
    pytest.importorskip("orjson")
    body = {
        "messages": [{"messageUrn": "urn:li:m:1", "sentAt": 1_732_550_400_000, "attachments": []}],
        "hasMore": True,
        "cursor": "c",
    }
    page = decode_fast(json.dumps(body).encode(), MessagesPage)
    assert page == structure(body, MessagesPage)
    assert page is not None
    assert page.messages[0].sent_at is not None
    assert page.messages[0].sent_at.timestamp() == 1_732_550_400


def test_models_built_without_init_equal_constructed_ones() -> None:
    fields = attrs.fields(Message)
    assert _serde._slot_setters(Message, fields) is not None  # the fast build is used
    body = {key: None for key in KEYS[Message]} | {"text": "hi", "attachments": []}
    decoded = structure(body, Message)
    assert decoded == Message(text="hi")
    assert hash(decoded) == hash(Message(text="hi"))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        decoded.text = "changed"  # type: ignore[misc]


def test_a_class_with_a_validator_is_constructed() -> None:
    @attrs.frozen
    class Checked:
        name: str | None = attrs.field(default=None, validator=attrs.validators.max_len(3))

    assert _serde._slot_setters(Checked, attrs.fields(Checked)) is None
    with pytest.raises(DecodeError):
        structure({"name": "too long"}, Checked)


@pytest.mark.parametrize(
    "body",
    [
        {"messages": None, "participants": None},
        {"messages": [{"text": "hi", "attachments": None}], "participants": None},
    ],
)
def test_null_arrays_are_empty_on_every_path(body: dict[str, Any]) -> None:
    # The fast converter, the detailed one and orjson's path all read null as "none".
    fast = structure(body, MessagesPage)
    assert fast == careful(body, MessagesPage)
    assert fast.participants == () and all(m.attachments == () for m in fast.messages)
    if decode_fast(b"{}", MessagesPage) is not None:  # orjson installed
        assert decode_fast(json.dumps(body).encode(), MessagesPage) == fast


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"messages": "none"}, "$.messages"),  # not an array of four characters
        ({"messages": ["text"]}, "$.messages[0]"),  # not an object without keys
        ({"messages": [{"attachments": "none"}]}, "$.messages[0].attachments"),
        ({"participants": {"name": "x"}}, "$.participants"),
    ],
)
def test_what_is_not_an_array_or_an_object_is_refused(body: dict[str, Any], path: str) -> None:
    with pytest.raises(DecodeError) as info:
        structure(body, MessagesPage)
    assert info.value.path == path
    assert careful(body, MessagesPage) == "error"
