"""The self-signed development certificate that lets Office load the add-in from localhost."""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_NAME = "devcert.pem"
KEY_NAME = "devcert-key.pem"
COMMON_NAME = "tracklog development (localhost)"
# 825 days is the longest validity Apple platforms accept for a TLS server certificate.
VALID_DAYS = 825
RENEW_BEFORE = datetime.timedelta(days=30)
DNS_NAMES = ["localhost"]
IP_ADDRESSES = ["127.0.0.1", "::1"]


def certificate_paths(instance_path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Where the instance's development certificate and key live."""
    folder = Path(instance_path)
    return folder / CERT_NAME, folder / KEY_NAME


def ensure_certificate(instance_path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The development certificate and key, created unless a usable pair is already there."""
    cert_path, key_path = certificate_paths(instance_path)
    if not _usable(cert_path, key_path):
        cert_path.parent.mkdir(parents=True, exist_ok=True)
        _write_pair(cert_path, key_path)
    return cert_path, key_path


def _usable(cert_path: Path, key_path: Path) -> bool:
    """Whether both files exist, parse, and the certificate is not expiring within 30 days."""
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError):
        return False
    now = datetime.datetime.now(datetime.UTC)
    return certificate.not_valid_after_utc - now > RENEW_BEFORE


def _write_pair(cert_path: Path, key_path: Path) -> None:
    """Generate a key and a self-signed localhost certificate; the key is owner-readable only."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    alt_names: list[x509.GeneralName] = [x509.DNSName(dns) for dns in DNS_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in IP_ADDRESSES]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        # A leaf, not a CA: Firefox refuses a CA certificate used as the server's own certificate.
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(key_path, key_bytes)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _write_private(path: Path, data: bytes) -> None:
    """Replace the file with data readable by its owner alone (mode 0600)."""
    partial = path.with_name(path.name + ".new")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)


def trust_instructions(cert_path: str | os.PathLike[str]) -> str:
    """Plain-text steps to make browsers and Office trust the development certificate."""
    cert = str(cert_path)
    return f"""\
Development certificate: {cert}
Office only loads add-ins over HTTPS it trusts. Trust this certificate once (it is valid for
localhost, 127.0.0.1 and ::1 only), then restart Outlook and the browsers.

Windows (PowerShell or cmd, current user; no administrator rights needed):
  certutil -user -addstore Root "{cert}"
  (or run certmgr.msc > Trusted Root Certification Authorities > Certificates > All Tasks > Import)

macOS (login keychain):
  security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db "{cert}"

Linux, system store (curl, Python, most tools):
  Debian/Ubuntu: sudo cp "{cert}" /usr/local/share/ca-certificates/tracklog-dev.crt
                 sudo update-ca-certificates
  Fedora/RHEL:   sudo trust anchor --store "{cert}"
                 (or copy it to /etc/pki/ca-trust/source/anchors/ and run sudo update-ca-trust)

Linux, browsers (Chrome/Chromium and Firefox keep their own NSS database; needs libnss3-tools):
  certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n tracklog-dev -i "{cert}"
  Firefox: the same command with -d sql:<your Firefox profile folder>, or Settings > Privacy &
  Security > Certificates > View Certificates > Authorities > Import.
"""
