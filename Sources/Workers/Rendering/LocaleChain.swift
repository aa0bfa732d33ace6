import Foundation

/// The locale fallback chain: `fr-CA` → `fr` → default.
public enum LocaleChain {
    /// The tags to try, most specific first, normalized (`fr_CA` and `FR-ca` give `fr-CA`, `fr`).
    /// The default content is not listed: it is what remains when none matches.
    public static func chain(for locale: String?) -> [String] {
        guard let locale else { return [] }
        let subtags = locale.replacingOccurrences(of: "_", with: "-").split(separator: "-").map(String.init)
        guard !subtags.isEmpty, !subtags[0].isEmpty else { return [] }
        var out: [String] = []
        for n in stride(from: subtags.count, through: 1, by: -1) {
            out.append(subtags[0..<n].joined(separator: "-"))
        }
        return out
    }

    /// The keys of `locales` matching the chain, most specific first, compared
    /// case-insensitively because BCP 47 tags are case-insensitive.
    public static func candidates(_ locale: String?, in available: some Collection<String>) -> [String] {
        let chain = chain(for: locale)
        guard !chain.isEmpty, !available.isEmpty else { return [] }
        var out: [String] = []
        for tag in chain {
            let lower = tag.lowercased()
            if let key = available.first(where: { $0.replacingOccurrences(of: "_", with: "-").lowercased() == lower }) {
                out.append(key)
            }
        }
        return out
    }
}
