"""SMTP stand-in on aiosmtpd: plain, STARTTLS (self-signed) and implicit TLS listeners.

Usage: smtp_peer.py CERT_DIR USERNAME PASSWORD
Recipients starting with `reject` get 550 at RCPT, `defer` get 451. Every accepted message is
parsed with Python's `email` package and reported.
"""
import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
import email
import email.policy

from common import event, free_port, ready, self_signed

CERT_DIR, USER, PASSWORD = sys.argv[1], sys.argv[2], sys.argv[3]
cert, key = self_signed(os.path.join(CERT_DIR, "smtp-cert.pem"), os.path.join(CERT_DIR, "smtp-key.pem"))
tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(cert, key)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
    event(kind="auth", mechanism=mechanism, ok=ok)
    # handled=False makes aiosmtpd answer 535 itself on failure.
    return AuthResult(success=ok, handled=False)


def raw_header(content, name):
    """The header as sent, folded lines joined, to check the RFC 2047 encoding itself."""
    head = content.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(name.lower() + b":"):
            return line.split(b":", 1)[1].strip().decode("ascii", "replace")
    return ""


class Handler:
    def __init__(self, listener):
        self.listener = listener

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            event(kind="rcpt", listener=self.listener, address=address, reply=550)
            return "550 5.1.1 No such user here"
        if address.startswith("defer"):
            event(kind="rcpt", listener=self.listener, address=address, reply=451)
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = []
        if msg.is_multipart():
            for part in msg.iter_parts():
                parts.append({"type": part.get_content_type(), "content": part.get_content()})
        else:
            parts.append({"type": msg.get_content_type(), "content": msg.get_content()})
        event(
            kind="message", listener=self.listener, tls=server.transport.get_extra_info("ssl_object") is not None,
            authenticated=bool(session.authenticated), mailFrom=envelope.mail_from, rcptTos=envelope.rcpt_tos,
            subject=str(msg["Subject"]), rawSubject=raw_header(envelope.content, b"Subject"),
            messageID=str(msg["Message-ID"]), listUnsubscribe=str(msg["List-Unsubscribe"] or ""),
            listUnsubscribePost=str(msg["List-Unsubscribe-Post"] or ""), contentType=msg.get_content_type(),
            parts=parts, frm=str(msg["From"]), to=str(msg["To"]), correlationID=str(msg["X-Correlation-ID"] or ""),
            defects=[repr(d) for d in msg.defects],
        )
        return "250 2.0.0 Ok: queued"


common = dict(hostname="127.0.0.1", authenticator=authenticator)
plain = Controller(Handler("plain"), port=free_port(), auth_require_tls=False, **common)
starttls = Controller(Handler("starttls"), port=free_port(), tls_context=tls, require_starttls=True, **common)
implicit = Controller(Handler("implicit"), port=free_port(), ssl_context=tls, auth_require_tls=False, **common)
for c in (plain, starttls, implicit):
    c.start()
ready(
    plain=plain.port, starttls=starttls.port, implicit=implicit.port, cert=cert,
)
threading.Event().wait()  # runs until common's watchdog sees stdin close
