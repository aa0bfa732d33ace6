import Foundation
import HeraldAPI

/// A Template's content as a parser sees it, from the injected `TemplateChecker`.
public struct TemplateReview: Sendable, Hashable {
    /// One per broken field, the message naming the field and the position.
    public var syntaxErrors: [TemplateProblem]
    /// Names the content renders or tests at the top level (`user.name` counts as `user`); nil
    /// when the checker cannot tell.
    public var usedVariables: [String]?
    /// `sha256:<hex>` of the spec; nil when the checker does not compute one.
    public var digest: String?

    public init(syntaxErrors: [TemplateProblem], usedVariables: [String]?, digest: String?) {
        self.syntaxErrors = syntaxErrors
        self.usedVariables = usedVariables
        self.digest = digest
    }
}

/// Decides a Template's `Valid` condition: True when every part parses and, if the Template
/// declares `spec.variables` at all, every variable it uses is declared. Pure.
enum TemplateValidity {
    static let conditionType = "Valid"
    /// Provided by Herald itself for every send (`{{recipient.name}}`), never declared.
    static let builtins: Set<String> = ["recipient"]

    static func condition(spec: JSON, review: TemplateReview) -> Condition {
        if !review.syntaxErrors.isEmpty {
            let list = review.syntaxErrors.map(\.message).joined(separator: "; ")
            return .isFalse(conditionType, "SyntaxError", list + "; fix the template and apply it again")
        }
        let declared = (spec["variables"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        if !declared.isEmpty, let used = review.usedVariables {
            let known = Set(declared).union(builtins)
            var undeclared: [String] = []
            for name in used {
                let root = String(name.split(separator: ".", maxSplits: 1).first ?? Substring(name))
                if !known.contains(root), !undeclared.contains(root) { undeclared.append(root) }
            }
            if !undeclared.isEmpty {
                let list = undeclared.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                return .isFalse(
                    conditionType, "UndeclaredVariables",
                    "the template uses \(list), which spec.variables does not declare; declare \(undeclared.count == 1 ? "it" : "them") or remove spec.variables"
                )
            }
        }
        return .isTrue(conditionType, "Valid", "every part parses and every variable used is declared")
    }

    /// The status to write, or nil when the stored one already says this (no write).
    static func status(current: JSON?, spec: JSON, generation: Int64, review: TemplateReview, now: Date) -> JSON? {
        let desired = condition(spec: spec, review: review)
        var next = current ?? .emptyObject
        if case .object = next {} else { next = .emptyObject }
        let existing = next["conditions"]?.arrayValue ?? []
        next["conditions"] = .array(Conditions.merge(existing: existing, desired: [desired], generation: generation, now: now))
        if let digest = review.digest { next["digest"] = .string(digest) }
        next["observedGeneration"] = .int(generation)
        return next == (current ?? .null) ? nil : next
    }
}
