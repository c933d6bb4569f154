import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite struct InboundEventTests {
    func decode(_ text: String) throws -> InboundEvent { try InboundEvent.decode(JSONParser.parse(Array(text.utf8))) }

    func field(of text: String) -> String? {
        do {
            _ = try decode(text)
            return nil
        } catch let error as APIError {
            #expect(error.status == 422)
            return error.problem.extensions["field"]?.stringValue
        } catch { return "unexpected \(error)" }
    }

    @Test func decodesTheDocumentedPayload() throws {
        let event = try decode(
            #"{"external_id":"mock-TCK-1","comment":{"external_comment_id":"ext-42","author":"Jane (ext)","body":"Attached."},"status":"submitted"}"#
        )
        #expect(
            event
                == InboundEvent(
                    externalID: "mock-TCK-1",
                    comment: .init(externalCommentID: "ext-42", author: "Jane (ext)", body: "Attached."),
                    status: "submitted"))
    }

    @Test func commentAndStatusAreOptional() throws {
        #expect(
            try decode(#"{"external_id":"X-1","comment":null,"status":null,"extra":1}"#)
                == InboundEvent(externalID: "X-1", comment: nil, status: nil))
    }

    @Test func namesTheFieldThatIsWrong() {
        #expect(field(of: "{}") == "external_id")
        #expect(field(of: #"{"external_id":7}"#) == "external_id")
        #expect(field(of: #"{"external_id":"x","comment":[]}"#) == "comment")
        #expect(field(of: #"{"external_id":"x","comment":{"author":"a","body":"b"}}"#) == "comment.external_comment_id")
        #expect(field(of: #"{"external_id":"x","comment":{"external_comment_id":"e","body":"b"}}"#) == "comment.author")
        #expect(
            field(of: #"{"external_id":"x","comment":{"external_comment_id":"e","author":"a","body":""}}"#)
                == "comment.body")
        #expect(field(of: #"{"external_id":"x","status":"closed"}"#) == "status")
        #expect(field(of: "[]") == "")
    }
}
