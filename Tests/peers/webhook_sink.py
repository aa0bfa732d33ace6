"""Webhook sink: verifies every request with the `standardwebhooks` library.

Usage: webhook_sink.py SECRET
POST /_control {"status": 503, "retryAfter": "2", "delay": 0.5} changes the answer to later
requests. Paths under /unsigned/ (Slack's incoming webhooks are not signed) skip verification.
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from common import event, ready

SECRET = sys.argv[1]
WEBHOOK = Webhook(SECRET)
STATE = {"status": 200, "retryAfter": None, "delay": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/_control":
            STATE.update(json.loads(body))
            return self.answer(200, b"{}")
        headers = {k.lower(): v for k, v in self.headers.items()}
        unsigned = self.path.startswith("/unsigned/")
        try:
            WEBHOOK.verify(body, headers)
            verified, error = True, None
        except WebhookVerificationError as e:
            verified, error = False, str(e)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        status = STATE["status"]
        event(
            path=self.path, verified=verified, error=error, status=status, body=parsed,
            idempotencyKey=headers.get("idempotency-key"), correlationID=headers.get("x-correlation-id"),
            webhookID=headers.get("webhook-id"), contentType=headers.get("content-type"), team=headers.get("x-team"),
        )
        if not verified and not unsigned:
            return self.answer(401, b'{"error":"signature"}')
        if STATE.get("delay"):
            time.sleep(float(STATE["delay"]))
        extra = {"Retry-After": STATE["retryAfter"]} if STATE.get("retryAfter") and status != 200 else {}
        self.answer(status, b'{"ok":true}' if status < 300 else b'{"error":"scripted"}', extra)

    def answer(self, status, body, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ready(port=server.server_address[1])
server.serve_forever()
