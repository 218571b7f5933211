"""The event bus delivers events to subscribers, across a host's processes and through Redis."""

from __future__ import annotations

import queue
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import REDIS_URL, redis_reason, unavailable
from tracklog.hostsockets import bind_datagram_socket
from tracklog.notify.bus import EventBus, HostBus, RedisBus


def redis_bus(namespace: str) -> RedisBus:
    """A Redis bus of an installation with this key (skipped where Redis is missing)."""
    if reason := redis_reason():
        unavailable("Redis", reason)
    return RedisBus(REDIS_URL, namespace=lambda: namespace)


@pytest.fixture(params=["host", "redis"])
def bus(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventBus]:
    """Each bus implementation in turn."""
    if request.param == "host":
        yield HostBus(tmp_path / "bus")
        return
    yield redis_bus(uuid.uuid4().hex)


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


def test_installations_sharing_a_redis_never_hear_each_other():
    mine, theirs = redis_bus(uuid.uuid4().hex), redis_bus(uuid.uuid4().hex)
    name, received = channel(), queue.Queue()
    subscription = mine.subscribe(name, received.put)
    theirs.publish(name, {"for": "another installation"})
    mine.publish(name, {"for": "me"})
    assert received.get(timeout=2) == {"for": "me"}
    with pytest.raises(queue.Empty):
        received.get(timeout=0.3)
    subscription.close()


PUBLISH_FROM_ANOTHER_PROCESS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tracklog.notify.bus import HostBus
    HostBus(Path(sys.argv[1])).publish(sys.argv[2], {"from": "another process"})
    """
)


def test_host_bus_carries_events_between_processes(tmp_path):
    bus, name, received = HostBus(tmp_path / "bus"), channel(), queue.Queue()
    subscription = bus.subscribe(name, received.put)
    subprocess.run(
        [sys.executable, "-c", PUBLISH_FROM_ANOTHER_PROCESS, str(tmp_path / "bus"), name],
        check=True,
        timeout=30,
    )
    assert received.get(timeout=2) == {"from": "another process"}
    subscription.close()


def test_host_bus_removes_its_socket_when_the_last_handler_leaves(tmp_path):
    bus = HostBus(tmp_path / "bus")
    subscription = bus.subscribe(channel(), lambda event: None)
    assert len(list(bus.sockets().glob("*.sock"))) == 1
    subscription.close()
    for _attempt in range(100):
        if not list(bus.sockets().glob("*.sock")):
            break
        time.sleep(0.02)
    assert list(bus.sockets().glob("*.sock")) == []
    bus.publish(channel(), {"nobody": "listens"})


def test_host_bus_skips_the_socket_of_a_process_that_died(tmp_path):
    bus = HostBus(tmp_path / "bus")
    stale = bus.sockets() / "99999999-dead.sock"
    stale_socket = bind_datagram_socket(stale)
    stale_socket.close()  # the process went without removing its file
    bus.publish(channel(), {"to": "nobody"})
    assert not stale.exists()


def test_a_deep_instance_folder_gets_short_socket_paths(tmp_path):
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 6)
    bus = HostBus(deep / "bus")
    name, received = channel(), queue.Queue()
    subscription = bus.subscribe(name, received.put)
    bus.publish(name, {"deep": True})
    assert received.get(timeout=2) == {"deep": True}
    assert all(len(str(path)) < 108 for path in bus.sockets().glob("*.sock"))
    assert HostBus(deep / "bus").sockets() == bus.sockets()
    subscription.close()
