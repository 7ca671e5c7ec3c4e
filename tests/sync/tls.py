"""Certificates for the transport tests: a throwaway certificate authority and the server
certificates it signs, made with ``cryptography`` (nothing is fetched, nothing is trusted by
the system).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_KeyType = ec.EllipticCurvePrivateKey


def _key() -> _KeyType:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: _KeyType) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _validity(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return builder.not_valid_before(now - timedelta(days=1)).not_valid_after(
        now + timedelta(days=30)
    )


@dataclass(frozen=True)
class ServerCertificate:
    """A server's certificate (PEM) and its private key (PEM, unencrypted)."""

    cert_pem: bytes
    key_pem: bytes

    def write(self, folder: Path, stem: str = "server") -> tuple[Path, Path]:
        cert, key = folder / f"{stem}.crt", folder / f"{stem}.key"
        cert.write_bytes(self.cert_pem)
        key.write_bytes(self.key_pem)
        key.chmod(0o600)
        return cert, key


@dataclass(frozen=True)
class CertificateAuthority:
    name: str
    key: _KeyType
    cert: x509.Certificate

    @classmethod
    def create(cls, name: str = "Support Console test CA") -> CertificateAuthority:
        key = _key()
        builder = (
            _validity(x509.CertificateBuilder())
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
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
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        )
        return cls(name, key, builder.sign(key, hashes.SHA256()))

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def write(self, path: Path) -> Path:
        path.write_bytes(self.cert_pem)
        return path

    def issue(self, host: str = "127.0.0.1") -> ServerCertificate:
        """A server certificate for ``host`` (an IP address or a DNS name) signed by us."""
        key = _key()
        try:
            alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            alt = x509.DNSName(host)
        builder = (
            _validity(x509.CertificateBuilder())
            .subject_name(_name(host))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
        )
        cert = builder.sign(self.key, hashes.SHA256())
        return ServerCertificate(cert.public_bytes(serialization.Encoding.PEM), _pem_key(key))


def self_signed(host: str = "127.0.0.1") -> ServerCertificate:
    """A certificate for ``host`` that vouches for itself (what a spoofed server shows)."""
    authority = CertificateAuthority.create(f"{host} (self-signed)")
    return ServerCertificate(authority.cert_pem, _pem_key(authority.key))
