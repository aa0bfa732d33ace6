"""Shared helpers for Herald's test peers.

Every peer listens on 127.0.0.1 only, prints one `READY <json>` line when it accepts
connections, then one `EVENT <json>` line per request it judged. The Swift tests read these
lines; the peers keep no other state the tests depend on.
"""
import json
import sys
import threading
import time

_lock = threading.Lock()


def emit(kind, payload):
    with _lock:
        sys.stdout.write(kind + " " + json.dumps(payload, sort_keys=True) + "\n")
        sys.stdout.flush()


def ready(**info):
    _exit_with_parent()
    emit("READY", info)


def _exit_with_parent():
    """Ends this peer when the test closes our stdin (or dies), so no peer outlives its test."""
    import os

    def watch():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def event(**info):
    info.setdefault("t", time.time())
    emit("EVENT", info)


def self_signed(cert_path, key_path, names=("localhost",), ips=("127.0.0.1",)):
    """Writes a self-signed certificate for 127.0.0.1/localhost; returns (cert, key) paths."""
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "herald-test-peer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    san = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def free_port():
    """A port free right now on 127.0.0.1, for servers (aiosmtpd) that cannot bind port 0."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
