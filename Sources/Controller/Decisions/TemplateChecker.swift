import HeraldAPI

/// Something in the content that would stop a send (a missing variable, a part a channel type
/// needs, a syntax error), reported on the Notification's `Accepted` condition.
public struct TemplateProblem: Sendable, Hashable {
    /// CamelCase, becomes the condition's reason (`MissingVariable`, `TemplatePartMissing`, …).
    public var reason: String
    public var message: String

    public init(reason: String, message: String) {
        self.reason = reason
        self.message = message
    }
}

/// Checks resolved content against the variables a Notification provides. `herald` wires the
/// workers' renderer-backed analysis in, so the controller refuses exactly what a worker would
/// fail to render; `DeclaredVariablesChecker` is the dependency-free fallback.
public protocol TemplateChecker: Sendable {
    /// - Parameters:
    ///   - content: template content (a Template's `spec`, or an inline message in that shape).
    ///   - channelTypes: the types of the channels it will go through.
    func problems(content: JSON, variables: JSON, channelTypes: [String]) -> [TemplateProblem]

    /// What a Template's own content says about itself, for its `Valid` condition and
    /// `status.digest`: syntax errors, the variables it uses, its digest.
    func review(template spec: JSON) -> TemplateReview
}

extension TemplateChecker {
    /// Without a parser nothing is known beyond the declarations: no syntax errors found, the
    /// variables used unknown, no digest.
    public func review(template spec: JSON) -> TemplateReview {
        TemplateReview(syntaxErrors: [], usedVariables: nil, digest: nil)
    }
}

/// Checks declared `required` variables (without a default) and that each channel type finds
/// its part (`smtp` → `email`, …; `log` takes any).
public struct DeclaredVariablesChecker: TemplateChecker {
    public init() {}

    public func problems(content: JSON, variables: JSON, channelTypes: [String]) -> [TemplateProblem] {
        var out: [TemplateProblem] = []
        var missingParts: [String] = []
        for type in Set(channelTypes).sorted() {
            if let part = TemplateContent.part(forChannelType: type) {
                if content[part] == nil { missingParts.append("\(part) (for \(type))") }
            } else if TemplateContent.partNames.allSatisfy({ content[$0] == nil }) {
                missingParts.append("any part (for \(type))")
            }
        }
        if !missingParts.isEmpty {
            out.append(
                TemplateProblem(
                    reason: "TemplatePartMissing",
                    message: "the content has no \(missingParts.joined(separator: ", ")); add it or drop the channel"))
        }
        let provided = variables.objectValue ?? [:]
        var missing: [String] = []
        for v in content["variables"]?.arrayValue ?? [] {
            guard let name = v["name"]?.stringValue, v["required"]?.boolValue == true, v["default"] == nil else { continue }
            if provided[name] == nil || provided[name] == .null { missing.append(name) }
        }
        if !missing.isEmpty {
            let list = missing.map { "\"\($0)\"" }.joined(separator: ", ")
            out.append(
                TemplateProblem(
                    reason: "MissingVariable",
                    message: "the template requires \(list), which spec.variables does not set"))
        }
        return out
    }
}
