"""API server stand-in for Secrets: GET /apis/herald.dev/v1alpha1/namespaces/<ns>/secrets/<name>.

Usage: secret_api_peer.py BEARER_TOKEN SECRET_JSON
Serves the one Secret given (a Kubernetes-shaped object with base64 `data`) to callers with the
bearer token; 404 for any other name, 401 without the token.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from common import event, ready

TOKEN = sys.argv[1]
SECRET = json.loads(sys.argv[2])
PATH = "/apis/herald.dev/v1alpha1/namespaces/{}/secrets/{}".format(SECRET["metadata"]["namespace"], SECRET["metadata"]["name"])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        authorized = self.headers.get("Authorization") == "Bearer " + TOKEN
        event(path=self.path, authorized=authorized)
        if not authorized:
            return self.answer(401, {"kind": "Status", "code": 401})
        if self.path != PATH:
            return self.answer(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
        self.answer(200, SECRET)

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
