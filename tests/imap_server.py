"""A private Dovecot on 127.0.0.1 for the IMAP connector's tests: an IMAPS port and a STARTTLS
port with a test CA's certificate, mailboxes of test users, mail put in by IMAP APPEND.

Dovecot runs as the current user where it can. As root (containers), its login processes must
not: they run as Debian's `dovenull` and `dovecot` users, and the mail as `dovecot`, which is why
the server's folder is a fresh one under /tmp and not pytest's root-only tmp_path.
"""

from __future__ import annotations

import getpass
import grp
import imaplib
import itertools
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from tests.idp_stub import write_tls_files
from tests.services import free_port, unavailable
from tracklog.supervision import stop_process

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
CONFIG = """\
base_dir = {home}/run
state_dir = {home}/state
instance_name = tracklog-test-{port}
listen = 127.0.0.1
protocols = imap
log_path = {home}/dovecot.log
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 0
auth_failure_delay = 0
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {home}/users/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {home}/users/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
service imap-login {{
  {login_chroot}
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No growing delay after the tests' wrong passwords (Dovecot's auth penalty, per client IP).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{auth_service}
"""


@dataclass
class ImapUser:
    """A mailbox of the test server: its login and password."""

    server: Dovecot
    username: str
    password: str

    def settings(self, security: str = "tls") -> dict[str, object]:
        """What a user types to connect this mailbox (POST /api/v1/me/mailbox/imap)."""
        port = self.server.imaps_port if security == "tls" else self.server.imap_port
        return {
            "host": "127.0.0.1",
            "port": port,
            "security": security,
            "username": self.username,
            "password": self.password,
        }

    def session(self) -> imaplib.IMAP4_SSL:
        """A logged-in IMAPS session of this user."""
        client = imaplib.IMAP4_SSL(
            "127.0.0.1", self.server.imaps_port, ssl_context=self.server.tls(), timeout=10
        )
        client.login(self.username, self.password)
        return client

    def append(self, folder: str, mail: bytes, received: datetime | None = None) -> None:
        """Deliver a mail into a folder, received at that moment (now by default)."""
        client = self.session()
        try:
            moment = imaplib.Time2Internaldate(received or time.time())
            status, answer = client.append(folder, None, moment, mail)
            assert status == "OK", answer
        finally:
            client.logout()

    def seen(self, folder: str = "INBOX") -> list[int]:
        """The UIDs of the folder's mail marked as read."""
        client = self.session()
        try:
            client.select(folder, readonly=True)
            _status, answer = client.uid("SEARCH", "SEEN")
            return [int(uid) for uid in answer[0].split()]
        finally:
            client.logout()

    def renumber(self, folder: str, uidvalidity: int) -> None:
        """Give the folder a new UIDVALIDITY, as a server restored from a backup does."""
        self.server.doveadm(
            "mailbox", "update", "-u", self.username, "--uid-validity", str(uidvalidity), folder
        )


class Dovecot:
    """A running Dovecot of its own, with its config, users, maildirs and log in one folder."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="tracklog-dovecot-"))
        self.home.chmod(0o755)
        self.ca, cert, key = write_tls_files(self.home)
        self.imap_port, self.imaps_port = free_port(), free_port()
        self.config = self.home / "dovecot.conf"
        self.config.write_text(self._config_text(cert, key))
        (self.home / "users").mkdir(mode=0o700)
        self._numbers = itertools.count(1)
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait_until_listening()

    def _config_text(self, cert: Path, key: Path) -> str:
        """The server's configuration: rootless where it can be."""
        as_root = os.geteuid() == 0
        user = getpass.getuser()
        return CONFIG.format(
            home=self.home,
            port=self.imaps_port,
            cert=cert,
            key=key,
            imap_port=self.imap_port,
            imaps_port=self.imaps_port,
            internal_user="dovecot" if as_root else user,
            internal_group="dovecot" if as_root else grp.getgrgid(os.getgid()).gr_name,
            login_user="dovenull" if as_root else user,
            login_chroot="" if as_root else "chroot =",
            auth_service="service auth {\n  user = root\n}" if as_root else "",
        )

    def _wait_until_listening(self) -> None:
        """Return once both ports accept connections (fail with the log when they never do)."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot stopped: {self.process.stderr.read().decode()}")
            try:
                for port in (self.imap_port, self.imaps_port):
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not listen: {self.log()}")

    def tls(self) -> ssl.SSLContext:
        """A client TLS context trusting the test CA."""
        return ssl.create_default_context(cafile=str(self.ca))

    def log(self) -> str:
        """What Dovecot logged."""
        path = self.home / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def new_user(self, password: str = "app password 1") -> ImapUser:
        """A new user with an empty mailbox (an INBOX and a Sent folder)."""
        number = next(self._numbers)
        username = f"user{number}@mail.test"
        mail_home = self.home / "mail" / f"user{number}"
        mail_home.mkdir(parents=True)
        owner = pwd.getpwnam("dovecot") if os.geteuid() == 0 else pwd.getpwuid(os.getuid())
        os.chown(mail_home, owner.pw_uid, owner.pw_gid)
        # A file per user: Dovecot sees a new file at once, a changed one only a second later.
        (self.home / "users" / username).write_text(
            f"{username}:{{PLAIN}}{password}:{owner.pw_uid}:{owner.pw_gid}::{mail_home}::\n"
        )
        return ImapUser(self, username, password)

    def doveadm(self, *arguments: str) -> None:
        """Run a doveadm command against this server."""
        subprocess.run(
            [DOVEADM, "-c", str(self.config), *arguments], check=True, capture_output=True
        )

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        stop_process(self.process)
        self.process.stderr.close()
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot for the test run (skipped, or failed under CI=true, when it is missing)."""
    if not Path(DOVECOT).exists():
        unavailable("Dovecot", f"{DOVECOT} is missing; apt-get install -y dovecot-imapd")
    server = Dovecot()
    yield server
    server.stop()


@pytest.fixture
def imap_user(dovecot: Dovecot) -> ImapUser:
    """A fresh mailbox on the test Dovecot."""
    return dovecot.new_user()
