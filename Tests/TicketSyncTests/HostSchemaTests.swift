import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

struct HostSchemaTests {
    @Test func theDefaultIsPublicQuoted() {
        #expect(HostSchema.standard.quoted == "\"public\"")
        #expect(PGSessionLimits().hostSchema == .standard)
        #expect(HostSchema.standard.table("users") == "\"public\".users")
    }

    @Test(arguments: [("host", "\"host\""), ("Host App", "\"Host App\""), ("a\"b", "\"a\"\"b\""), ("\"", "\"\"\"\"")])
    func namesAreQuotedNeverFolded(name: String, quoted: String) throws {
        #expect(try #require(HostSchema(name)).quoted == quoted)
    }

    @Test(arguments: ["", "a\tb", "a\u{0}b", "line\nbreak", String(repeating: "x", count: 64)])
    func unusableNamesAreRefused(name: String) {
        #expect(HostSchema(name) == nil)
    }

    @Test func statementsNameTheSchemaWhereTheyMarkIt() throws {
        let schema = try #require(HostSchema("host app"))
        #expect(
            schema.resolve("SELECT 1 FROM {host}.users u JOIN {host}.org_memberships m ON true")
                == "SELECT 1 FROM \"host app\".users u JOIN \"host app\".org_memberships m ON true")
        #expect(schema.resolve("SELECT 1 FROM ticket_sync.comments") == "SELECT 1 FROM ticket_sync.comments")
        #expect(schema.searchPathSQL() == "SET search_path = \"host app\", pg_temp")
        #expect(schema.searchPathSQL(local: true) == "SET LOCAL search_path = \"host app\", pg_temp")
    }

    @Test func theSettingIsReadAndAnUnusableOneRefusesStartUp() {
        #expect(Settings(environment: [:]).databaseLimits.hostSchema == .standard)
        #expect(Settings(environment: ["TICKETSYNC_HOST_SCHEMA": "core"]).databaseLimits.hostSchema.name == "core")
        let bad = Settings(environment: ["TICKETSYNC_HOST_SCHEMA": String(repeating: "x", count: 64)])
        #expect(bad.errors.contains { $0.hasPrefix("TICKETSYNC_HOST_SCHEMA:") })
    }

    /// The authorization statement, which every org route runs, names each host table with the schema.
    @Test func theAuthorizationNamesTheHostTablesWithTheSchema() {
        for table in ["users", "org_memberships", "evidence_requests"] {
            #expect(AuthStore.principalSQL.contains("JOIN {host}.\(table) "))
            #expect(!AuthStore.principalSQL.contains("JOIN \(table) "))
        }
    }
}
