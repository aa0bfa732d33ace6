import Foundation
import HTTPTypes
import HeraldAPI
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import Store

/// Herald's HTTP API: Kubernetes API conventions over the `Store`, so heraldctl and real kubectl
/// both drive it.
public struct APIServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// Larger bodies get 413, as the Kubernetes API server's limit of 3 MiB.
        public var maxBodySize: Int
        /// The lease a running controller holds. While it is held, new Notifications get the
        /// controller's finalizer at creation; nil leaves that to the controller.
        public var controllerLease: String?

        public init(
            host: String = "127.0.0.1", port: Int = 8080, maxBodySize: Int = 3 * 1024 * 1024,
            controllerLease: String? = ControllerConventions.leaseName
        ) {
            self.host = host
            self.port = port
            self.maxBodySize = maxBodySize
            self.controllerLease = controllerLease
        }
    }

    let responder: APIResponder
    let configuration: Configuration

    /// - Parameter templateEngine: the renderer behind Template syntax checks at admission and
    ///   the `templates/render` preview (`herald` passes the workers' Mustache renderer). Without
    ///   one, Templates are admitted unchecked and `render` is not served.
    public init(
        store: any Store, configuration: Configuration = .init(), registry: PrometheusCollectorRegistry? = nil,
        templateEngine: (any TemplateEngine)? = nil, logger: Logger
    ) {
        self.configuration = configuration
        responder = APIResponder(
            store: store, registry: store.kinds, prometheus: registry, maxBodySize: configuration.maxBodySize,
            templateEngine: templateEngine,
            presence: configuration.controllerLease.map { ControllerPresence(store: store, leaseName: $0) }, logger: logger)
    }

    /// The HTTP server as a Service for the process's ServiceGroup.
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        Application(
            responder: responder,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "herald"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: responder.logger)
    }
}

struct APIResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let store: any Store
    let registry: KindRegistry
    let prometheus: PrometheusCollectorRegistry?
    let maxBodySize: Int
    let logger: Logger
    let discovery: Discovery
    let openAPI: OpenAPIDocuments
    let resources: ResourceHandler
    let renders: TemplateRenderHandler?
    let metrics = RequestMetrics()

    init(
        store: any Store, registry: KindRegistry, prometheus: PrometheusCollectorRegistry?, maxBodySize: Int,
        templateEngine: (any TemplateEngine)?, presence: ControllerPresence?, logger: Logger
    ) {
        self.store = store
        self.registry = registry
        self.prometheus = prometheus
        self.maxBodySize = maxBodySize
        self.logger = logger
        discovery = Discovery(registry: registry, listsActions: templateEngine != nil)
        openAPI = OpenAPIDocuments(registry: registry)
        resources = ResourceHandler(
            store: store, registry: registry, templates: templateEngine, presence: presence, logger: logger)
        renders = templateEngine.map { TemplateRenderHandler(store: store, engine: $0) }
    }

    static let version: JSON = [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-herald.0.1.0", "gitCommit": "herald",
        "gitTreeState": "clean", "buildDate": "2026-11-21T00:00:00Z", "goVersion": "swift6.3",
        "compiler": "swiftc", "platform": "linux/amd64",
    ]

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        var verb = request.method.rawValue.lowercased()
        var resource = ""
        let response: Response
        do {
            (response, verb, resource) = try await route(request)
        } catch {
            let apiError = APIError.from(error, definition: nil, name: nil)
            if apiError.code >= 500 {
                logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(apiError)"])
            }
            response = Responses.error(apiError)
        }
        let code = String(response.status.code)
        var nanos: Int64?
        if verb != "watch" {
            let elapsed = ContinuousClock.now - started
            nanos = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        }
        metrics.record(verb: verb, resource: resource, code: code, nanoseconds: nanos)
        return response
    }

    func route(_ request: Request) async throws -> (Response, String, String) {
        let path = request.uri.path
        let segments = path.split(separator: "/")
        let method = request.method
        if let fixed = try await fixedRoute(path, segments: segments, request: request) {
            return (fixed, "get", "")
        }
        guard let resourcePath = try ResourcePath.parse(segments, registry: registry) else {
            throw APIError.pathNotFound(path)
        }
        let definition = resourcePath.definition
        let query = Query(request.uri.query)
        var body: [UInt8] = []
        if method == .post || method == .put || method == .patch || method == .delete {
            var req = request
            do {
                let buffer = try await req.collectBody(upTo: maxBodySize)
                body = Array(buffer.readableBytesView)
            } catch {
                throw APIError(
                    code: 413, reason: "RequestEntityTooLarge",
                    message: "the request body is larger than the limit of \(maxBodySize) bytes")
            }
        }
        let verb: String
        switch (method, resourcePath.name) {
        case (.get, nil): verb = query.bool("watch") ? "watch" : "list"
        case (.get, _): verb = "get"
        case (.post, _): verb = "create"
        case (.put, _): verb = "update"
        case (.patch, _): verb = "patch"
        case (.delete, nil): verb = "deletecollection"
        default: verb = method.rawValue.lowercased()
        }
        if let action = resourcePath.action {
            return (try await perform(action, resourcePath, method: method, body: body), "create", "\(definition.plural)/\(action.name)")
        }
        let call = ResourceHandler.Call(path: resourcePath, query: query, headers: request.headers, body: body)
        do {
            let response = try await resources.handle(method: method, call: call)
            return (response, verb, definition.plural)
        } catch {
            let e = APIError.from(error, definition: definition, name: resourcePath.name)
            return (Responses.error(e), verb, definition.plural)
        }
    }

    /// A POST to an action subresource (`templates/{name}/render`).
    func perform(_ action: ActionSubresource, _ path: ResourcePath, method: HTTPRequest.Method, body: [UInt8]) async throws
        -> Response
    {
        let definition = path.definition
        do {
            guard method == .post else { throw APIError.methodNotAllowed(method.rawValue, "\(definition.plural)/\(action.name)") }
            guard let namespace = path.namespace, let name = path.name else {
                throw APIError.badRequest(
                    "\(definition.plural)/\(action.name) is namespaced: use /namespaces/{namespace}/\(definition.plural)/{name}/\(action.name)"
                )
            }
            guard action.name == "render", let renders else {
                throw APIError(
                    code: 404, reason: "NotFound",
                    message: "the server could not find the requested resource: \(definition.plural)/\(action.name)")
            }
            return try await renders.render(namespace: namespace, name: name, body: body)
        } catch {
            return Responses.error(APIError.from(error, definition: definition, name: path.name))
        }
    }

    /// Discovery, OpenAPI, version, health and metrics.
    func fixedRoute(_ path: String, segments: [Substring], request: Request) async throws -> Response? {
        guard request.method == .get else { return nil }
        let accept = request.headers[.accept] ?? ""
        switch path {
        case "/version": return Responses.json(Self.version)
        case "/healthz", "/livez": return Response.plainText("ok")
        case "/readyz":
            do {
                try await store.ping()
                return Response.plainText("ok")
            } catch {
                return Response.plainText("storage unavailable: \(error)\nreadyz check failed", status: .serviceUnavailable)
            }
        case "/metrics":
            guard let prometheus else { return Response.plainText("") }
            return Response.plainText(prometheus.emitToString(), contentType: "text/plain; version=0.0.4")
        case "/api", "/apis":
            let core = path == "/api"
            if accept.contains("as=APIGroupDiscoveryList") {
                let version = accept.contains("v=v2;") || accept.contains("v=v2,") || accept.hasSuffix("v=v2") ? "v2" : "v2beta1"
                let requestedV2 = accept.range(of: "g=apidiscovery.k8s.io;v=v2;") != nil
                let v = requestedV2 ? "v2" : version
                return Responses.json(
                    discovery.aggregated(core: core, version: v),
                    contentType: "application/json;g=apidiscovery.k8s.io;v=\(v);as=APIGroupDiscoveryList")
            }
            return Responses.json(core ? discovery.apiVersions : discovery.apiGroupList)
        case "/openapi/v3":
            return Responses.json(openAPI.index)
        case "/openapi/v2":
            throw APIError.pathNotFound(path)
        default:
            break
        }
        if segments.count == 3, segments[0] == "apis" {
            return try resourceList(group: String(segments[1]), version: String(segments[2]))
        }
        if segments.count == 2, segments[0] == "apis" {
            let group = String(segments[1])
            guard !discovery.versions(of: group).isEmpty else { throw APIError.pathNotFound(path) }
            var g = discovery.apiGroup(group)
            g["kind"] = "APIGroup"
            g["apiVersion"] = "v1"
            return Responses.json(g)
        }
        if segments.count == 2, segments[0] == "api" {
            return try resourceList(group: "", version: String(segments[1]))
        }
        if segments.first == "openapi", segments.count >= 3, segments[1] == "v3" {
            let key = segments.dropFirst(2).joined(separator: "/")
            guard let doc = openAPI.documents[key] else { throw APIError.pathNotFound(path) }
            return Responses.json(doc)
        }
        return nil
    }

    func resourceList(group: String, version: String) throws -> Response {
        guard let list = discovery.resourceList(group: group, version: version) else {
            throw APIError.pathNotFound("/apis/\(group)/\(version)")
        }
        return Responses.json(list)
    }
}
