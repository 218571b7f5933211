"""The mailbox tests' fixtures: a real Dovecot, and the BCC receiver of the logging tests."""

from tests.imap_server import dovecot, imap_user  # noqa: F401 - fixtures
from tests.maillog.conftest import deliver  # noqa: F401 - fixture
