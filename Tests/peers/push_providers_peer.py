"""FCM HTTP v1 and APNs stand-ins over HTTPS (APNs over HTTP/2, served by hypercorn).

Usage: push_providers_peer.py CERT_DIR TEAM_ID KEY_ID TOPIC PROJECT_ID
READY carries the ports, the self-signed certificate, a Google service-account JSON whose
key this peer generated, and the APNs .p8 key, so the test can configure Herald with them and
the peer can verify Herald's JWTs with PyJWT against the public halves.

FCM: POST /token (JWT bearer grant), POST /v1/projects/<id>/messages:send; the device token
`stale-fcm-token` is UNREGISTERED. APNs: POST /3/device/<token>; `gone-apns-token` gets 410.
"""
import asyncio
import json
import os
import re
import secrets
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypercorn.asyncio import serve
from hypercorn.config import Config

from common import event, free_port, ready, self_signed

CERT_DIR, TEAM_ID, KEY_ID, TOPIC, PROJECT = sys.argv[1:6]
cert, key = self_signed(os.path.join(CERT_DIR, "push-cert.pem"), os.path.join(CERT_DIR, "push-key.pem"))

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_PEM = RSA_KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
APNS_KEY = ec.generate_private_key(ec.SECP256R1())
APNS_PEM = APNS_KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
CLIENT_EMAIL = "herald@" + PROJECT + ".iam.gserviceaccount.com"
PRIVATE_KEY_ID = secrets.token_hex(8)
ISSUED = set()
UUID_RE = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")

fcm_port = free_port()
token_url = f"https://127.0.0.1:{fcm_port}/token"


class FCM(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/token":
            return self.token(body)
        problems = []
        m = re.fullmatch(r"/v1/projects/([^/]+)/messages:send", self.path)
        if not m or m.group(1) != PROJECT:
            problems.append(f"unexpected path {self.path}")
        bearer = self.headers.get("Authorization", "")
        if not bearer.startswith("Bearer ") or bearer[7:] not in ISSUED:
            return self.answer(401, {"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "bad token"}})
        try:
            msg = json.loads(body)["message"]
        except (ValueError, KeyError):
            msg = {}
            problems.append("body is not {message: …}")
        token = msg.get("token")
        if not isinstance(token, str):
            problems.append("message.token missing")
        notif = msg.get("notification", {})
        if not isinstance(notif.get("title"), str) or not isinstance(notif.get("body"), str):
            problems.append("notification.title/body missing")
        if any(not isinstance(v, str) for v in msg.get("data", {}).values()):
            problems.append("data values must be strings")
        event(kind="fcm", problems=problems, message=msg)
        if problems:
            return self.answer(400, {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "; ".join(problems)}})
        if token == "stale-fcm-token":
            return self.answer(404, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
                                                "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}})
        self.answer(200, {"name": f"projects/{PROJECT}/messages/0:{secrets.token_hex(6)}"})

    def token(self, body):
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        problems = []
        claims = header = None
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            problems.append("grant_type")
        try:
            header = jwt.get_unverified_header(form.get("assertion", ""))
            claims = jwt.decode(form.get("assertion", ""), RSA_KEY.public_key(), algorithms=["RS256"], audience=token_url, issuer=CLIENT_EMAIL)
            if "https://www.googleapis.com/auth/firebase.messaging" not in claims.get("scope", "").split():
                problems.append("scope")
            if header.get("kid") != PRIVATE_KEY_ID:
                problems.append("kid")
            if not 0 < claims["exp"] - claims["iat"] <= 3600:
                problems.append("lifetime")
        except Exception as e:  # noqa: BLE001
            problems.append(f"assertion rejected: {e!r}")
        event(kind="token", problems=problems, claims=claims)
        if problems:
            return self.answer(400, {"error": "invalid_grant", "error_description": "; ".join(problems)})
        access = "ya29." + secrets.token_urlsafe(24)
        ISSUED.add(access)
        self.answer(200, {"access_token": access, "expires_in": 3599, "token_type": "Bearer"})

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(cert, key)
fcm = ThreadingHTTPServer(("127.0.0.1", fcm_port), FCM)
fcm.socket = tls.wrap_socket(fcm.socket, server_side=True)
threading.Thread(target=fcm.serve_forever, daemon=True).start()


async def apns(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    problems = []
    if scope["http_version"] != "2":
        problems.append(f"HTTP/{scope['http_version']} instead of HTTP/2")
    m = re.fullmatch(r"/3/device/([^/]+)", scope["path"])
    if scope["method"] != "POST" or not m:
        problems.append(f"unexpected {scope['method']} {scope['path']}")
    claims = None
    auth = headers.get("authorization", "")
    try:
        token = auth.split(" ", 1)[1] if auth.lower().startswith("bearer ") else ""
        if jwt.get_unverified_header(token).get("kid") != KEY_ID:
            problems.append("kid")
        claims = jwt.decode(token, APNS_KEY.public_key(), algorithms=["ES256"], issuer=TEAM_ID, options={"require": ["iat", "iss"]})
        if abs(time.time() - claims["iat"]) > 3600:
            problems.append("iat older than an hour")
    except Exception as e:  # noqa: BLE001
        problems.append(f"provider token rejected: {e!r}")
    if headers.get("apns-topic") != TOPIC:
        problems.append("apns-topic")
    if headers.get("apns-push-type") not in ("alert", "background"):
        problems.append("apns-push-type")
    if headers.get("apns-priority") not in ("10", "5", "1"):
        problems.append("apns-priority")
    if not UUID_RE.match(headers.get("apns-id", "")):
        problems.append("apns-id is not a UUID")
    try:
        payload = json.loads(body)
        alert = payload["aps"]["alert"]
        if not isinstance(alert.get("title"), str) or not isinstance(alert.get("body"), str):
            problems.append("aps.alert.title/body")
    except (ValueError, KeyError, TypeError):
        payload = None
        problems.append("payload is not {aps: {alert: …}}")
    device = m.group(1) if m else None
    event(kind="apns", problems=problems, device=device, payload=payload, httpVersion=scope["http_version"], apnsID=headers.get("apns-id"), priority=headers.get("apns-priority"))
    status, out = 200, b""
    if problems:
        reason = "InvalidProviderToken" if any("token" in p for p in problems) else "BadRequest"
        status, out = (403 if reason == "InvalidProviderToken" else 400), json.dumps({"reason": reason}).encode()
    elif device == "gone-apns-token":
        status, out = 410, json.dumps({"reason": "Unregistered", "timestamp": int(time.time() * 1000)}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"apns-id", headers.get("apns-id", "").encode()), (b"content-length", str(len(out)).encode())]})
    await send({"type": "http.response.body", "body": out})


config = Config()
apns_port = free_port()
config.bind = [f"127.0.0.1:{apns_port}"]
config.certfile, config.keyfile = cert, key
config.alpn_protocols = ["h2", "http/1.1"]
config.accesslog = None
config.errorlog = None


async def main():
    task = asyncio.create_task(serve(apns, config))
    for _ in range(100):  # up to 5 s for hypercorn to listen
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", apns_port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.05)
    ready(
        fcmPort=fcm_port, apnsPort=apns_port, cert=cert, apnsKey=APNS_PEM,
        serviceAccount={"type": "service_account", "project_id": PROJECT, "private_key_id": PRIVATE_KEY_ID,
                        "private_key": RSA_PEM, "client_email": CLIENT_EMAIL, "token_uri": token_url},
    )
    await task


asyncio.run(main())
