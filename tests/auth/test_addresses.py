"""A user's own addresses: an alias counts for logging only once the link sent to it was
followed, in the receiver and in the pane's preview alike; links go out through a real relay."""

from __future__ import annotations

import re

from tests.maillog.mail import outgoing, raw
from tests.services import free_port
from tests.tracking.helpers import compose
from tracklog.maillog.ingest import process_inbound
from tracklog.maillog.store import store_inbound
from tracklog.maillog.why import render_step

ALIAS = "bob.sales@acme.example"


def path_of(link: str) -> str:
    """The path of a one-time link of this installation."""
    return link.removeprefix("https://tracklog.test")


def bcc_copy_from(world, sender: str):
    """A BCC copy sent from this address, received and processed."""
    inbound = store_inbound(world.account.id, "smtp", raw(outgoing(sender=sender)))
    return process_inbound(inbound.id)


def test_an_unverified_alias_is_not_logged_until_its_link_is_followed(api, client, world):
    bob = api.as_token(world.user_token)
    added = bob.post("/me/addresses", {"email": "Bob.Sales@acme.example"})
    assert added.status_code == 201, added.json
    assert added.json["email"] == ALIAS and added.json["verified"] is False
    assert added.json["sent"] is False and "/verify-address/" in added.json["link"]

    refused = bcc_copy_from(world, ALIAS)
    assert refused.status == "not_logged"
    last = render_step(refused.steps[-1])
    assert last["code"] == "sender_alias_unverified" and "not verified yet" in last["text"]
    [peter] = compose(bob, ["peter@initech.example"], **{"from": ALIAS})["recipients"]
    assert peter["log"] is False and "not verified yet" in peter["reason"]

    page = client.get(path_of(added.json["link"]))  # a scanner opening the link confirms nothing
    assert page.status_code == 200 and ALIAS in page.get_data(as_text=True)
    assert bob.get("/me/addresses").json["items"][0]["verified"] is False
    confirmed = client.post(path_of(added.json["link"]))
    assert confirmed.status_code == 200 and "is confirmed" in confirmed.get_data(as_text=True)
    assert client.get(path_of(added.json["link"])).status_code == 404  # one use
    assert client.post(path_of(added.json["link"])).status_code == 404
    assert bob.get("/me/addresses").json["items"][0]["verified"] is True
    assert bcc_copy_from(world, ALIAS).status == "logged"
    [peter] = compose(bob, ["peter@initech.example"], item_id="2", **{"from": ALIAS})["recipients"]
    assert peter["log"] is True


def test_an_address_of_someone_else_cannot_be_claimed(api, world):
    bob = api.as_token(world.user_token)
    assert bob.post("/me/addresses", {"email": "alice@acme.example"}).status_code == 409
    assert bob.post("/me/addresses", {"email": "hank@globex.example"}).status_code == 409
    assert bob.post("/me/addresses", {"email": ALIAS}).status_code == 201
    assert api.post("/me/addresses", {"email": ALIAS}).status_code == 409
    assert bob.post("/me/addresses", {"email": "nope"}).status_code == 422


def test_addresses_are_each_users_own(api, world):
    bob = api.as_token(world.user_token)
    alias = bob.post("/me/addresses", {"email": ALIAS}).json
    assert api.get("/me/addresses").json["items"] == []
    assert api.delete(f"/me/addresses/{alias['id']}").status_code == 404
    assert bob.delete(f"/me/addresses/{alias['id']}").status_code == 204
    assert bob.get("/me/addresses").json["items"] == []


def test_a_forged_verification_link_is_not_found(client, world):
    assert client.get("/verify-address/forged").status_code == 404


def test_the_relay_carries_the_invitation_and_the_link_in_it_works(api, client, world, relay):
    created = api.post("/invitations", {"email": "carol@acme.example", "role": "user"})
    assert created.status_code == 201
    assert created.json["sent"] is True and "link" not in created.json
    [mail] = relay.mails
    assert mail["To"] == "carol@acme.example" and "Acme Sales" in mail["Subject"]
    link = re.search(r"https://tracklog\.test(/invite/\S+)", mail.get_content()).group(1)
    answer = client.post(link, data={"new": "a long password", "repeat": "a long password"})
    assert answer.status_code == 302


def test_the_relay_carries_the_verification_link_to_the_alias(api, client, world, relay):
    bob = api.as_token(world.user_token)
    added = bob.post("/me/addresses", {"email": ALIAS})
    assert added.json["sent"] is True and "link" not in added.json
    [mail] = relay.mails
    assert mail["To"] == ALIAS
    link = re.search(r"https://tracklog\.test(/verify-address/\S+)", mail.get_content()).group(1)
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 200
    assert bcc_copy_from(world, ALIAS).status == "logged"


def test_a_relay_that_is_down_answers_the_link_instead(app, api, world):
    app.config["OUTGOING_SMTP"] = f"127.0.0.1:{free_port()}"
    created = api.post("/invitations", {"email": "carol@acme.example"})
    assert created.status_code == 201
    assert created.json["sent"] is False and "/invite/" in created.json["link"]
