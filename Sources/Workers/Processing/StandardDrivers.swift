import AsyncHTTPClient
import NIOPosix

/// Every driver Herald ships, wired to one HTTP client and one SMTP thread pool.
public enum StandardDrivers {
    /// - Parameters:
    ///   - httpClient: shared by the HTTP drivers; `ProviderHTTP`-style settings (no redirects)
    ///     are expected, see `makeHTTPClient`.
    ///   - smtpThreadPool: a started pool for libcurl's blocking calls.
    ///   - smtpCAFile: PEM trust roots for SMTP servers with private certificates.
    public static func all(httpClient: HTTPClient, smtpThreadPool: NIOThreadPool, smtpCAFile: String? = nil) -> [any ChannelDriver] {
        [
            LogDriver(), WebhookDriver(client: httpClient), SlackDriver(client: httpClient), TwilioDriver(client: httpClient),
            WebPushDriver(client: httpClient), FCMDriver(client: httpClient), APNsDriver(client: httpClient),
            SMTPDriver(threadPool: smtpThreadPool, caFile: smtpCAFile),
        ]
    }

    /// An HTTP client for providers: redirects refused (a moved endpoint is a setting to fix),
    /// HTTP/2 when the server offers it (APNs requires it), optional extra trust roots, and
    /// up to `maxConnectionsPerHost` HTTP/1.1 connections per provider host.
    public static func makeHTTPClient(trustRootsPEMFile: String? = nil, maxConnectionsPerHost: Int = 16) -> HTTPClient {
        ProviderHTTP.makeClient(trustRootsPEMFile: trustRootsPEMFile, maxConnectionsPerHost: maxConnectionsPerHost)
    }
}
