import Yams

extension JSON {
    /// Parses every document of a YAML stream and fails on a malformed one.
    ///
    /// Yams' `compose_all` sequence stops quietly at a parse error (it keeps the error in the
    /// sequence), so reading through it can turn a broken manifest into fewer objects. heraldctl
    /// reads users' files, where that must be an error; this walks the parser directly.
    public static func parseYAMLStream(_ text: String) throws(YAMLParseError) -> [JSON] {
        do {
            var budget = maxYAMLNodes
            var documents: [JSON] = []
            let parser = try Parser(yaml: text)
            while let node = try parser.nextRoot() {
                let value = try convert(node, budget: &budget, depth: 0)
                if !value.isNull { documents.append(value) }
            }
            return documents
        } catch let error as YAMLParseError {
            throw error
        } catch {
            throw YAMLParseError(reason: String(describing: error))
        }
    }
}
