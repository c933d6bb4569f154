import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite struct CommentValidationTests {
    @Test func acceptsAnOrdinaryBody() throws {
        #expect(try CommentRoutes.validatedBody(["body": .string("Uploaded.")]) == "Uploaded.")
    }

    @Test func acceptsExactlyTheLimit() throws {
        let text = String(repeating: "é", count: Comment.maxBodyLength)
        #expect(try CommentRoutes.validatedBody(["body": .string(text)]) == text)
    }

    @Test(
        arguments: [
            [:], ["body": JSONValue.null], ["body": .number(5)], ["body": .string("   \n ")],
            ["body": .string(String(repeating: "a", count: Comment.maxBodyLength + 1))], ["body": .string("a\u{0}b")],
        ] as [[String: JSONValue]])
    func rejectsWith422NamingTheField(_ members: [String: JSONValue]) {
        do {
            _ = try CommentRoutes.validatedBody(members)
            Issue.record("accepted \(members)")
        } catch let error as APIError {
            #expect(error.status == 422)
            #expect(error.problem.extensions["field"] == .string("body"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
