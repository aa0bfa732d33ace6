import HeraldAPI

/// Refuses a Template whose Mustache does not parse, at create, update, patch and apply alike:
/// one `FieldValueInvalid` cause per broken field (`spec.locales.fr.email.subject`), with the
/// line and column from the parser, so the author sees the mistake before anything is sent.
enum TemplateAdmission {
    static func check(_ engine: any TemplateEngine) -> Admission.Check {
        { resource in
            guard let spec = resource.spec else { return [] }
            return engine.syntaxErrors(in: spec).map { issue in
                FieldError("spec.\(issue.field)", .invalid, "Invalid value: \(issue.message)")
            }
        }
    }
}
