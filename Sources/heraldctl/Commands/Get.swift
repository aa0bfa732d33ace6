import ArgumentParser
import Foundation
import HeraldAPI

/// `heraldctl get`: lists or fetches objects, as server-rendered tables or whole documents,
/// and optionally keeps watching.
struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Display one or many resources.",
        discussion: """
            Examples:
              heraldctl get notifications
              heraldctl get notif welcome -o yaml
              heraldctl get notif -A -l team=sre -o wide
              heraldctl get notif -o jsonpath='{.items[*].metadata.name}'
              heraldctl get notif -w
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "TYPE [NAME...] or TYPE/NAME...")
    var arguments: [String] = []

    @Option(name: .shortAndLong, help: "Output format: wide, yaml, json, name, jsonpath=TEMPLATE.")
    var output: String?

    @Option(name: [.customShort("l"), .customLong("selector")], help: "Label selector, e.g. -l team=sre,tier!=db.")
    var selector: String?

    @Option(name: .customLong("field-selector"), help: "Field selector, e.g. --field-selector metadata.name=x.")
    var fieldSelector: String?

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "List across all namespaces.")
    var allNamespaces = false

    @Flag(name: .shortAndLong, help: "After listing, watch for changes.")
    var watch = false

    @Flag(name: .customLong("watch-only"), help: "Watch for changes without listing first.")
    var watchOnly = false

    @Flag(name: .customLong("show-labels"), help: "Show labels as the last column.")
    var showLabels = false

    @Option(name: .customLong("chunk-size"), help: "Fetch large lists in chunks of this size (0 = all at once).")
    var chunkSize = 500

    func run() async throws {
        let format = try OutputFormat.parse(output)
        let session = try global.session()
        try await session.run { (session) throws(CLIError) in
            guard !arguments.isEmpty else {
                throw CLIError.message(
                    "You must specify the type of resource to get. Use \"heraldctl api-resources\" for a complete list of supported resources."
                )
            }
            let discovery = try await session.discovery()
            let target = try ResourceArguments.parse(arguments, discovery: discovery)
            if watch || watchOnly {
                try await watchObjects(session, target: target, format: format)
            } else {
                try await getObjects(session, target: target, format: format)
            }
        }
    }

    var tableOptions: ServerTable.Options {
        ServerTable.Options(wide: output == "wide", withNamespace: allNamespaces, showLabels: showLabels)
    }

    func listQuery(continueToken: String?) -> [(String, String)] {
        var query: [(String, String)] = []
        if chunkSize > 0 { query.append(("limit", String(chunkSize))) }
        if let continueToken { query.append(("continue", continueToken)) }
        if let selector { query.append(("labelSelector", selector)) }
        if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
        return query
    }

    /// Lists a collection, following `continue` tokens; answers the pages.
    func listPages(_ session: Session, _ resource: APIResource, accept: String) async throws(CLIError) -> [JSON] {
        let path = resource.collectionPath(namespace: allNamespaces ? nil : session.namespace)
        var pages: [JSON] = []
        var token: String?
        repeat {
            let page = try await session.client.get(path, query: listQuery(continueToken: token), accept: accept)
            pages.append(page)
            token = page["metadata"]?["continue"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return pages
    }

    func getObjects(_ session: Session, target: ResourceArguments, format: OutputFormat) async throws(CLIError) {
        var failures: [CLIError] = []
        // Results per resource type, in the order asked: tables or whole objects.
        var tables: [(APIResource, ServerTable)] = []
        var objects: [(APIResource, JSON)] = []
        let accept = format.isTable ? APIClient.tableAccept : APIClient.jsonAccept
        let singleObject: Bool

        switch target {
        case .collections(let resources):
            singleObject = false
            for resource in resources {
                let pages = try await listPages(session, resource, accept: accept)
                if format.isTable {
                    var merged: ServerTable?
                    for page in pages {
                        let table = ServerTable(json: page) ?? ServerTable(objects: ObjectPrinter.items(of: page), now: Date())
                        if merged == nil { merged = table } else { merged?.rows += table.rows }
                    }
                    if let merged { tables.append((resource, merged)) }
                } else {
                    for page in pages {
                        objects += ObjectPrinter.items(of: page).map { (resource, $0) }
                    }
                }
            }
        case .objects(let items):
            singleObject = items.count == 1
            for (resource, name) in items {
                let path = resource.itemPath(namespace: session.namespace, name: name)
                do throws(CLIError) {
                    let answer = try await session.client.get(path, accept: accept)
                    if format.isTable {
                        let table = ServerTable(json: answer) ?? ServerTable(objects: [answer], now: Date())
                        if let index = tables.firstIndex(where: { $0.0 == resource }) {
                            tables[index].1.rows += table.rows
                        } else {
                            tables.append((resource, table))
                        }
                    } else {
                        objects.append((resource, answer))
                    }
                } catch {
                    failures.append(error)
                }
            }
        }

        if format.isTable {
            let nonEmpty = tables.filter { !$0.1.rows.isEmpty }
            if nonEmpty.isEmpty, failures.isEmpty {
                Console.error(
                    allNamespaces ? "No resources found" : "No resources found in \(session.namespace) namespace.")
            }
            let prefixNames = nonEmpty.count > 1
            for (index, (resource, table)) in nonEmpty.enumerated() {
                if index > 0 { Console.line("") }
                Console.out(render(table, resource: resource, prefixNames: prefixNames))
            }
        } else {
            switch format {
            case .name:
                for (resource, object) in objects { Console.line(ObjectPrinter.name(object, resource: resource)) }
            default:
                if singleObject, let only = objects.first {
                    Console.out(ObjectPrinter.render(only.1, format: format))
                } else if !objects.isEmpty || failures.isEmpty {
                    Console.out(ObjectPrinter.render(ObjectPrinter.list(objects.map(\.1)), format: format))
                }
            }
        }
        try Get.report(failures)
    }

    func render(_ table: ServerTable, resource: APIResource, prefixNames: Bool) -> String {
        var table = table
        if prefixNames, let nameColumn = table.columns.firstIndex(where: { $0.name.lowercased() == "name" }) {
            for i in table.rows.indices where nameColumn < table.rows[i].cells.count {
                let name = ServerTable.cellText(table.rows[i].cells[nameColumn])
                table.rows[i].cells[nameColumn] = .string("\(resource.qualifiedKind)/\(name)")
            }
        }
        let rows = [table.header(tableOptions)] + table.textRows(tableOptions)
        return TableLayout.get.render(rows)
    }

    /// Prints per-object errors after the output, as kubectl does, and fails if there were any.
    static func report(_ failures: [CLIError]) throws(CLIError) {
        guard !failures.isEmpty else { return }
        if failures.count == 1, let only = failures.first { throw only }
        for failure in failures {
            if let text = failure.rendered { Console.error(text) }
        }
        throw .exit(1)
    }

    func watchObjects(_ session: Session, target: ResourceArguments, format: OutputFormat) async throws(CLIError) {
        let resource: APIResource
        var fieldSelector = self.fieldSelector
        switch target {
        case .collections(let resources):
            guard resources.count == 1, let only = resources.first else {
                throw .message("you may only specify a single resource type")
            }
            resource = only
        case .objects(let items):
            guard items.count == 1, let only = items.first else {
                throw .message("watch is only supported on individual resources and resource collections, but 2 resources were found")
            }
            resource = only.resource
            let pin = "metadata.name=\(only.name)"
            fieldSelector = fieldSelector.map { "\($0),\(pin)" } ?? pin
        }
        let accept = format.isTable ? APIClient.tableAccept : APIClient.jsonAccept
        let path = resource.collectionPath(namespace: allNamespaces ? nil : session.namespace)
        var query: [(String, String)] = []
        if let selector { query.append(("labelSelector", selector)) }
        if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }

        // List first: its rows are the starting state, its resourceVersion where the watch
        // begins (contract fact 13), so nothing is printed twice.
        let list = try await session.client.get(path, query: query, accept: accept)
        let resourceVersion = list["metadata"]?["resourceVersion"]?.stringValue ?? "0"
        let printer = WatchPrinter(format: format, options: tableOptions, resource: resource)
        if !watchOnly {
            if format.isTable {
                let table = ServerTable(json: list) ?? ServerTable(objects: ObjectPrinter.items(of: list), now: Date())
                await printer.printTable(table)
            } else {
                for item in ObjectPrinter.items(of: list) { await printer.printObject(item) }
            }
        }
        query.append(("resourceVersion", resourceVersion))
        _ = try await session.client.watch(path, query: query, accept: accept, timeout: nil) {
            (event) throws(CLIError) -> Bool in
            if format.isTable {
                let table = ServerTable(json: event.object) ?? ServerTable(objects: [event.object], now: Date())
                await printer.printTable(table)
            } else {
                await printer.printObject(event.object)
            }
            return true
        }
    }
}

/// Prints a watch's rows under one header, keeping the columns the first rows set.
actor WatchPrinter {
    let format: OutputFormat
    let options: ServerTable.Options
    let resource: APIResource
    private var columns: [ServerTable.Column]?
    private var widths: [Int]?
    private var printedObjects = 0

    init(format: OutputFormat, options: ServerTable.Options, resource: APIResource) {
        self.format = format
        self.options = options
        self.resource = resource
    }

    func printTable(_ table: ServerTable) {
        // Watch events may carry columnDefinitions only in the first event (contract 3.5).
        var table = table
        if table.columns.isEmpty, let columns { table.columns = columns }
        if columns == nil, !table.columns.isEmpty { columns = table.columns }
        let rows = table.textRows(options)
        guard !rows.isEmpty else { return }
        var out = ""
        if widths == nil {
            let header = table.header(options)
            let computed = TableLayout.get.widths([header] + rows)
            widths = computed
            out += TableLayout.get.format(header, widths: computed) + "\n"
        }
        let current = widths ?? []
        for row in rows { out += TableLayout.get.format(row, widths: current) + "\n" }
        Console.out(out)
    }

    func printObject(_ object: JSON) {
        switch format {
        case .name:
            Console.line(ObjectPrinter.name(object, resource: resource))
        case .yaml:
            if printedObjects > 0 { Console.out("---\n") }
            Console.out(ObjectPrinter.render(object, format: format))
        default:
            Console.out(ObjectPrinter.render(object, format: format))
        }
        printedObjects += 1
    }
}
