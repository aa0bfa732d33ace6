import HeraldAPI

/// Picks the content of one part for a locale: the most specific `locales` variant that has
/// the part wins whole, else the default part.
///
/// Text fields are never mixed across locales (a French subject over an English HTML body
/// would show English), so a variant's part replaces the default's entirely. `push.data` is the
/// exception: it is usually not language, so a variant without it inherits the default's.
struct TemplateSelection {
    var content: JSON
    var locale: String?
    /// Where the fields live in the spec, for messages (`email`, `locales.fr.email`).
    var fieldPrefix: String
    var data: JSON?
    var dataPrefix: String

    static func resolve(_ template: JSON, part: String, locale: String?) -> TemplateSelection? {
        let base = template[part].flatMap { $0.isNull ? nil : $0 }
        if let locales = template["locales"]?.objectValue {
            for key in LocaleChain.candidates(locale, in: locales.keys) {
                if let variant = locales[key]?[part], !variant.isNull {
                    let prefix = "locales.\(key).\(part)"
                    if let d = variant["data"], !d.isNull {
                        return TemplateSelection(content: variant, locale: key, fieldPrefix: prefix, data: d, dataPrefix: prefix)
                    }
                    return TemplateSelection(
                        content: variant, locale: key, fieldPrefix: prefix, data: base?["data"], dataPrefix: part)
                }
            }
        }
        guard let base else { return nil }
        return TemplateSelection(content: base, locale: nil, fieldPrefix: part, data: base["data"], dataPrefix: part)
    }
}
