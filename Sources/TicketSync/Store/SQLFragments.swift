/// SQL pieces shared by the stores.
enum SQLFragments {
    /// A timestamptz as RFC 3339 UTC with microseconds, formatted by the database.
    static func timestamp(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }
}
