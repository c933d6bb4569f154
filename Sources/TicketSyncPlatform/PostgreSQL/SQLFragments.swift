/// SQL pieces shared by the stores.
public enum SQLFragments {
    /// A timestamptz as RFC 3339 UTC with microseconds, formatted by the database.
    public static func timestamp(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }

    /// A text[] parameter's literal; every element quoted, so no value can change its meaning.
    public static func textArray(_ values: [String]) -> String {
        let quoted = values.map { value in
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }
}

/// A condition a write statement applies under, with its parameters (numbered by the statement that takes it) and,
/// when it needs one, a WITH clause that goes before the statement.
public struct SQLCondition: Sendable {
    public var with: String? = nil
    public var sql: String
    public var params: [String?] = []

    public init(with: String? = nil, sql: String, params: [String?] = []) {
        self.with = with
        self.sql = sql
        self.params = params
    }

    public static let always = SQLCondition(sql: "true")
}
