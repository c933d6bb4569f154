extension PGTimestamp {
    /// Whether `text` is a time as the API writes it — `2026-01-02T03:04:05.123456Z`, 27 bytes — and a real one:
    /// year 0001-9999, month 1-12, a day the month has (leap years counted), hour 0-23, minute and second 0-59, six
    /// fraction digits. A cursor carries such a time back to a `::timestamptz` parameter; checked here, a forged one
    /// is the caller's 400 instead of the server's refusal at bind time (a 500).
    public static func isAPIText(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 27 else { return false }
        for (index, byte) in bytes.enumerated() {
            let expected: UInt8? =
                switch index {
                case 4, 7: UInt8(ascii: "-")
                case 10: UInt8(ascii: "T")
                case 13, 16: UInt8(ascii: ":")
                case 19: UInt8(ascii: ".")
                case 26: UInt8(ascii: "Z")
                default: nil
                }
            if let expected {
                guard byte == expected else { return false }
            } else {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return false }
            }
        }
        func number(_ range: Range<Int>) -> Int {
            bytes[range].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        let year = number(0..<4)
        let month = number(5..<7)
        let day = number(8..<10)
        guard year >= 1, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else {
            return false
        }
        return number(11..<13) <= 23 && number(14..<16) <= 59 && number(17..<19) <= 59
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
