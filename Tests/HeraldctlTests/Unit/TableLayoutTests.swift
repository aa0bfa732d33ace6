import HeraldAPI
import Testing

@testable import heraldctl

@Suite("Table alignment")
struct TableLayoutTests {
    @Test func kubectlGetSpacing() {
        // minwidth 6, padding 3; the last column is never padded (contract 3.4 example).
        let out = TableLayout.get.render([
            ["NAME", "CHANNEL", "DELIVERED", "REASON", "AGE"],
            ["welcome", "email", "True", "Sent", "5s"],
        ])
        #expect(out == "NAME      CHANNEL   DELIVERED   REASON   AGE\nwelcome   email     True        Sent     5s\n")
    }

    @Test func minimumWidthAppliesToNarrowColumns() {
        let out = TableLayout.get.render([["A", "B"], ["x", "y"]])
        #expect(out == "A     B\nx     y\n")
    }

    @Test func unicodeCountsRunes() {
        let out = TableLayout.get.render([["NAME", "X"], ["héllo", "1"]])
        #expect(out == "NAME    X\nhéllo   1\n")
    }

    @Test func tabWriterAlignsBlocksSeparately() {
        // Like Go's tabwriter: a line without cells ends a column block.
        let text = "Name:\twelcome\nNamespace:\tdefault\nSpec:\n  Channels:\tlog\n  Priority Class:\thigh\n"
        let out = TabWriter(minWidth: 0, padding: 2).format(text)
        #expect(out == "Name:       welcome\nNamespace:  default\nSpec:\n  Channels:        log\n  Priority Class:  high\n")
    }

    @Test func serverTableColumnsNamespaceAndLabels() throws {
        let table = try #require(
            ServerTable(json: [
                "kind": "Table",
                "columnDefinitions": [
                    ["name": "Name", "priority": 0], ["name": "Phase", "priority": 0], ["name": "Age", "priority": 0],
                    ["name": "Channels", "priority": 1],
                ],
                "rows": [
                    [
                        "cells": ["welcome", "Pending", "5s", "log"],
                        "object": ["metadata": ["name": "welcome", "namespace": "ops", "labels": ["b": "2", "a": "1"]]],
                    ]
                ],
            ]))
        var options = ServerTable.Options()
        #expect(table.header(options) == ["NAME", "PHASE", "AGE"])
        options.wide = true
        options.withNamespace = true
        options.showLabels = true
        #expect(table.header(options) == ["NAMESPACE", "NAME", "PHASE", "AGE", "CHANNELS", "LABELS"])
        #expect(table.textRows(options) == [["ops", "welcome", "Pending", "5s", "log", "a=1,b=2"]])
    }

    @Test func nullCellsPrintNone() {
        #expect(ServerTable.cellText(.null) == "<none>")
        #expect(ServerTable.cellText(3) == "3")
    }
}
