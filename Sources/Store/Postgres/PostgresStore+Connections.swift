import Foundation
import HeraldAPI
import Logging
import PostgresNIO

extension PostgresStore {
    static func clientConfiguration(_ config: PostgresStoreConfiguration) -> PostgresClient.Configuration {
        var c = PostgresClient.Configuration(
            host: config.host, port: config.port, username: config.username, password: config.password,
            database: config.database, tls: tls(config.tls))
        c.options.maximumConnections = config.poolSize
        c.options.minimumConnections = min(2, config.poolSize)
        c.options.connectTimeout = .seconds(5)
        c.options.additionalStartupParameters = startupParameters(config)
        return c
    }

    static func connectionConfiguration(_ config: PostgresStoreConfiguration) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch config.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var c = PostgresConnection.Configuration(
            host: config.host, port: config.port, username: config.username, password: config.password,
            database: config.database, tls: tls)
        c.options.connectTimeout = .seconds(5)
        c.options.additionalStartupParameters = startupParameters(config)
        return c
    }

    static func tls(_ mode: PostgresStoreConfiguration.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: return .disable
        case .prefer: return .prefer(.makeClientConfiguration())
        case .require: return .require(.makeClientConfiguration())
        }
    }

    static func startupParameters(_ config: PostgresStoreConfiguration) -> [(String, String)] {
        // The store's statements touch a few hundred rows through indexes. Costed on arrays of
        // hundreds of elements a group commit can pass the JIT threshold, and compiling one took
        // 0.7 s while every writer waited.
        var parameters = [("application_name", "herald"), ("jit", "off")]
        if let schema = config.schema { parameters.append(("search_path", schema)) }
        return parameters
    }
}
