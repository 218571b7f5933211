"""The event bus delivers events to subscribers, in-process and through Redis alike."""

from __future__ import annotations

import queue
import uuid
from collections.abc import Iterator

import pytest

from tests.services import REDIS_URL, redis_reason, unavailable
from tracklog.notify.bus import EventBus, InProcessBus, RedisBus


@pytest.fixture(params=["in-process", "redis"])
def bus(request: pytest.FixtureRequest) -> Iterator[EventBus]:
    """Each bus implementation in turn."""
    if request.param == "in-process":
        yield InProcessBus()
        return
    if reason := redis_reason():
        unavailable("Redis", reason)
    yield RedisBus(REDIS_URL)


def channel() -> str:
    """A channel no other test uses."""
    return f"test.{uuid.uuid4().hex}"


def wait_subscribed(bus: EventBus, name: str, received: queue.Queue) -> None:
    """Publish probes until the subscription is live (Redis subscribes asynchronously)."""
    for _attempt in range(100):
        bus.publish(name, {"probe": True})
        try:
            received.get(timeout=0.05)
            return
        except queue.Empty:
            continue
    raise AssertionError("subscription never became live")


def test_events_reach_subscribers_in_order(bus):
    name, received = channel(), queue.Queue()
    subscription = bus.subscribe(name, received.put)
    wait_subscribed(bus, name, received)
    for number in range(20):
        bus.publish(name, {"n": number})
    got = [received.get(timeout=2)["n"] for _ in range(20)]
    subscription.close()
    assert got == list(range(20))


def test_channels_are_separate(bus):
    mine, other, received = channel(), channel(), queue.Queue()
    subscription = bus.subscribe(mine, received.put)
    wait_subscribed(bus, mine, received)
    bus.publish(other, {"for": "someone else"})
    bus.publish(mine, {"for": "me"})
    assert received.get(timeout=2) == {"for": "me"}
    subscription.close()


def test_closed_subscription_receives_nothing(bus):
    name, received = channel(), queue.Queue()
    subscription = bus.subscribe(name, received.put)
    wait_subscribed(bus, name, received)
    subscription.close()
    bus.publish(name, {"late": True})
    with pytest.raises(queue.Empty):
        received.get(timeout=0.3)


def test_ping(bus):
    bus.ping()
