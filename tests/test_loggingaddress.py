"""The logging address: built, parsed and recognised by one module, whatever the case."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tracklog.loggingaddress import is_logging_address, logging_address, parse_logging_address


@pytest.fixture
def bcc_domain() -> Iterator[None]:
    """An app context whose BCC domain is example.com."""
    app = Flask(__name__)
    app.config["BCC_DOMAIN"] = "example.com"
    with app.app_context():
        yield


@pytest.mark.usefixtures("bcc_domain")
def test_account_and_draft_addresses_parse_back_to_their_parts():
    assert logging_address("k42") == "log+k42@example.com"
    assert logging_address("k42", "tl_abc") == "log+k42.tl_abc@example.com"
    assert parse_logging_address(logging_address("k42")) == ("k42", None)
    assert parse_logging_address(logging_address("k42", "tl_abc")) == ("k42", "tl_abc")


@pytest.mark.usefixtures("bcc_domain")
def test_upper_case_logging_address_is_recognised():
    assert is_logging_address("LOG+key@EXAMPLE.COM")
    assert parse_logging_address("<LOG+Key.TL_X@Example.Com>") == ("key", "tl_x")


@pytest.mark.usefixtures("bcc_domain")
@pytest.mark.parametrize(
    "address",
    ["log+key@other.example", "key@example.com", "log+@example.com", "", "log+key@sub.example.com"],
)
def test_other_addresses_are_not_logging_addresses(address):
    assert not is_logging_address(address)
    assert parse_logging_address(address) is None
