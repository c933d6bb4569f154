/// `--expires-in` of `ticketsync token create`: a whole number and a unit — `s`, `m`, `h`, `d` or `w` (`90d`, `12h`).
public enum TokenLifetime {
    /// At most ten years: anything longer is a typo, not a policy.
    public static let maxSeconds = 10 * 366 * 86_400

    /// Seconds, or nil for anything else (no unit, zero, negative, too long).
    public static func seconds(_ text: String) -> Int? {
        guard let unit = text.last, let count = Int(text.dropLast()), count > 0 else { return nil }
        let scale: Int
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86_400
        case "w": scale = 7 * 86_400
        default: return nil
        }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: scale)
        guard !overflow, seconds <= maxSeconds else { return nil }
        return seconds
    }
}
