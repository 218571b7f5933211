"""The mailbox tests' fixtures: the BCC receiver (Dovecot's are in tests/conftest.py)."""

from tests.maillog.conftest import deliver  # noqa: F401 - fixture
