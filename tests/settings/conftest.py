"""Browser fixtures for the settings' end-to-end tests: a live server and Debian's Chromium.

`app` is deliberately not imported here: tests.browser's app runs on SQLite only and would replace,
for every test of this package, the app that runs each test on SQLite and on PostgreSQL. Each
end-to-end module imports it for itself (`from tests.browser import app  # noqa: F401`).
"""

from tests.browser import base_url, live, port, screenshots  # noqa: F401
from tests.maillog.conftest import start  # noqa: F401, E402 - the SMTP receiver fixture
