import Foundation

/// `--env-file`: `KEY=VALUE` lines (blank lines and `#` comments skipped, an optional `export ` and surrounding
/// quotes allowed), read at start and again on every reload, over the process's own environment.
public enum EnvFile {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String, source: String) throws -> [String: String] {
        var values: [String: String] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else {
                throw Failure(description: "\(source) line \(index + 1): expected KEY=VALUE")
            }
            let key = String(line[..<equals])
            guard let first = key.first, first == "_" || first.isLetter,
                key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            else { throw Failure(description: "\(source) line \(index + 1): '\(key)' is not a variable name") }
            var value = String(line[line.index(after: equals)...])
            if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }

    /// The process's environment with the file's values over it (nil path: the environment as it is).
    public static func environment(base: [String: String], path: String?) throws -> [String: String] {
        guard let path else { return base }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Failure(description: "--env-file \(path) cannot be read")
        }
        return base.merging(try parse(text, source: path)) { _, file in file }
    }
}
