import Foundation
import HeraldAPI

/// One Delivery the planner wants to exist.
public struct PlannedDelivery: Sendable, Hashable {
    public var name: String
    /// `notification`, `recipient`, `channel`, `channelType`, `address`, `round`.
    public var spec: JSON
    /// Pending (due now or at `nextAttemptTime`), or terminal at birth: Suppressed (preferences),
    /// Failed (no usable address).
    public var status: DeliveryStatus
    /// The `herald.dev/resend-at` value that started this round, if any.
    public var resendAt: String?
    /// Recipient locale and timezone (for the job), when known.
    public var recipientName: String?

    /// Spelled once: `KindDefinition.apiVersion` joins group and version on every call.
    static let deliveryAPIVersion = KindDefinition.delivery.apiVersion

    /// The Delivery object, owned by `notification`.
    public func resource(owner notification: Resource) -> Resource {
        // Built as one tree: each typed setter on a Resource rewrites its metadata again, and a
        // plan creates a Delivery per (recipient, channel).
        let owner = OwnerReference(
            apiVersion: notification.apiVersion, kind: "Notification", name: notification.name, uid: notification.uid,
            controller: true, blockOwnerDeletion: true)
        // The namespace is in the literal (and taken out when empty): a member added afterwards
        // grew the array past the literal's size, once per Delivery.
        var metadata: JSONObject = [
            "name": .string(name), "labels": [NotificationPlanner.notificationLabel: .string(notification.name)],
            "ownerReferences": [owner.json], "namespace": .string(notification.namespace),
        ]
        if notification.namespace.isEmpty { metadata["namespace"] = nil }
        if let resendAt { metadata["annotations"] = [NotificationPlanner.resendAnnotation: .string(resendAt)] }
        let object: JSONObject = [
            "apiVersion": .string(Self.deliveryAPIVersion), "kind": "Delivery", "metadata": .object(metadata),
            "spec": spec, "status": status.json,
        ]
        return Resource(.object(object))
    }
}

/// What the planner decided for one Notification.
public struct NotificationPlan: Sendable {
    /// True with reason Resolved, or False with a reason and a message that says what to fix.
    public var accepted: Condition
    public var round: Int
    /// Deliveries to create (the pairs of the current round that do not exist yet).
    public var creates: [PlannedDelivery]
    /// Names of in-flight deliveries of the current round whose pair left the spec.
    public var cancels: [String]
    /// Redrive requests answered by this plan; the replacements are among `creates`.
    public var redrives: [RedrivePlanner.Decision]
    public var events: [EventNote]
}

/// Computes the Deliveries a Notification wants, per (recipient, channel, round), from its
/// Template, Channels and Recipients. Pure: the reconciler gathers the inputs from its caches
/// and carries the plan out.
public struct NotificationPlanner: Sendable {
    public static let resendAnnotation = "herald.dev/resend-at"
    public static let notificationLabel = "herald.dev/notification"

    public struct Input: Sendable {
        public var notification: Resource
        /// The Template named by `spec.templateRef`, when it exists.
        public var template: Resource?
        /// Channels of the namespace by name (at least those the spec names, when they exist).
        public var channels: [String: Resource]
        /// Every Recipient of the namespace (refs and selectors resolve against them).
        public var recipients: [Resource]
        /// The Deliveries this Notification owns, all rounds.
        public var deliveries: [Resource]
        public var now: Date

        public init(
            notification: Resource, template: Resource?, channels: [String: Resource], recipients: [Resource],
            deliveries: [Resource], now: Date
        ) {
            self.notification = notification
            self.template = template
            self.channels = channels
            self.recipients = recipients
            self.deliveries = deliveries
            self.now = now
        }
    }

    let checker: any TemplateChecker

    public init(checker: any TemplateChecker = DeclaredVariablesChecker()) {
        self.checker = checker
    }

    /// A resolved target: who, and how to reach them.
    struct Target {
        /// Stable identity for naming: `recipient:<name>` or `address:<canonical JSON>`.
        var id: String
        /// `Delivery.spec.recipient`.
        var label: String
        var recipient: Resource?
        var adHoc: JSON?
    }

    public func plan(_ input: Input) -> NotificationPlan {
        let n = input.notification
        let spec = n.spec ?? .emptyObject
        let round = currentRound(input)
        var events: [EventNote] = []

        switch resolve(input) {
        case .failure(let refusal):
            // Redrive requests wait too: the Accepted condition says what to fix first.
            return NotificationPlan(accepted: refusal, round: round.number, creates: [], cancels: [], redrives: [], events: [])
        case .success(let (targets, channels)):
            if round.isNew {
                events.append(.normal("ResendRequested", "\(Self.resendAnnotation) changed; starting round \(round.number)"))
            }
            let existing = Dictionary(input.deliveries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            // Without a redrive among them every chain has one member at most, and the names of
            // further members are needed only to answer a redrive request (a plan names every pair).
            let anyRedrive = input.deliveries.contains { $0.spec?["redriveOf"] != nil }
            var desired = Set<String>(minimumCapacity: targets.count * channels.count)
            var creates: [PlannedDelivery] = []
            var redrives: [RedrivePlanner.Decision] = []
            for target in targets {
                for channel in channels {
                    func name(_ redrive: Int) -> String {
                        DeliveryName.make(
                            notification: n.name, recipientID: target.id, channel: channel.name, round: round.number,
                            redrive: redrive)
                    }
                    let first = name(0)
                    desired.insert(first)
                    guard let original = existing[first] else {
                        creates.append(planDelivery(name: first, target: target, channel: channel, round: round, input))
                        continue
                    }
                    // Most pairs: one delivery, no redrive asked of it, nothing to decide.
                    if !anyRedrive && DeliveryRedrive.pendingRequest(original) == nil { continue }
                    // The pair's chain: the original delivery, then each redrive that replaced it.
                    var chain = [original]
                    while anyRedrive, let member = existing[name(chain.count)] {
                        chain.append(member)
                        desired.insert(member.name)
                    }
                    for decision in RedrivePlanner.decide(chain: chain, nextName: name(chain.count)) {
                        redrives.append(decision)
                        // The decision carries the replacement's name: it is not made again.
                        guard case .redrive(let step) = decision, case .redriven(let replacement) = step.outcome else { continue }
                        desired.insert(replacement)
                        var planned = planDelivery(name: replacement, target: target, channel: channel, round: round, input)
                        planned.spec["redriveOf"] = .string(step.delivery)
                        creates.append(planned)
                    }
                }
            }
            redrives += RedrivePlanner.refuseOutside(
                input.deliveries.filter { !desired.contains($0.name) }.sorted { $0.name < $1.name }, currentRound: round.number)
            let cancels = input.deliveries.filter { d in
                Int(d.spec?["round"]?.intValue ?? 0) == round.number && !desired.contains(d.name)
                    && !d.deliveryPhase.isTerminal
            }.map(\.name).sorted()
            let channelWord = channels.count == 1 ? "channel" : "channels"
            let recipientWord = targets.count == 1 ? "recipient" : "recipients"
            let accepted = Condition.isTrue(
                "Accepted", "Resolved",
                "\(spec["templateRef"] != nil ? "template, " : "")\(channels.count) \(channelWord) and \(targets.count) \(recipientWord) resolved"
            )
            return NotificationPlan(
                accepted: accepted, round: round.number, creates: creates, cancels: cancels, redrives: redrives, events: events)
        }
    }

    // MARK: rounds

    struct Round {
        var number: Int
        var resendAt: String?
        var isNew: Bool
    }

    /// The current round: the highest one seen, plus one when `herald.dev/resend-at` carries a
    /// value no delivery of that round was created for.
    func currentRound(_ input: Input) -> Round {
        let n = input.notification
        var highest = Int(n.status?["round"]?.intValue ?? 0)
        for d in input.deliveries { highest = max(highest, Int(d.spec?["round"]?.intValue ?? 0)) }
        let resendAt = n.annotations[Self.resendAnnotation].flatMap { $0.isEmpty ? nil : $0 }
        guard let resendAt else { return Round(number: highest, resendAt: nil, isNew: false) }
        let ofRound = input.deliveries.filter { Int($0.spec?["round"]?.intValue ?? 0) == highest }
        if ofRound.isEmpty || ofRound.contains(where: { $0.annotations[Self.resendAnnotation] == resendAt }) {
            return Round(number: highest, resendAt: resendAt, isNew: false)
        }
        return Round(number: highest + 1, resendAt: resendAt, isNew: true)
    }

    // MARK: resolution

    struct ChannelRef {
        var name: String
        var type: String
    }

    enum Resolution {
        case success(([Target], [ChannelRef]))
        case failure(Condition)
    }

    func resolve(_ input: Input) -> Resolution {
        let n = input.notification
        let spec = n.spec ?? .emptyObject
        let ns = n.namespace

        // Content.
        let content: JSON
        if let ref = spec["templateRef"]?["name"]?.stringValue {
            guard let template = input.template else {
                return .failure(
                    .isFalse(
                        "Accepted", "TemplateNotFound",
                        "Template \"\(ref)\" not found in namespace \"\(ns)\"; create it or fix spec.templateRef"))
            }
            content = template.spec ?? .emptyObject
        } else if let message = spec["message"] {
            content = TemplateContent.fromInlineMessage(message)
        } else {
            return .failure(.isFalse("Accepted", "NoContent", "set spec.templateRef or spec.message"))
        }

        // Channels, in spec order.
        var channels: [ChannelRef] = []
        var missingChannels: [String] = []
        for name in spec["channels"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            if let ch = input.channels[name], let type = ch.spec?["type"]?.stringValue {
                channels.append(ChannelRef(name: name, type: type))
            } else {
                missingChannels.append(name)
            }
        }
        if !missingChannels.isEmpty {
            let list = missingChannels.map { "\"\($0)\"" }.joined(separator: ", ")
            let noun = missingChannels.count == 1 ? "Channel" : "Channels"
            return .failure(
                .isFalse("Accepted", "ChannelNotFound", "\(noun) \(list) not found in namespace \"\(ns)\"; create or fix spec.channels"))
        }
        if channels.isEmpty {
            return .failure(.isFalse("Accepted", "NoChannels", "spec.channels names no Channel"))
        }

        // Recipients, deduplicated, in spec order. Sized once: a plan runs on every reconcile.
        let entries = spec["to"]?.arrayValue ?? []
        let byName: [String: Resource] =
            entries.contains { $0["recipientRef"] != nil }
            ? Dictionary(input.recipients.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }) : [:]
        var targets: [Target] = []
        targets.reserveCapacity(input.recipients.count)
        var seen = Set<String>(minimumCapacity: input.recipients.count)
        var missingRecipients: [String] = []
        var emptySelectors: [Int] = []
        func add(_ t: Target) {
            if seen.insert(t.id).inserted { targets.append(t) }
        }
        for (i, entry) in entries.enumerated() {
            if let name = entry["recipientRef"]?["name"]?.stringValue {
                guard let r = byName[name] else {
                    missingRecipients.append(name)
                    continue
                }
                add(Target(id: "recipient:" + name, label: name, recipient: r))
            } else if let selectorJSON = entry["selector"] {
                let selector: LabelSelector
                do { selector = try LabelSelector(json: selectorJSON) } catch {
                    return .failure(.isFalse("Accepted", "InvalidSelector", "spec.to[\(i)].selector: \(error.message)"))
                }
                let matches = input.recipients.filter { selector.matches(labelsOf: $0) }.sorted { $0.name < $1.name }
                if matches.isEmpty { emptySelectors.append(i) }
                for r in matches { add(Target(id: "recipient:" + r.name, label: r.name, recipient: r)) }
            } else if let address = entry["address"] {
                add(
                    Target(
                        id: "address:" + address.serializedString(), label: RecipientAddress.label(forAdHoc: address), adHoc: address))
            }
        }
        if !missingRecipients.isEmpty {
            let list = missingRecipients.map { "\"\($0)\"" }.joined(separator: ", ")
            let noun = missingRecipients.count == 1 ? "Recipient" : "Recipients"
            return .failure(
                .isFalse("Accepted", "RecipientNotFound", "\(noun) \(list) not found in namespace \"\(ns)\"; create or fix spec.to"))
        }
        if targets.isEmpty {
            let which = emptySelectors.map { "spec.to[\($0)].selector" }.joined(separator: ", ")
            return .failure(
                .isFalse(
                    "Accepted", "NoRecipients",
                    which.isEmpty ? "spec.to resolves to no recipient" : "\(which) matches no Recipient in namespace \"\(ns)\""))
        }

        // Content problems over every channel type in use.
        let problems = checker.problems(
            content: content, variables: spec["variables"] ?? .emptyObject, channelTypes: channels.map(\.type))
        if let first = problems.first {
            let message = problems.map(\.message).joined(separator: "; ")
            let source = spec["templateRef"]?["name"]?.stringValue.map { "Template \"\($0)\": " } ?? "spec.message: "
            return .failure(.isFalse("Accepted", first.reason, source + message))
        }
        return .success((targets, channels))
    }

    // MARK: one delivery

    func planDelivery(name: String, target: Target, channel: ChannelRef, round: Round, _ input: Input) -> PlannedDelivery {
        let n = input.notification
        let spec = n.spec ?? .emptyObject
        let lookup: RecipientAddress.Lookup
        if let r = target.recipient {
            lookup = RecipientAddress.fromRecipient(r.spec ?? .emptyObject, channelType: channel.type)
        } else {
            lookup = RecipientAddress.fromAdHoc(target.adHoc ?? .emptyObject, channelType: channel.type)
        }
        // `address` is in the literal and set below: adding it grew the array past the literal's size.
        var deliverySpec: JSONObject = [
            "notification": .string(n.name), "recipient": .string(target.label), "channel": .string(channel.name),
            "channelType": .string(channel.type), "round": .int(Int64(round.number)), "address": .emptyObject,
        ]
        var status = DeliveryStatus(phase: .pending)
        switch lookup {
        case .found(var address):
            // An ad-hoc address carries its own locale and timezone (a Recipient's are read from it).
            for key in ["locale", "timezone"] {
                if let v = target.adHoc?[key], v.stringValue?.isEmpty == false { address[key] = v }
            }
            deliverySpec["address"] = address
        case .missing(let what):
            deliverySpec["address"] = .emptyObject
            status.phase = .failed
            status.failedTime = input.now
            status.reason = "NoAddress"
            status.lastError = DeliveryFailure(
                errorClass: .permanent, code: "NoAddress",
                message:
                    "\(target.recipient == nil ? "the address" : "Recipient \"\(target.label)\"") has no \(what) for Channel \"\(channel.name)\" (\(channel.type))"
            )
        }
        if status.phase == .pending, let r = target.recipient {
            if let reason = Preferences.optOut(
                r.spec ?? .emptyObject, channel: channel.name, channelType: channel.type,
                category: spec["category"]?.stringValue)
            {
                status = Self.suppressed(status, message: reason)
            }
        }
        if status.phase == .pending {
            let notBefore = spec["notBefore"]?.stringValue.flatMap(Timestamp.parse)
            var due = max(input.now, notBefore ?? input.now)
            if spec["priority"]?.stringValue != "high",
                let quiet = Preferences.quietHours(
                    recipient: target.recipient?.spec, adHoc: target.adHoc)
            {
                let end = quiet.endOfWindow(containing: due)
                if end > due {
                    due = end
                    status.reason = "QuietHours"
                }
            }
            if due > input.now {
                status.nextAttemptTime = due
                if status.reason == nil { status.reason = "Scheduled" }
            }
        }
        return PlannedDelivery(
            name: name, spec: .object(deliverySpec), status: status, resendAt: round.resendAt,
            recipientName: target.recipient?.name)
    }

    static func suppressed(_ status: DeliveryStatus, message: String) -> DeliveryStatus {
        var s = status
        s.phase = .suppressed
        s.reason = "OptedOut"
        // The reason says OptedOut; lastError carries what was opted out of, so `get` shows it.
        s.lastError = DeliveryFailure(errorClass: .permanent, code: "OptedOut", message: message)
        return s
    }
}

/// A Recipient's preferences (`spec.preferences`).
enum Preferences {
    /// Why the recipient does not want this pair, or nil.
    static func optOut(_ recipient: JSON, channel: String, channelType: String, category: String?) -> String? {
        let optOut = recipient["preferences"]?["optOut"]
        let channels = Set(optOut?["channels"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        if channels.contains(channel) { return "the recipient opted out of Channel \"\(channel)\"" }
        if channels.contains(channelType) { return "the recipient opted out of \(channelType) channels" }
        if let category, !category.isEmpty,
            (optOut?["categories"]?.arrayValue?.compactMap(\.stringValue) ?? []).contains(category)
        {
            return "the recipient opted out of category \"\(category)\""
        }
        return nil
    }

    static func quietHours(recipient: JSON?, adHoc: JSON?) -> QuietHours? {
        guard let q = recipient?["preferences"]?["quietHours"], let start = q["start"]?.stringValue,
            let end = q["end"]?.stringValue
        else { return nil }
        let zoneName = recipient?["timezone"]?.stringValue ?? adHoc?["timezone"]?.stringValue
        let zone = zoneName.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC") ?? .current
        return QuietHours(start: start, end: end, timeZone: zone)
    }
}
