/// How unknown fields are treated, from the `fieldValidation` query parameter.
public enum FieldValidation: String, Sendable {
    case strict = "Strict"
    case warn = "Warn"
    case ignore = "Ignore"
}

/// Why a body was refused, split the way the Kubernetes API answers: a body that cannot be read as
/// the kind (400) or a readable object with invalid fields (422).
public enum AdmissionError: Error, Sendable {
    case badRequest(String)
    case invalid(ValidationError)
}

/// Turns a request body into a stored-ready object: kind check, schema validation with pruning of
/// unknown fields, defaulting, then semantic validation.
public struct Admission: Sendable {
    public typealias Check = @Sendable (Resource) -> [FieldError]

    public let definition: KindDefinition
    /// Checks that need more than the kind definition knows (a Template's Mustache syntax needs
    /// a renderer): run last, on the defaulted object, when everything else passed.
    public let extraCheck: Check?

    public init(definition: KindDefinition, extraCheck: Check? = nil) {
        self.definition = definition
        self.extraCheck = extraCheck
    }

    public struct Admitted: Sendable {
        public var resource: Resource
        public var warnings: [String]
    }

    /// - Parameters:
    ///   - namespace: the namespace from the URL (nil for cluster-scoped kinds).
    ///   - name: the name from the URL, for item requests.
    public func admit(_ body: JSON, namespace: String?, name: String?, fieldValidation: FieldValidation)
        throws(AdmissionError) -> Admitted
    {
        guard case .object = body else {
            throw .badRequest("the body must be a JSON or YAML object, not \(body.typeName)")
        }
        let kindName = definition.kind
        guard let apiVersion = body["apiVersion"]?.stringValue, !apiVersion.isEmpty else {
            throw .badRequest("Object 'apiVersion' is missing in the \(kindName) body")
        }
        guard let kind = body["kind"]?.stringValue, !kind.isEmpty else {
            throw .badRequest("Object 'Kind' is missing in the \(kindName) body")
        }
        guard apiVersion == definition.apiVersion, kind == kindName else {
            throw .badRequest(
                "the API version in the data (\(apiVersion)) and kind (\(kind)) do not match the request (\(definition.apiVersion), \(kindName))"
            )
        }
        var validator = SchemaValidator()
        let pruned = validator.validate(body, against: definition.schema, path: "")
        var resource = Resource(pruned)
        if definition.namespaced, let namespace {
            let given = resource.namespace
            if !given.isEmpty && given != namespace {
                throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            resource.namespace = namespace
        }
        if let name, resource.name != name {
            if resource.name.isEmpty {
                resource.name = name
            } else {
                throw .badRequest("the name of the object (\(resource.name)) does not match the name on the URL (\(name))")
            }
        }
        var warnings: [String] = []
        if !validator.unknownFields.isEmpty {
            let described = validator.unknownFields.map { "unknown field \"\($0)\"" }
            switch fieldValidation {
            case .strict:
                throw .badRequest(
                    "\(kindName) in version \"\(definition.version)\" cannot be handled as a \(kindName): strict decoding error: \(described.joined(separator: ", "))"
                )
            case .warn: warnings = described
            case .ignore: break
            }
        }
        var errors = validator.errors
        if errors.isEmpty {
            definition.applyDefaults(&resource)
            errors = definition.validate(resource)
            if errors.isEmpty, let extraCheck { errors = extraCheck(resource) }
        }
        if !errors.isEmpty {
            throw .invalid(ValidationError(kind: kindName, name: resource.name, errors: errors))
        }
        return Admitted(resource: resource, warnings: warnings)
    }
}
