import Testing

@testable import Broker

struct AMQPEndpointTests {
    @Test func parsesAFullURL() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://herald:s3cr%40t@rabbit.example:5673/%2F")
        #expect(endpoint.host == "rabbit.example")
        #expect(endpoint.port == 5673)
        #expect(endpoint.virtualHost == "/")
        #expect(endpoint.user == "herald")
        #expect(endpoint.password == "s3cr@t")
    }

    @Test func appliesDefaults() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://localhost")
        #expect(endpoint == AMQPEndpoint(host: "localhost", port: 5672, virtualHost: "/", user: "guest", password: "guest"))
        #expect(try AMQPEndpoint(url: "amqp://u:p@h/").virtualHost == "/")
        #expect(try AMQPEndpoint(url: "amqp://u:p@h/production").virtualHost == "production")
        #expect(try AMQPEndpoint(url: "amqp://u:p@[::1]:5000/v").host == "::1")
    }

    @Test func descriptionNeverShowsThePassword() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://herald:topsecret@127.0.0.1:26572/%2F")
        #expect(endpoint.description == "amqp://herald@127.0.0.1:26572/%2F")
        #expect(!"\(endpoint)".contains("topsecret"))
    }

    @Test(arguments: [
        "http://h/", "amqps://u:p@h/", "amqp://u:p@:5672/", "amqp://u:p@h:notaport/", "amqp://u:p@h:70000/",
        "amqp://u:p@h/a/b", "amqp://u:p@h/%zz", "amqp://u:p@h/?heartbeat=5", "localhost",
    ])
    func rejectsBadURLs(url: String) {
        #expect(throws: BrokerError.self) { try AMQPEndpoint(url: url) }
    }

    @Test func errorsRedactThePassword() {
        do {
            _ = try AMQPEndpoint(url: "amqp://u:topsecret@h:bad/")
            Issue.record("expected an error")
        } catch {
            #expect(!"\(error)".contains("topsecret"))
            #expect("\(error)".contains("u:***@h"))
        }
    }

    @Test func backoffGrowsAndIsCapped() {
        let backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(2), multiplier: 2)
        for attempt in 0..<20 {
            let delay = backoff.delay(forAttempt: attempt)
            let ceiling = min(Duration.seconds(2), .milliseconds(100) * (1 << min(attempt, 20)))
            #expect(delay <= ceiling)
            #expect(delay >= ceiling / 2 - .milliseconds(1))
        }
    }
}

struct AMQPEndpointPrintingTests {
    @Test func enclosingConfigurationDoesNotLeakThePassword() throws {
        let configuration = try RabbitMQConfiguration(url: "amqp://u:topsecret@h/%2F")
        var dumped = ""
        dump(configuration, to: &dumped)
        #expect(!dumped.contains("topsecret"))
        #expect(!"\(configuration)".contains("topsecret"))
        #expect(!String(reflecting: configuration).contains("topsecret"))
    }
}
