import Foundation
import TicketSyncPlatform

/// Atlassian Document Format (the rich text of Jira Cloud's REST v3: comment bodies, descriptions) as plain text:
/// one line per block (paragraph, heading, list item, table row, code line), `- ` and `1. ` before list items,
/// `> ` before quoted lines, `[x] ` / `[ ] ` before tasks; mentions, emoji, dates, statuses and cards as their text;
/// a link's address after its text; an attachment as `[attachment]`. Nodes it does not know are read for their text.
enum JiraADF {
    /// The document's text, or nil when the value is not an ADF node (a v2 body is already a string).
    static func plainText(_ document: JSONValue) -> String? {
        guard case .object = document else { return nil }
        var lines: [String] = []
        block(document, into: &lines)
        return lines.joined(separator: "\n")
    }

    /// Inline nodes: they make up a line; everything else is a block.
    private static let inlineTypes: Set<String> = [
        "text", "hardBreak", "mention", "emoji", "inlineCard", "date", "status", "placeholder", "mediaInline",
        "inlineExtension",
    ]

    private static func children(_ node: JSONValue) -> [JSONValue] {
        if case .array(let items)? = node["content"] { return items }
        return []
    }

    private static func type(_ node: JSONValue) -> String { node["type"]?.stringValue ?? "" }

    /// Appends the lines of a block node.
    private static func block(_ node: JSONValue, into lines: inout [String]) {
        let content = children(node)
        switch type(node) {
        case "paragraph", "heading", "decisionItem":
            lines += nonEmpty(inline(content))
        case "codeBlock":
            lines += inline(content).joined(separator: "\n").components(separatedBy: "\n")
        case "bulletList":
            for item in content { lines += marked(item, first: "- ") }
        case "orderedList":
            var number = node["attrs"]?["order"].flatMap(JiraProvider.identifier).flatMap { Int($0) } ?? 1
            for item in content {
                lines += marked(item, first: "\(number). ")
                number += 1
            }
        case "taskList":
            for item in content { lines += marked(item, first: "") }
        case "taskItem":
            let done = node["attrs"]?["state"]?.stringValue == "DONE"
            let text = nonEmpty(inline(content))
            lines += prefixed(text.isEmpty ? [""] : text, first: done ? "[x] " : "[ ] ", rest: "    ")
        case "blockquote":
            lines += blocks(content).map { "> " + $0 }
        case "rule":
            lines.append("---")
        case "table":
            for row in content {
                let cells = children(row).map { blocks(children($0)).joined(separator: " ") }
                if cells.contains(where: { !$0.isEmpty }) { lines.append(cells.joined(separator: " | ")) }
            }
        case "expand", "nestedExpand":
            if let title = node["attrs"]?["title"]?.stringValue, !title.isEmpty { lines.append(title) }
            lines += blocks(content)
        case "blockCard", "embedCard":
            if let url = node["attrs"]?["url"]?.stringValue { lines.append(url) }
        case "media":
            lines.append(attachment(node))
        default:
            if !content.isEmpty, content.allSatisfy({ inlineTypes.contains(type($0)) }) {
                lines += nonEmpty(inline(content))
            } else {
                lines += blocks(content)
            }
        }
    }

    private static func blocks(_ nodes: [JSONValue]) -> [String] {
        var lines: [String] = []
        for node in nodes {
            if inlineTypes.contains(type(node)) {
                lines += nonEmpty(inline([node]))
            } else {
                block(node, into: &lines)
            }
        }
        return lines
    }

    /// A list item's lines: the marker before its first line, the others indented to match.
    private static func marked(_ item: JSONValue, first marker: String) -> [String] {
        var lines: [String] = []
        block(item, into: &lines)
        if lines.isEmpty { return [] }
        return prefixed(lines, first: marker, rest: String(repeating: " ", count: marker.count))
    }

    private static func prefixed(_ lines: [String], first: String, rest: String) -> [String] {
        lines.enumerated().map { index, line in (index == 0 ? first : rest) + line }
    }

    private static func nonEmpty(_ lines: [String]) -> [String] {
        lines.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } ? [] : lines
    }

    /// Inline nodes as lines (a hard break starts a new one).
    private static func inline(_ nodes: [JSONValue]) -> [String] {
        var lines: [String] = []
        var line = ""
        for node in nodes {
            let attrs = node["attrs"]
            switch type(node) {
            case "text":
                guard let text = node["text"]?.stringValue else { continue }
                line += text + linkSuffix(node, text: text)
            case "hardBreak":
                lines.append(line)
                line = ""
            case "mention":
                let name = attrs?["text"]?.stringValue ?? attrs?["id"]?.stringValue ?? ""
                line += name.hasPrefix("@") || name.isEmpty ? name : "@" + name
            case "emoji":
                line += attrs?["text"]?.stringValue ?? attrs?["shortName"]?.stringValue ?? ""
            case "inlineCard":
                line += attrs?["url"]?.stringValue ?? ""
            case "date":
                line += attrs?["timestamp"].flatMap(date) ?? ""
            case "status":
                line += attrs?["text"]?.stringValue ?? ""
            case "mediaInline":
                line += attachment(node)
            default:
                continue
            }
        }
        lines.append(line)
        return lines
    }

    /// ` (https://…)` after a linked text that is not its own address.
    private static func linkSuffix(_ node: JSONValue, text: String) -> String {
        guard case .array(let marks)? = node["marks"],
            let link = marks.first(where: { $0["type"]?.stringValue == "link" }),
            let href = link["attrs"]?["href"]?.stringValue, !href.isEmpty, href != text
        else { return "" }
        return " (\(href))"
    }

    private static func attachment(_ node: JSONValue) -> String {
        let alt = node["attrs"]?["alt"]?.stringValue ?? ""
        return alt.isEmpty ? "[attachment]" : "[attachment: \(alt)]"
    }

    /// A date node's `timestamp` (Unix milliseconds, as a string) as `yyyy-MM-dd` in UTC.
    private static func date(_ value: JSONValue) -> String? {
        guard let text = JiraProvider.identifier(value), let milliseconds = Double(text), milliseconds.isFinite,
            abs(milliseconds) < 253_402_300_800_000
        else { return nil }
        let date = Date(timeIntervalSince1970: milliseconds / 1000)
        return date.formatted(Date.ISO8601FormatStyle().year().month().day())
    }
}
