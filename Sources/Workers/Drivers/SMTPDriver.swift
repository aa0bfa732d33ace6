import CCurl
import Foundation
import HeraldAPI
import NIOPosix

/// Email over SMTP through libcurl (a C shim, `CCurl`): plain, STARTTLS or implicit TLS,
/// AUTH from `authSecretRef` (keys `username`, `password`), `multipart/alternative` text+HTML,
/// `Message-ID` from the idempotency key, `List-Unsubscribe` from `spec.smtp.listUnsubscribe`.
///
/// libcurl blocks, so every send runs on a dedicated `NIOThreadPool`, never on Swift's
/// cooperative pool (blocking it would stall every other task in the process). SMTP 4xx
/// replies are transient, 5xx permanent.
public struct SMTPDriver: ChannelDriver {
    public let channelType = "smtp"
    private let pool: NIOThreadPool
    private let caFile: String?

    /// - Parameters:
    ///   - threadPool: a started pool; its size bounds concurrent SMTP sessions.
    ///   - caFile: PEM trust roots for servers with private certificates (nil: system store).
    public init(threadPool: NIOThreadPool, caFile: String? = nil) {
        pool = threadPool
        self.caFile = caFile
    }

    /// A started pool for SMTP sends; shut it down with `syncShutdownGracefully()` at exit.
    public static func makeThreadPool(threads: Int = 8) -> NIOThreadPool {
        let p = NIOThreadPool(numberOfThreads: threads)
        p.start()
        return p
    }

    public func send(_ message: RenderedMessage, context: DeliveryContext) async throws(DeliveryError) -> SendReceipt {
        let job = context.job
        let host = try context.requiredSetting("host")
        let from = try context.requiredSetting("from")
        let to = try context.requiredAddress("email", what: "email address")
        let tls = context.setting("tls") ?? "starttls"
        guard ["none", "starttls", "implicit"].contains(tls) else {
            throw .configuration("spec.smtp.tls is \"\(tls)\"; use none, starttls or implicit")
        }
        let port = context.settings["port"]?.intValue.map(Int.init) ?? (tls == "implicit" ? 465 : (tls == "starttls" ? 587 : 25))
        var username: String?
        var password: String?
        if context.settings["authSecretRef"] != nil {
            let s = try await context.secret("authSecretRef")
            guard let u = s.string("username"), let p = s.string("password") else {
                throw SecretError.keyMissing(
                    namespace: s.namespace, name: s.name, key: s.string("username") == nil ? "username" : "password"
                ).deliveryError
            }
            username = u
            password = p
        }
        var listUnsubscribe: String?
        if let template = context.setting("listUnsubscribe") {
            do { listUnsubscribe = try TemplateRenderer.shared.renderText(template, variables: job.variables) } catch {
                throw .permanent(error.code, "spec.smtp.listUnsubscribe: \(error.description)", providerAnswered: false)
            }
        }

        let messageID = MIMEMessage.messageID(idempotencyKey: job.idempotencyKey, from: from)
        let mime = MIMEMessage(
            from: from, to: to, subject: message.subject ?? "", text: message.text, html: message.html, messageID: messageID,
            date: context.clock.date(), listUnsubscribe: listUnsubscribe, extraHeaders: [("X-Correlation-ID", job.correlationID)])
        let submission = CurlSMTP.Submission(
            url: "\(tls == "implicit" ? "smtps" : "smtp")://\(Self.hostForURL(host)):\(port)", requireTLS: tls == "starttls",
            username: username, password: password, mailFrom: "<\(MIMEMessage.addrSpec(from))>",
            recipients: ["<\(MIMEMessage.addrSpec(to))>"], data: mime.bytes(), timeout: context.timeout,
            caFile: caFile, insecureSkipVerify: context.settings["insecureSkipVerify"]?.boolValue ?? false)

        let outcome: CurlSMTP.Outcome
        do {
            outcome = try await pool.runIfActive { CurlSMTP.send(submission) }
        } catch {
            throw .transient("WorkerShuttingDown", "the SMTP thread pool is stopped; the delivery will be retried", providerFailure: false)
        }
        if outcome.curlCode == 0 {
            return SendReceipt(providerMessageID: messageID, message: outcome.lastReply.isEmpty ? "accepted" : outcome.lastReply)
        }
        throw CurlSMTP.classify(outcome, server: "\(host):\(port)")
    }

    /// IPv6 literals need brackets in a URL.
    static func hostForURL(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }
}

/// The Swift side of the libcurl shim.
enum CurlSMTP {
    struct Submission: Sendable {
        var url: String
        var requireTLS: Bool
        var username: String?
        var password: String?
        var mailFrom: String
        var recipients: [String]
        var data: [UInt8]
        var timeout: Double
        var caFile: String?
        var insecureSkipVerify: Bool
    }

    struct Outcome: Sendable {
        var curlCode: Int32
        var responseCode: Int
        var error: String
        var lastReply: String
    }

    /// Blocking: call from a thread pool only.
    static func send(_ s: Submission) -> Outcome {
        var result = ccurl_smtp_result()
        withOptionalCString(s.username) { user in
            withOptionalCString(s.password) { pass in
                withOptionalCString(s.caFile) { ca in
                    s.url.withCString { url in
                        s.mailFrom.withCString { from in
                            let rcpts = s.recipients.map { strdup($0) }
                            defer { rcpts.forEach { free($0) } }
                            var rcptPointers: [UnsafePointer<CChar>?] = rcpts.map { UnsafePointer($0) }
                            rcptPointers.withUnsafeMutableBufferPointer { rp in
                                s.data.withUnsafeBufferPointer { data in
                                    var req = ccurl_smtp_request(
                                        url: url, require_tls: s.requireTLS ? 1 : 0, username: user, password: pass,
                                        mail_from: from, recipients: rp.baseAddress, recipient_count: rp.count,
                                        data: data.baseAddress, data_length: data.count,
                                        timeout_ms: max(1, Int(s.timeout * 1000)),
                                        connect_timeout_ms: max(1, Int(min(s.timeout, 10) * 1000)),
                                        ca_file: ca, insecure_skip_verify: s.insecureSkipVerify ? 1 : 0)
                                    ccurl_smtp_send(&req, &result)
                                }
                            }
                        }
                    }
                }
            }
        }
        let error = withUnsafeBytes(of: result.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let reply = withUnsafeBytes(of: result.last_reply) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return Outcome(curlCode: result.curl_code, responseCode: Int(result.response_code), error: error, lastReply: reply)
    }

    static func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let s else { return body(nil) }
        return s.withCString { body($0) }
    }

    // CURLcode values used below (curl/curl.h).
    static let couldntResolveHost: Int32 = 6, couldntConnect: Int32 = 7, timedOut: Int32 = 28
    static let sslConnectError: Int32 = 35, peerFailedVerification: Int32 = 60, useSSLFailed: Int32 = 64
    static let loginDenied: Int32 = 67

    /// SMTP replies decide first (4xx transient, 5xx permanent); then transport failures.
    static func classify(_ o: Outcome, server: String) -> DeliveryError {
        let reply = o.lastReply.isEmpty ? o.error : o.lastReply
        switch o.responseCode {
        case 400..<500:
            return .transient(
                "SMTP\(o.responseCode)", "the SMTP server \(server) deferred the message (\(reply)); the delivery will be retried")
        case 500..<600:
            if o.curlCode == loginDenied || o.responseCode == 535 || o.responseCode == 530 {
                return .permanent(
                    "SMTP\(o.responseCode)",
                    "the SMTP server \(server) refused the login (\(reply)); check the username and password in the Channel's Secret")
            }
            return .permanent(
                "SMTP\(o.responseCode)",
                "the SMTP server \(server) rejected the message (\(reply)); check the recipient's address and the sender")
        default: break
        }
        switch o.curlCode {
        case timedOut:
            return .transient(
                "Timeout", "the SMTP server \(server) did not finish within the Channel's timeout; the delivery will be retried")
        case couldntConnect, couldntResolveHost:
            return .transient("ConnectionFailed", "cannot connect to the SMTP server \(server) (\(o.error)); the delivery will be retried")
        case useSSLFailed:
            return .configuration(
                "the SMTP server \(server) does not offer STARTTLS; set spec.smtp.tls to implicit or none, or fix the server")
        case loginDenied:
            return .permanent("SMTPAuthFailed", "the SMTP server \(server) refused the login; check the Channel's Secret")
        case sslConnectError, peerFailedVerification:
            return .transient("TLSError", "TLS with the SMTP server \(server) failed (\(o.error)); check its certificate")
        default:
            return .transient(
                "SMTPError", "sending through \(server) failed (curl \(o.curlCode): \(o.error)); the delivery will be retried")
        }
    }
}
