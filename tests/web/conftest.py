"""Browser fixtures for the web app's end-to-end tests: a live server and Debian's Chromium.

`app` is not imported here (it runs on SQLite only); an end-to-end module imports it itself.
"""

from tests.browser import base_url, live, port  # noqa: F401
