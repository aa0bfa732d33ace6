"""Twilio Messages API stand-in: checks basic auth and the form fields.

Usage: twilio_peer.py ACCOUNT_SID AUTH_TOKEN
`To` = +15005550001 gets Twilio's 400 error 21211 (invalid number).
"""
import base64
import json
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from common import event, ready

SID, TOKEN = sys.argv[1], sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        expected_auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        auth_ok = self.headers.get("Authorization") == expected_auth
        path_ok = self.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
        form_ok = self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), strict_parsing=True).items()}
        fields_ok = set(form) == {"To", "From", "Body"}
        event(authOK=auth_ok, pathOK=path_ok, formOK=form_ok, fieldsOK=fields_ok, form=form)
        if not (auth_ok and path_ok):
            return self.answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
        if not (form_ok and fields_ok):
            return self.answer(400, {"code": 21602, "message": "Message body is required.", "status": 400})
        if form["To"] == "+15005550001":
            return self.answer(400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400})
        self.answer(201, {"sid": "SM" + uuid.uuid4().hex, "status": "queued", "to": form["To"], "body": form["Body"]})

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ready(port=server.server_address[1])
server.serve_forever()
