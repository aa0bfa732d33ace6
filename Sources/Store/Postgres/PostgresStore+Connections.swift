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
        // The store's statements touch a few hundred rows through indexes, where JIT never pays.
        // Planned on arrays of hundreds of elements, a group-commit statement (a one-statement
        // variant tried in the benchmark) passed the JIT threshold and compiled for 0.7 s while
        // every writer waited; the current statement's estimate grows with the batch the same way.
        var parameters = [("application_name", "herald"), ("jit", "off")]
        if let schema = config.schema { parameters.append(("search_path", schema)) }
        return parameters
    }
}
