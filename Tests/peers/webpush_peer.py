"""Web Push service stand-in: decrypts with `http_ece` and verifies VAPID with PyJWT and py_vapid.

Usage: webpush_peer.py VAPID_PUBLIC_KEY_B64URL
Prints the subscription (p256dh, auth) it holds the private half of in READY.
POST /push/<id> → 201; /gone/<id> → 410; /missing/<id> → 404.
"""
import base64
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import jwt
import py_vapid.jwt as vapid_jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from common import event, ready

EXPECTED_K = sys.argv[1]
UA_PRIVATE = ec.generate_private_key(ec.SECP256R1())
UA_PUBLIC = UA_PRIVATE.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
AUTH = os.urandom(16)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64u_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        problems = []
        auth = self.headers.get("Authorization", "")
        claims = None
        if not auth.startswith("vapid "):
            problems.append("Authorization is not a vapid scheme")
        else:
            params = dict(p.strip().split("=", 1) for p in auth[len("vapid "):].split(","))
            token, k = params.get("t", ""), params.get("k", "")
            if k != EXPECTED_K:
                problems.append("k is not the application server key")
            try:
                public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64u_decode(k))
                claims = jwt.decode(token, public, algorithms=["ES256"], audience=origin)
                if not claims.get("sub", "").startswith(("mailto:", "https:")):
                    problems.append("sub is not mailto: or https:")
                vapid_jwt.decode(token, k)  # py_vapid's own verification too
            except Exception as e:  # noqa: BLE001 - report any verification failure
                problems.append(f"VAPID JWT rejected: {e!r}")
        if self.headers.get("Content-Encoding") != "aes128gcm":
            problems.append("Content-Encoding is not aes128gcm")
        plaintext = None
        try:
            plaintext = http_ece.decrypt(body, private_key=UA_PRIVATE, auth_secret=AUTH, version="aes128gcm").decode("utf-8")
        except Exception as e:  # noqa: BLE001
            problems.append(f"decryption failed: {e!r}")
        event(
            path=self.path, problems=problems, plaintext=plaintext, ttl=self.headers.get("TTL"),
            urgency=self.headers.get("Urgency"), claims=claims,
        )
        if problems:
            return self.answer(400 if plaintext is None else 403)
        if self.path.startswith("/gone/"):
            return self.answer(410)
        if self.path.startswith("/missing/"):
            return self.answer(404)
        self.answer(201, {"Location": origin + "/message/" + b64u(os.urandom(6))})

    def answer(self, status, extra=None):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ready(port=server.server_address[1], p256dh=b64u(UA_PUBLIC), auth=b64u(AUTH))
server.serve_forever()
