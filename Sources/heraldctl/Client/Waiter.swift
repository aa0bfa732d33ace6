import Foundation
import HeraldAPI

/// Waits for one object to reach a state, the way kubectl wait and delete do: list by name from
/// resourceVersion 0, then watch from the list's version, re-listing whenever the server closes
/// the watch, until the state is reached or the deadline passes.
struct Waiter: Sendable {
    let client: APIClient

    /// Returns normally when met; throws `.timedOut` at the deadline (nil: wait forever).
    /// With `uid`, an object of the same name but another uid counts as the original deleted.
    func wait(
        resource: APIResource, namespace: String, name: String, uid: String?, deadline: Date?,
        until condition: WaitCondition
    ) async throws(CLIError) {
        let path = resource.collectionPath(namespace: namespace)
        let selector = "metadata.name=\(name)"
        func current(_ object: JSON?) -> JSON? {
            guard let object, let uid, let other = object["metadata"]?["uid"]?.stringValue else { return object }
            if other == uid { return object }
            return Optional<JSON>.none
        }
        while true {
            let list = try await client.get(
                path, query: [("fieldSelector", selector), ("limit", "500"), ("resourceVersion", "0")])
            let object = current(ObjectPrinter.items(of: list).first { $0["metadata"]?["name"]?.stringValue == name })
            if condition.isMet(object) { return }
            let remaining = deadline.map { $0.timeIntervalSinceNow }
            if let remaining, remaining <= 0 { throw .timedOut("\(resource.name)/\(name)") }
            let rv = list["metadata"]?["resourceVersion"]?.stringValue ?? "0"
            // Watches are bounded like kubectl's (5-10 minutes) and simply renewed.
            let watchTimeout = min(remaining ?? 300, 300)
            var met = false
            let end: WatchEnd
            do throws(CLIError) {
                end = try await client.watch(
                    path,
                    query: [("allowWatchBookmarks", "true"), ("fieldSelector", selector), ("resourceVersion", rv)],
                    timeout: watchTimeout
                ) { (event) throws(CLIError) -> Bool in
                    switch event.type {
                    case "ADDED", "MODIFIED":
                        met = condition.isMet(current(event.object))
                    case "DELETED":
                        // A deleted object of another uid says nothing about ours.
                        if current(event.object) != nil || uid == nil { met = condition.isMet(nil) }
                    default:
                        break
                    }
                    return !met
                }
            } catch let error where error.isExpired {
                // The list's version left the server's history (410 Gone): list again, as
                // client-go's reflector does.
                end = .closed
            }
            if met { return }
            if end == .timedOut || (deadline.map { $0.timeIntervalSinceNow <= 0 } ?? false) {
                throw .timedOut("\(resource.name)/\(name)")
            }
        }
    }
}
