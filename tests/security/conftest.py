"""The attack suite's fixtures are the rest of the suite's: the HTTP app as `ccc-mcp serve` runs it over the
fake CCC (tests/transports), an authorization server with its JWKS (tests/transports/test_oauth.py), and the
real `ccc-mcp serve` process in front of the simulator (tests/e2e); raw requests in either protocol era come
from tests/transports/conftest.py."""

from __future__ import annotations

from tests.e2e.conftest import http_process, simulator  # noqa: F401 - fixtures
from tests.transports.conftest import http_server  # noqa: F401 - a fixture
from tests.transports.test_oauth import authorization_server  # noqa: F401 - a fixture
