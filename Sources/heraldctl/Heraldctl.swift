import ArgumentParser

/// The root command: a kubectl-like client for the Herald API.
struct Heraldctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heraldctl",
        abstract: "heraldctl controls Herald notifications, templates, channels and recipients.",
        discussion: """
            It speaks the Kubernetes API conventions Herald serves, with kubectl's habits:
              heraldctl apply -f notification.yaml
              heraldctl get notifications -o wide
              heraldctl wait --for=condition=Delivered notification/welcome --timeout=60s

            The server comes from --server, $HERALD_SERVER, the current context of the config file
            ($HERALDCONFIG or ~/.herald/config), or http://127.0.0.1:8080. HERALDCTL_DEBUG=1 prints
            each request on stderr.
            """,
        version: HeraldctlVersion.current,
        subcommands: [
            Apply.self, Diff.self, Get.self, Describe.self, Delete.self, Patch.self, Wait.self, Render.self,
            DLQ.self, APIResources.self, Explain.self, Version.self, Config.self,
        ])
}

enum HeraldctlVersion {
    static let current = "v0.1.0"
}
