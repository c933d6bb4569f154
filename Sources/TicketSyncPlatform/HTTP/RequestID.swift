/// The id of one request, from nginx (`TICKETSYNC_REQUEST_ID`, nginx's `$request_id`: 32 hex digits) or made here when
/// a request came without one. Returned as `X-Request-Id`, written on every log line of the request, and sent to
/// trackers on the calls the request makes.
public enum RequestID {
    /// What the responder accepts from nginx (the same pattern nginx applies to a trusted proxy's header).
    public static func isWellFormed(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
                    UInt8(ascii: "-"):
                    true
                default: false
                }
            }
    }

    /// 128 random bits in hex, like nginx's.
    public static func generate() -> String { Hex.encode(Crypto.randomBytes(16)) }
}
