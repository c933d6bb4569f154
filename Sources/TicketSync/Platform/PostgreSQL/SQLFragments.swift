/// SQL pieces shared by the stores.
enum SQLFragments {
    /// A timestamptz as RFC 3339 UTC with microseconds, formatted by the database.
    static func timestamp(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }
}

/// A condition a write statement applies under, with its parameters (numbered by the statement that takes it) and,
/// when it needs one, a WITH clause that goes before the statement.
struct SQLCondition {
    var with: String? = nil
    var sql: String
    var params: [String?] = []

    static let always = SQLCondition(sql: "true")
}
