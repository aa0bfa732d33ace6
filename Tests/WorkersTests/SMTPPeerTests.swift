import Foundation
import HeraldAPI
import NIOPosix
import Testing

@testable import Workers

/// Email through libcurl to aiosmtpd; each message is parsed with Python's `email` package.
@Suite(.serialized, .enabled(Peers.skipReason) { await Peers.available() }, .timeLimit(.minutes(3)))
struct SMTPPeerTests {
    let template: JSON = [
        "email": [
            "subject": "Bienvenue, {{name}} — ça marche ✓ and a long tail to force several encoded words",
            "text": "Bonjour {{name}},\n.\nA line with a lone dot above.",
            "html": "<p>Bonjour <b>{{name}}</b></p>",
        ]
    ]

    func spec(port: Int, tls: String) -> JSON {
        [
            "smtp": [
                "host": "127.0.0.1", "port": .int(Int64(port)), "tls": .string(tls), "from": "Herald Ops <ops@example.com>",
                "authSecretRef": ["name": "smtp"], "listUnsubscribe": "https://example.com/unsub?u={{name}}",
            ],
            "timeout": "10s",
        ]
    }

    @Test func plainStartTLSAndImplicitTLSWithAuth() async throws {
        let dir = Peers.tempDirectory()
        let peer = try await Peer.start("smtp_peer.py", [dir, "mailer", "s3cret"])
        defer { peer.stop() }
        let pool = SMTPDriver.makeThreadPool(threads: 2)
        defer { pool.shutdownGracefully { _ in } }
        let p = Fixtures.processor(
            [SMTPDriver(threadPool: pool, caFile: peer.ready["cert"]?.stringValue)],
            secrets: [Fixtures.secret("smtp", ["username": "mailer", "password": "s3cret"])])
        let name = "Zoë"
        for (listener, tls) in [("plain", "none"), ("starttls", "starttls"), ("implicit", "implicit")] {
            let r = await p.process(
                Fixtures.job(
                    type: "smtp", channel: "mail", spec: spec(port: peer.port(listener), tls: tls), template: template,
                    variables: ["name": .string(name)], address: ["email": "ada@example.com"], uid: listener))
            #expect(r.outcome == .delivered, "\(listener): \(r.code) \(r.message)")
            #expect(r.providerMessageID == "<\(listener)-0@example.com>")
        }
        let messages = try await peer.waitForEvents(3) { $0["kind"] == "message" }
        let rendered = try TemplateRenderer.shared.render(template, channelType: "smtp", variables: ["name": .string(name)], locale: nil)
        for m in messages {
            let listener = m["listener"]?.stringValue ?? ""
            #expect(m["tls"] == .bool(listener != "plain"), "\(listener) TLS")
            #expect(m["authenticated"] == true)
            #expect(m["contentType"] == "multipart/alternative")
            #expect(m["parts"]?[0]?["type"] == "text/plain" && m["parts"]?[1]?["type"] == "text/html")
            #expect(
                m["parts"]?[0]?["content"]?.stringValue?.replacingOccurrences(of: "\r\n", with: "\n") == (rendered.text ?? "") + "\n"
                    || m["parts"]?[0]?["content"]?.stringValue?.replacingOccurrences(of: "\r\n", with: "\n") == rendered.text)
            #expect(m["parts"]?[1]?["content"]?.stringValue?.hasPrefix("<p>Bonjour <b>Zoë</b></p>") == true)
            #expect(m["subject"] == .string(rendered.subject ?? ""))
            #expect(m["rawSubject"]?.stringValue?.hasPrefix("=?UTF-8?B?") == true)
            #expect(m["messageID"] == .string("<\(listener)-0@example.com>"))
            #expect(m["listUnsubscribe"] == "<https://example.com/unsub?u=Zoë>")
            #expect(m["listUnsubscribePost"] == "List-Unsubscribe=One-Click")
            #expect(m["rcptTos"] == ["ada@example.com"] && m["mailFrom"] == "ops@example.com")
            #expect(m["frm"] == "Herald Ops <ops@example.com>")
            #expect(m["correlationID"] == .string("corr-\(listener)"))
            #expect(m["defects"] == [])
        }
    }

    @Test func repliesAreClassified() async throws {
        let dir = Peers.tempDirectory()
        let peer = try await Peer.start("smtp_peer.py", [dir, "mailer", "s3cret"])
        defer { peer.stop() }
        let pool = SMTPDriver.makeThreadPool(threads: 2)
        defer { pool.shutdownGracefully { _ in } }
        let p = Fixtures.processor(
            [SMTPDriver(threadPool: pool)], secrets: [Fixtures.secret("smtp", ["username": "mailer", "password": "s3cret"])])
        let s = spec(port: peer.port("plain"), tls: "none")
        let rejected = await p.process(
            Fixtures.job(type: "smtp", channel: "mail", spec: s, template: template, address: ["email": "reject550@example.com"], uid: "r"))
        #expect(rejected.outcome == .permanent && rejected.code == "SMTP550", "\(rejected.message)")
        #expect(rejected.message.contains("No such user"))
        let deferred = await p.process(
            Fixtures.job(type: "smtp", channel: "mail", spec: s, template: template, address: ["email": "defer451@example.com"], uid: "d"))
        #expect(deferred.outcome == .transient && deferred.code == "SMTP451", "\(deferred.message)")
        let badLogin = Fixtures.processor(
            [SMTPDriver(threadPool: pool)], secrets: [Fixtures.secret("smtp", ["username": "mailer", "password": "wrong"])])
        let denied = await badLogin.process(
            Fixtures.job(type: "smtp", channel: "mail", spec: s, template: template, address: ["email": "ada@example.com"], uid: "l"))
        #expect(denied.outcome == .permanent, "\(denied.code) \(denied.message)")
        // STARTTLS against a server whose certificate we were not told to trust: refused.
        let untrusted = await p.process(
            Fixtures.job(
                type: "smtp", channel: "mail", spec: spec(port: peer.port("starttls"), tls: "starttls"), template: template,
                address: ["email": "ada@example.com"], uid: "u"))
        #expect(untrusted.outcome == .transient && untrusted.code == "TLSError", "\(untrusted.code) \(untrusted.message)")
        let closed = await p.process(
            Fixtures.job(
                type: "smtp", channel: "mail", spec: spec(port: 1, tls: "none"), template: template, address: ["email": "ada@example.com"],
                uid: "c"))
        #expect(closed.outcome == .transient && closed.code == "ConnectionFailed")
    }
}
