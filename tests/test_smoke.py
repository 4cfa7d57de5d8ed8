import pytest

pytestmark = pytest.mark.anyio


async def test_send_reaches_fake(client, fake):
    result = await client.conversations.send("hi", recipient_profile_id="john-doe")
    assert result.success
    assert fake.sends[0].text == "hi"
