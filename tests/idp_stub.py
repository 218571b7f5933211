"""A stub Microsoft Entra ID on 127.0.0.1 over real HTTPS: OIDC metadata, JWKS, the authorize
endpoint (signing in whoever `signed_in` names at once), and the token endpoint's on-behalf-of,
authorization code and refresh token grants."""

from __future__ import annotations

import base64
import ipaddress
import json
import socket
import ssl
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from jwt.algorithms import RSAAlgorithm

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GRAPH = "https://graph.microsoft.com"
SIGNED_IN = {"oid": "oid-of-alice", "preferred_username": "alice@acme.example", "name": "Alice"}


def _name(common_name: str) -> x509.Name:
    """An X.509 name with only a common name."""
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def write_tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA, and a certificate for 127.0.0.1 and localhost signed by it: (ca, cert, key)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("tracklog test identity CA"))
        .issuer_name(_name("tracklog test identity CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


def new_signing_key() -> rsa.RSAPrivateKey:
    """A fresh RSA key for RS256 tokens."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(kid: str, private_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    """The JWKS entry of a key, shaped like Entra ID's (no `alg`, `use` = sig)."""
    entry = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    return {**entry, "kid": kid, "use": "sig"}


def closed_port_url() -> str:
    """An https URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"https://127.0.0.1:{port}"


class StubIdentityProvider:
    """Entra ID's endpoints for any tenant, with keys that tests can rotate and failures to set."""

    def __init__(self, directory: Path, *, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.ca_file, self._cert_file, self._key_file = write_tls_files(directory)
        self._initial = ("stub-key-1", new_signing_key())
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    def reset(self) -> None:
        """Back to one published key, no failures and no recorded requests."""
        with self._lock:
            self.keys: dict[str, rsa.RSAPrivateKey] = dict([self._initial])
            self.current_kid = self._initial[0]
            self.failing: set[str] = set()
            self.templated_issuer = False
            self.token_error: dict[str, Any] | None = None
            self.hits: list[str] = []
            self.token_requests: list[dict[str, str]] = []
            self.signed_in: dict[str, str] = dict(SIGNED_IN)
            self.codes: dict[str, dict[str, Any]] = {}
            self.refresh_tokens: dict[str, dict[str, Any]] = {}

    def start(self) -> StubIdentityProvider:
        """Listen on a random port of 127.0.0.1 in a background thread."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self._cert_file, self._key_file)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.stub = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StubIdentityProvider:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The authority, e.g. https://127.0.0.1:43123."""
        assert self._server is not None, "the stub is not started"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def issuer(self, tenant_id: str) -> str:
        """The issuer of the tenant's v2.0 tokens."""
        return f"{self.url}/{tenant_id}/v2.0"

    def hit_count(self, kind: str) -> int:
        """How many requests of a kind (metadata, jwks, token) were answered or refused."""
        return self.hits.count(kind)

    def rotate(self) -> str:
        """Replace the published keys with a new one, as Entra ID does; returns its kid."""
        kid = f"stub-key-{uuid.uuid4().hex[:8]}"
        with self._lock:
            self.keys = {kid: new_signing_key()}
            self.current_kid = kid
        return kid

    def claims(self, tenant_id: str, audience: str, **overrides: Any) -> dict[str, Any]:
        """The claims of a v2.0 access token of the tenant; an override of None drops a claim."""
        now = int(time.time())
        claims = {
            "aud": audience,
            "iss": self.issuer(tenant_id),
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "tid": tenant_id,
            "oid": str(uuid.uuid4()),
            "scp": "access_as_user",
            "preferred_username": "carol@acme.example",
            "name": "Carol Danvers",
            "azp": "ea5a67f6-b6f3-4338-b240-c655ddc3cc8e",
            "ver": "2.0",
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def sign(
        self,
        claims: dict[str, Any],
        *,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        """An RS256 token; by default signed with the current published key."""
        kid = kid or self.current_kid
        return jwt.encode(
            claims, key or self.keys[kid], algorithm="RS256", headers={"kid": kid, "typ": "JWT"}
        )

    def token(self, tenant_id: str, audience: str, **overrides: Any) -> str:
        """A signed access token of the tenant."""
        return self.sign(self.claims(tenant_id, audience, **overrides))

    def metadata(self, tenant_id: str) -> dict[str, Any]:
        """The tenant's OpenID configuration."""
        base = f"{self.url}/{tenant_id}"
        issuer_tenant = "{tenantid}" if self.templated_issuer else tenant_id
        return {
            "issuer": f"{self.url}/{issuer_tenant}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "token id_token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "tenant_region_scope": "EU",
        }

    def jwks(self) -> dict[str, Any]:
        """The published keys."""
        with self._lock:
            return {"keys": [public_jwk(kid, key) for kid, key in self.keys.items()]}

    def authorize(self, tenant_id: str, query: dict[str, str]) -> str:
        """Sign `signed_in` in at once: where the browser goes back, with a code and the state."""
        code = uuid.uuid4().hex
        self.codes[code] = {
            "tenant": tenant_id,
            "nonce": query.get("nonce"),
            "redirect_uri": query.get("redirect_uri"),
            "user": dict(self.signed_in),
        }
        answer = {"code": code, "state": query.get("state", "")}
        return f"{query.get('redirect_uri')}?{urlencode(answer)}"

    def exchange(self, tenant_id: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Answer a token request like Entra ID does, by its grant type."""
        self.token_requests.append(form)
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return 401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            }
        grants = {
            JWT_BEARER: self._on_behalf_of,
            "authorization_code": self._authorization_code,
            "refresh_token": self._refresh,
        }
        grant = grants.get(form.get("grant_type", ""))
        if grant is None or (
            grant == self._on_behalf_of and form.get("requested_token_use") != "on_behalf_of"
        ):
            return 400, {"error": "unsupported_grant_type"}
        if self.token_error is not None:
            return 400, self.token_error
        return grant(tenant_id, form)

    def _on_behalf_of(self, tenant_id: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """A Graph token for the user of the assertion (and a refresh token with offline_access)."""
        try:
            header = jwt.get_unverified_header(form.get("assertion", ""))
            key = self.keys[header["kid"]].public_key()
            user = jwt.decode(
                form["assertion"],
                key,
                algorithms=["RS256"],
                issuer=self.issuer(tenant_id),
                options={"verify_aud": False},
            )
            # The assertion must be a token to this app: its client id or its api:// URI.
            if not str(user.get("aud", "")).endswith(self.client_id):
                raise KeyError("aud")
        except (jwt.PyJWTError, KeyError):
            return _invalid_grant("AADSTS50013: Assertion failed signature validation.")
        return 200, self._tokens(tenant_id, user, form.get("scope", ""))

    def _authorization_code(
        self, tenant_id: str, form: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """Tokens for the user an authorize request signed in, once per code."""
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return _invalid_grant("AADSTS70008: The provided authorization code is invalid.")
        return 200, self._tokens(tenant_id, grant["user"], form.get("scope", ""), grant["nonce"])

    def _refresh(self, tenant_id: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """New tokens for a refresh token still valid; it is used up (Entra rotates them)."""
        user = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
        if user is None:
            return _invalid_grant("AADSTS700082: The refresh token has expired.")
        return 200, self._tokens(tenant_id, user, form.get("scope", ""))

    def _tokens(
        self, tenant_id: str, user: dict[str, Any], scope: str, nonce: str | None = None
    ) -> dict[str, Any]:
        """A token answer: a Graph access token, and with offline_access a refresh token, an ID
        token and client info (what MSAL keeps an account by)."""
        requested = scope.split()
        scopes = [s for s in requested if s.startswith(GRAPH)]
        now = int(time.time())
        graph_token = self.sign(
            {
                "aud": GRAPH,
                "iss": f"https://sts.windows.net/{tenant_id}/",
                "iat": now,
                "exp": now + 3599,
                "oid": user["oid"],
                "tid": tenant_id,
                "scp": " ".join(s.removeprefix(GRAPH + "/") for s in scopes),
                "jti": uuid.uuid4().hex,
            }
        )
        answer: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join(scopes),
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": graph_token,
        }
        if "offline_access" not in requested:
            return answer
        refresh_token = f"stub-rt-{uuid.uuid4().hex}"
        self.refresh_tokens[refresh_token] = dict(user)
        id_claims = {
            "aud": self.client_id,
            "iss": self.issuer(tenant_id),
            "iat": now,
            "exp": now + 3600,
            "sub": user["oid"],
            "oid": user["oid"],
            "tid": tenant_id,
            "preferred_username": user.get("preferred_username"),
            "name": user.get("name"),
            "nonce": nonce,
        }
        client_info = {"uid": user["oid"], "utid": tenant_id}
        return {
            **answer,
            "refresh_token": refresh_token,
            "id_token": self.sign({k: v for k, v in id_claims.items() if v is not None}),
            "client_info": _base64url(json.dumps(client_info).encode()),
        }


def _invalid_grant(description: str) -> tuple[int, dict[str, Any]]:
    """Entra ID's answer to a grant it refuses."""
    return 400, {
        "error": "invalid_grant",
        "error_description": f"{description}\r\nTrace ID: 0000 Correlation ID: 0000",
    }


def _base64url(data: bytes) -> str:
    """Unpadded base64url, as client_info is sent."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class _Handler(BaseHTTPRequestHandler):
    """Routes of the stub: /<tenant>/v2.0/.well-known/openid-configuration, keys and token."""

    server_version = "StubEntra/1.0"

    def _stub(self) -> StubIdentityProvider:
        """The stub this server belongs to."""
        return self.server.stub  # type: ignore[attr-defined]

    def _answer(self, status: int, document: dict[str, Any]) -> None:
        """Send a JSON document."""
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> tuple[str, str]:
        """The kind of request and its tenant."""
        parts = self.path.split("?")[0].strip("/").split("/", 1)
        tenant_id, rest = (parts + [""])[:2]
        kinds = {
            ("GET", "v2.0/.well-known/openid-configuration"): "metadata",
            ("GET", "discovery/v2.0/keys"): "jwks",
            ("POST", "oauth2/v2.0/token"): "token",
            ("GET", "oauth2/v2.0/authorize"): "authorize",
        }
        return kinds.get((self.command, rest), "unknown"), tenant_id

    def _handle(self) -> None:
        """Answer one request, or fail it when the test asked for a failure."""
        stub = self._stub()
        kind, tenant_id = self._route()
        stub.hits.append(kind)
        if kind == "unknown":
            return self._answer(404, {"error": "not_found"})
        if kind in stub.failing:
            return self._answer(503, {"error": "temporarily_unavailable"})
        if kind == "metadata":
            return self._answer(200, stub.metadata(tenant_id))
        if kind == "jwks":
            return self._answer(200, stub.jwks())
        if kind == "authorize":
            query = {k: v[0] for k, v in parse_qs(self.path.partition("?")[2]).items()}
            self.send_response(302)
            self.send_header("Location", stub.authorize(tenant_id, query))
            self.send_header("Content-Length", "0")
            return self.end_headers()
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self._answer(*stub.exchange(tenant_id, form))

    do_GET = do_POST = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Keep test output quiet."""
