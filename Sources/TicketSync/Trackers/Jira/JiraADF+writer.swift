import TicketSyncPlatform

/// Plain text as an Atlassian Document Format document (REST v3 descriptions and comment bodies): each run of lines
/// between blank lines is a paragraph, its lines joined by hard breaks. `plainText` reads it back line by line.
extension JiraADF {
    static func document(_ text: String) -> JSONValue {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        var paragraphs: [JSONValue] = []
        for block in normalized.components(separatedBy: "\n\n") {
            var inline: [JSONValue] = []
            for line in block.components(separatedBy: "\n") {
                if !inline.isEmpty { inline.append(.object(["type": .string("hardBreak")])) }
                // ADF refuses empty text nodes.
                if !line.isEmpty { inline.append(.object(["type": .string("text"), "text": .string(line)])) }
            }
            while case .object(let last)? = inline.last, last["type"] == .string("hardBreak") { inline.removeLast() }
            guard !inline.isEmpty else { continue }
            paragraphs.append(.object(["type": .string("paragraph"), "content": .array(inline)]))
        }
        return .object(["type": .string("doc"), "version": .int(1), "content": .array(paragraphs)])
    }
}
