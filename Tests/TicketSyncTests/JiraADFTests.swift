import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

/// Atlassian Document Format as plain text, on the node samples of Atlassian's ADF reference
/// (developer.atlassian.com/cloud/jira/platform/apis/document/nodes/…).
struct JiraADFTests {
    static func text(_ json: String) throws -> String? { JiraADF.plainText(try JSONParser.parse(Array(json.utf8))) }

    static func doc(_ content: String) -> String { #"{"version":1,"type":"doc","content":[\#(content)]}"# }

    static func paragraph(_ text: String) -> String {
        #"{"type":"paragraph","content":[{"type":"text","text":"\#(text)"}]}"#
    }

    @Test func paragraphsAreLinesAndAHardBreakStartsOne() throws {
        let json = Self.doc(
            #"""
            {"type":"paragraph","content":[
              {"type":"text","text":"Hello "},{"type":"text","text":"world","marks":[{"type":"strong"}]}]},
            {"type":"paragraph"},
            {"type":"paragraph","content":[
              {"type":"text","text":"Line one"},{"type":"hardBreak"},{"type":"text","text":"Line two"}]}
            """#)
        #expect(try Self.text(json) == "Hello world\nLine one\nLine two")
    }

    @Test func inlineNodesBecomeTheirText() throws {
        let json = Self.doc(
            #"""
            {"type":"paragraph","content":[
              {"type":"mention","attrs":{"id":"ABCDE-ABCDE-ABCDE-ABCDE","text":"@Bradley Ayers","userType":"APP"}},
              {"type":"text","text":" "},
              {"type":"emoji","attrs":{"shortName":":grinning:","text":"😀"}},
              {"type":"emoji","attrs":{"shortName":":awthanks:","id":"atlassian-awthanks"}},
              {"type":"text","text":" due "},
              {"type":"date","attrs":{"timestamp":"1582152559000"}},
              {"type":"text","text":" "},
              {"type":"status","attrs":{
                "localId":"abcdef12-abcd-abcd-abcd-abcdef123456","text":"In Progress","color":"yellow"}},
              {"type":"text","text":" "},
              {"type":"inlineCard","attrs":{"url":"https://atlassian.com"}},
              {"type":"text","text":" "},
              {"type":"text","text":"Hello world","marks":[{"type":"link","attrs":{"href":"http://example.com"}}]}
            ]}
            """#)
        #expect(
            try Self.text(json)
                == "@Bradley Ayers 😀:awthanks: due 2020-02-19 In Progress https://atlassian.com"
                + " Hello world (http://example.com)"
        )
    }

    @Test func listsAreMarkedAndNested() throws {
        let item = { (text: String) in
            #"{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"\#(text)"}]}]}"#
        }
        let nested =
            #"{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"parent"}]},"#
            + #"{"type":"bulletList","content":[\#(item("child"))]}]}"#
        let json = Self.doc(
            #"{"type":"bulletList","content":[\#(item("Hello world")),\#(nested)]},"#
                + #"{"type":"orderedList","attrs":{"order":3},"content":[\#(item("third")),\#(item("fourth"))]}"#)
        #expect(try Self.text(json) == "- Hello world\n- parent\n  - child\n3. third\n4. fourth")
    }

    @Test func blocksKeepTheirShape() throws {
        let json = Self.doc(
            #"""
            {"type":"heading","attrs":{"level":1},"content":[{"type":"text","text":"Heading One"}]},
            {"type":"codeBlock","attrs":{"language":"javascript"},"content":[
              {"type":"text","text":"var foo = {};\nvar bar = [];"}]},
            {"type":"blockquote","content":[{"type":"paragraph","content":[{"type":"text","text":"Hello world"}]}]},
            {"type":"rule"},
            {"type":"panel","attrs":{"panelType":"info"},"content":[\#(Self.paragraph("Info"))]},
            {"type":"table","attrs":{"isNumberColumnEnabled":false,"layout":"center"},"content":[
              {"type":"tableRow","content":[
                {"type":"tableHeader","attrs":{},"content":[\#(Self.paragraph("Control"))]},
                {"type":"tableHeader","attrs":{},"content":[\#(Self.paragraph("Owner"))]}]},
              {"type":"tableRow","content":[
                {"type":"tableCell","attrs":{},"content":[\#(Self.paragraph("AC-2"))]},
                {"type":"tableCell","attrs":{},"content":[\#(Self.paragraph("IT"))]}]}]},
            {"type":"mediaSingle","attrs":{"layout":"center"},"content":[
              {"type":"media","attrs":{"id":"4478e39c-cf9b-41d1-ba92-68589487cd75","type":"file",
                "collection":"MediaServicesSample","alt":"moon.jpeg","width":225,"height":225}}]},
            {"type":"taskList","attrs":{"localId":"t"},"content":[
              {"type":"taskItem","attrs":{"localId":"a","state":"DONE"},"content":[
                {"type":"text","text":"Export users"}]},
              {"type":"taskItem","attrs":{"localId":"b","state":"TODO"},"content":[{"type":"text","text":"Review"}]}]},
            {"type":"expand","attrs":{"title":"Details"},"content":[\#(Self.paragraph("Inside"))]}
            """#)
        #expect(
            try Self.text(json)
                == """
                Heading One
                var foo = {};
                var bar = [];
                > Hello world
                ---
                Info
                Control | Owner
                AC-2 | IT
                [attachment: moon.jpeg]
                [x] Export users
                [ ] Review
                Details
                Inside
                """)
    }

    @Test func unknownNodesAreReadForTheirTextAndAStringIsNoDocument() throws {
        let json = Self.doc(
            #"{"type":"layoutSection","content":[{"type":"layoutColumn","attrs":{"width":50},"#
                + #""content":[\#(Self.paragraph("left"))]},"#
                + #"{"type":"futureBlock","content":[{"type":"text","text":"right"},{"type":"futureInline"}]}]}"#)
        #expect(try Self.text(json) == "left\nright")
        #expect(JiraADF.plainText(.string("already text")) == nil)
    }
}
