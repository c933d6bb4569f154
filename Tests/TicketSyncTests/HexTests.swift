import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite struct HexTests {
    @Test func roundTrip() {
        let bytes: [UInt8] = [0, 1, 0x7f, 0x80, 0xff]
        #expect(Hex.encode(bytes) == "00017f80ff")
        #expect(Hex.decode("00017F80ff") == bytes)
    }

    @Test func rejectsOddLengthAndNonHex() {
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
