"""Browser fixtures for the partner pages' end-to-end tests: a live server and Debian's Chromium.

`app` is not imported here (tests.browser's runs on SQLite only); the end-to-end module imports it
for itself, so the other tests of this package run on SQLite and on PostgreSQL.
"""

from tests.browser import base_url, live, port, screenshots  # noqa: F401
