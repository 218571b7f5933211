"""What a batch of hits needs to know of earlier hits, read in a few queries up front.

Classifying a hit looks at the sender's recent sightings and, for a click, the same address's
earlier clicks on the message; a person's open looks for the same client's last open within the
repeat window; a scanner's burst turns the address's earlier human clicks into the scanner's.
The recorder used to ask the database each of these per hit. A batch now reads, once, every
row any of its hits could see (the batch's messages and addresses, from its first hit's time
minus the longest window on), and adds its own events as it makes them; each hit then filters
these in memory by exactly the conditions the per-hit queries had, so it sees the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from tracklog.extensions import db
from tracklog.models import EngagementEvent, Message, SenderSighting
from tracklog.models.tracking import PERSON_CLASSES
from tracklog.tracking.classify import PriorHit, Sighting

SIGHTINGS_WINDOW = timedelta(hours=24)
# An event of the batch: a stored EngagementEvent, or one the recorder just made
# (recording.NewEvent, the same fields as plain attributes).
Event = Any
# An open a repeat counts against: an Event, or a row with its id, repeat_of_id, occurred_at
# and recipient_id.
SeenOpen = Any


def _matching_ip(column: Any, ips: set[str | None]) -> Any:
    """The column equal to one of the addresses (NULL matching a missing one, as `==` does)."""
    known = {ip for ip in ips if ip is not None}
    conditions = [column.in_(known)] if known else []
    if None in ips:
        conditions.append(column.is_(None))
    return or_(*conditions)


@dataclass
class RecentHits:
    """The earlier sightings, clicks and people's opens a batch's hits can see, by key."""

    sightings: dict[tuple[int, str], list[SenderSighting]] = field(default_factory=dict)
    clicks: dict[tuple[int, str | None], list[Event]] = field(default_factory=dict)
    opens: dict[tuple[int, str | None, str], list[SeenOpen]] = field(default_factory=dict)
    # A repeat made in this batch whose first open is also new: linked once both have ids
    # (recording._insert_events).
    roots: dict[Event, Event] = field(default_factory=dict)

    @classmethod
    def around(
        cls,
        entries: list[dict[str, Any]],
        messages: Iterable[Message],
        clicks_window: timedelta,
        opens_window: timedelta,
    ) -> RecentHits:
        """What the entries (oldest first) on these messages can see, read in three queries."""
        recent = cls()
        by_id = {message.id: message for message in messages}
        mine = [entry for entry in entries if entry["target_id"] in by_id]
        if not by_id or not entries:
            return recent
        since = datetime.fromisoformat(entries[0]["at"])
        accounts = {message.account_id for message in by_id.values()}
        recent._read_sightings(by_id.values(), accounts, since - SIGHTINGS_WINDOW)
        clicked = [entry for entry in mine if entry["kind"] == "click"]
        if clicked:
            recent._read_clicks(clicked, accounts, since - clicks_window)
        opened = [entry for entry in mine if entry["kind"] == "open"]
        if opened:
            recent._read_opens(opened, accounts, since - opens_window)
        return recent

    def _read_sightings(self, messages: Iterable[Message], accounts: set, since: datetime) -> None:
        """The senders' sightings from `since` on."""
        rows = db.session.scalars(
            select(SenderSighting).where(
                SenderSighting.account_id.in_(accounts),
                SenderSighting.user_id.in_({message.user_id for message in messages}),
                SenderSighting.seen_at >= since,
            )
        )
        for row in rows:
            self.sightings.setdefault((row.user_id, row.ip), []).append(row)

    def _read_clicks(self, entries: list[dict], accounts: set, since: datetime) -> None:
        """The messages' clicks from `since` on from the entries' addresses (any later one too:
        a burst reclassifies those as well)."""
        rows = db.session.scalars(
            select(EngagementEvent).where(
                EngagementEvent.account_id.in_(accounts),
                EngagementEvent.message_id.in_({entry["target_id"] for entry in entries}),
                EngagementEvent.kind == "click",
                _matching_ip(EngagementEvent.ip, {entry.get("ip") for entry in entries}),
                EngagementEvent.occurred_at >= since,
            )
        )
        for row in rows:
            self.clicks.setdefault((row.message_id, row.ip), []).append(row)

    def _read_opens(self, entries: list[dict], accounts: set, since: datetime) -> None:
        """The messages' opens by people from `since` on from the entries' addresses."""
        rows = db.session.execute(
            select(
                EngagementEvent.id,
                EngagementEvent.repeat_of_id,
                EngagementEvent.occurred_at,
                EngagementEvent.recipient_id,
                EngagementEvent.message_id,
                EngagementEvent.ip,
                EngagementEvent.user_agent,
            ).where(
                EngagementEvent.account_id.in_(accounts),
                EngagementEvent.message_id.in_({entry["target_id"] for entry in entries}),
                EngagementEvent.kind == "open",
                EngagementEvent.classification.in_(PERSON_CLASSES),
                _matching_ip(EngagementEvent.ip, {entry.get("ip") for entry in entries}),
                EngagementEvent.occurred_at >= since,
            )
        )
        for row in rows:
            self.opens.setdefault((row.message_id, row.ip, row.user_agent), []).append(row)

    def sender_sightings(self, user_id: int, ip: str | None, at: datetime) -> tuple[Sighting, ...]:
        """The sender's sightings at this address within the window before the hit (or after)."""
        rows = self.sightings.get((user_id, ip or ""), ())
        return tuple(
            Sighting(row.ip, row.user_agent, row.seen_at)
            for row in rows
            if row.seen_at >= at - SIGHTINGS_WINDOW
        )

    def prior_clicks(
        self, message_id: int, link_slots: dict[int, int], ip: str, at: datetime, window: timedelta
    ) -> tuple[PriorHit, ...]:
        """The message's clicks on a link (link_slots: its links' ids to slots) from this
        address within the window up to the hit."""
        return tuple(
            PriorHit(event.occurred_at, event.ip, event.user_agent or "", event.kind, slot)
            for event in self.clicks.get((message_id, ip), ())
            if (slot := link_slots.get(event.link_id)) is not None
            and at - window <= event.occurred_at <= at
        )

    def human_clicks_since(self, message_id: int, ip: str | None, since: datetime) -> list[Event]:
        """The message's clicks from this address since then still judged a person's."""
        return [
            event
            for event in self.clicks.get((message_id, ip), ())
            if event.occurred_at >= since and event.classification == "human"
        ]

    def repeated_open(self, event: Event, window: timedelta) -> SeenOpen | None:
        """The latest open by the same client (and recipient) within the window up to this one;
        of two at the same moment the later recorded (a new one is later than any stored)."""
        at, found, found_key = event.occurred_at, None, None
        for seen in self.opens.get((event.message_id, event.ip, event.user_agent), ()):
            if not at - window <= seen.occurred_at <= at:
                continue
            if event.recipient_id is not None and seen.recipient_id != event.recipient_id:
                continue
            if event.id is not None and (seen.id is None or seen.id >= event.id):
                continue
            key = (seen.occurred_at, seen.id is None, seen.id or 0)
            if found_key is None or key >= found_key:
                found, found_key = seen, key
        return found

    def mark_repeat(self, event: Event, repeat: SeenOpen) -> None:
        """Count the event as a repeat of the first open of the series `repeat` belongs to."""
        event.counted = False
        root = self.roots.get(repeat) or repeat.repeat_of_id or repeat.id or repeat
        if isinstance(root, int):
            event.repeat_of_id = root
        else:
            self.roots[event] = root

    def add(self, event: Event) -> None:
        """A new event later hits of the batch can see."""
        if event.kind == "click":
            self.clicks.setdefault((event.message_id, event.ip), []).append(event)
        elif event.kind == "open" and event.classification in PERSON_CLASSES:
            key = (event.message_id, event.ip, event.user_agent)
            self.opens.setdefault(key, []).append(event)
