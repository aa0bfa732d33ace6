/// The locale fallback chain: `fr-CA` → `fr` → default.
///
/// Every render of a recipient with a locale walks it, so it splits and compares in Swift's
/// own string code: Foundation's `replacingOccurrences` bridged each tag through NSString and
/// was half the cost of a localized render.
public enum LocaleChain {
    /// The tags to try, most specific first, with `_` read as `-` (`fr_CA` gives `fr-CA`, `fr`).
    /// Case is kept; matching ignores it. The default content is not listed: it is what remains
    /// when none matches.
    public static func chain(for locale: String?) -> [String] {
        guard let locale else { return [] }
        let subtags = locale.split(whereSeparator: isSeparator)
        guard let first = subtags.first else { return [] }
        var out: [String] = []
        out.reserveCapacity(subtags.count)
        var tag = String(first)
        out.append(tag)
        for subtag in subtags.dropFirst() {
            tag += "-" + subtag
            out.append(tag)
        }
        return out.reversed()
    }

    /// The keys of `locales` matching the chain, most specific first, compared
    /// case-insensitively because BCP 47 tags are case-insensitive.
    public static func candidates(_ locale: String?, in available: some Collection<String>) -> [String] {
        let chain = chain(for: locale)
        guard !chain.isEmpty, !available.isEmpty else { return [] }
        let normalized = available.map { (key: $0, tag: normalize($0)) }
        var out: [String] = []
        for tag in chain {
            let lower = tag.lowercased()
            if let match = normalized.first(where: { $0.tag == lower }) {
                out.append(match.key)
            }
        }
        return out
    }

    private static func isSeparator(_ c: Character) -> Bool { c == "-" || c == "_" }

    /// A tag as compared: lowercase, `_` as `-`.
    private static func normalize(_ tag: String) -> String {
        String(tag.lowercased().map { $0 == "_" ? "-" : $0 })
    }
}
