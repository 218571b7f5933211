"""The URL rule's judgement of addresses: public internet only, mapped IPv6 included."""

from __future__ import annotations

import pytest

from tracklog.webhooks.address import check_url, is_public


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.0.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1%eth0",
        "fc00::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "2002:7f00:1::",
        "ff02::1",
    ],
)
def test_private_and_special_addresses_are_not_public(address):
    assert is_public(address) is False


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_internet_addresses_are_public(address):
    assert is_public(address) is True


def test_a_checked_target_connects_to_the_checked_address_with_the_hosts_name():
    target = check_url("http://localhost:8080/hook?x=1", allow_http=True)
    assert target.address in ("127.0.0.1", "::1")
    assert target.host_header() == "localhost:8080"
    assert target.pinned_url().endswith(":8080/hook?x=1")
    assert check_url("https://8.8.8.8/", allow_http=False).host_header() == "8.8.8.8"
