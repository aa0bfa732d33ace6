import HeraldAPI
import Mustache

/// Records the variables a render looked up and did not find.
///
/// swift-mustache renders an unknown name as an empty string; Herald must refuse instead, so
/// the root of the render context answers unknown names with a `MissingValue` that reports
/// itself here when it is rendered as text. Used by one render on one thread only.
final class MissCollector {
    var missing: [String] = []
    /// Names only tested by a section (`{{#link}}…{{/link}}`): absent is a legitimate answer.
    var tested: [String] = []
}

/// The variables at the root of a render. Lookups climb the context stack from the innermost
/// section outwards and reach the root last, so a miss here is a real miss.
struct RenderRoot: MustacheParent {
    let variables: JSONObject
    /// Declared `required: false` without a default: rendering them empty is the author's choice.
    let optional: Set<String>
    let collector: MissCollector

    func child(named name: String) -> Any? {
        if let value = variables[name], !value.isNull { return mustacheValue(value) }
        if optional.contains(name) { return nil }
        return MissingValue(path: name, collector: collector)
    }
}

/// A nested object. Unknown names answer nil so that lookups keep climbing to outer sections.
/// Rendered as text it is its JSON, so `{{{payload}}}` drops an object into a webhook body.
struct JSONNode: MustacheParent, MustacheCustomRenderable {
    let object: JSONObject

    var renderText: String { JSON.object(object).serializedString() }
    var isNull: Bool { false }

    func child(named name: String) -> Any? {
        guard let value = object[name], !value.isNull else { return nil }
        return mustacheValue(value)
    }
}

/// A JSON number rendered the way JSON writes it (`2`, not `2.0`).
struct JSONNumber: MustacheCustomRenderable {
    let text: String
    var renderText: String { text }
    var isNull: Bool { false }
}

func mustacheValue(_ value: JSON) -> Any {
    switch value {
    case .null: return ""
    case .bool(let b): return b
    case .int(let i): return JSONNumber(text: String(i))
    case .double: return JSONNumber(text: value.serializedString())
    case .string(let s): return s
    case .array(let a): return a.map(mustacheValue)
    case .object(let o): return JSONNode(object: o)
    }
}

/// Stands for a name the variables do not have. As a section it is null (the section is
/// skipped, an inverted section renders); as text it records the miss.
final class MissingValue: MustacheCustomRenderable, MustacheParent, MustacheTransformable {
    let path: String
    let collector: MissCollector

    init(path: String, collector: MissCollector) {
        self.path = path
        self.collector = collector
    }

    var renderText: String {
        collector.missing.append(path)
        return ""
    }

    var isNull: Bool {
        collector.tested.append(path)
        return true
    }

    // `{{user.name}}` with no `user`: the whole dotted path is what is missing.
    func child(named name: String) -> Any? {
        MissingValue(path: path + "." + name, collector: collector)
    }

    // `{{uppercased(name)}}` with no `name` must still be reported, not silently dropped.
    func transform(_ name: String) -> Any? { self }
}
