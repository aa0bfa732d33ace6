import HeraldAPI

/// The variables a render sees: the notification's, plus the Template's declared defaults,
/// and which declared variables may render empty.
struct VariableScope {
    var values: JSONObject
    var optional: Set<String>
    /// Declared `required: true`, absent and without a default.
    var missingRequired: [MissingVariable]

    init(template: JSON, variables: JSON) throws(TemplateError) {
        switch variables {
        case .object(let o): values = o
        case .null: values = [:]
        default: throw .invalidField(field: "variables", problem: "must be an object, got \(variables.typeName)")
        }
        optional = []
        missingRequired = []
        for decl in template["variables"]?.arrayValue ?? [] {
            guard let name = decl["name"]?.stringValue else { continue }
            let present = values[name].map { !$0.isNull } ?? false
            if !present, let def = decl["default"], !def.isNull {
                values[name] = def
                continue
            }
            if decl["required"]?.boolValue == true {
                if !present { missingRequired.append(MissingVariable(name: name, field: "variables")) }
            } else {
                // Declared but not required: the author said an empty value is fine.
                optional.insert(name)
            }
        }
    }

    func root(_ collector: MissCollector) -> RenderRoot {
        RenderRoot(variables: values, optional: optional, collector: collector)
    }
}
