/// What the positional arguments of `get`, `describe`, `delete` and `wait` name: whole
/// collections (`notif`, `notif,tpl`) or objects (`notif a b`, `notif/a tpl/b`).
enum ResourceArguments: Sendable {
    case collections([APIResource])
    case objects([(resource: APIResource, name: String)])

    static func parse(_ arguments: [String], discovery: Discovery) throws(CLIError) -> ResourceArguments {
        guard let first = arguments.first else {
            throw .message(
                "You must specify the type of resource. Use \"heraldctl api-resources\" for a complete list of supported resources.")
        }
        if first.contains("/") {
            var objects: [(resource: APIResource, name: String)] = []
            for argument in arguments {
                let parts = argument.split(separator: "/", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw .message(
                        "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'heraldctl get resource/<resource_name>' instead of 'heraldctl get resource resource/<resource_name>'"
                    )
                }
                objects.append((try discovery.resolve(parts[0]), parts[1]))
            }
            return .objects(objects)
        }
        let types = first.split(separator: ",").map(String.init)
        var resources: [APIResource] = []
        for type in types { resources.append(try discovery.resolve(type)) }
        let names = Array(arguments.dropFirst())
        if names.isEmpty { return .collections(resources) }
        guard resources.count == 1, let resource = resources.first else {
            throw .message("you may only specify a single resource type when naming objects")
        }
        if names.contains(where: { $0.contains("/") }) {
            throw .message(
                "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'heraldctl get resource/<resource_name>' instead of 'heraldctl get resource resource/<resource_name>'"
            )
        }
        return .objects(names.map { (resource, $0) })
    }
}
