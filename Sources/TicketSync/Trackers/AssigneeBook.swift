import Foundation

/// One connection's tracker accounts found by e-mail (`settings.assignee = creator`), remembered for a while so
/// every create does not ask the tracker again: an account found for an hour, "nobody has it" for ten minutes
/// (someone may be invited meanwhile). Kept per process in the registry's `TrackerCache`, keyed by connection and
/// version, so an edited connection asks afresh and one org's answers never serve another's.
final class AssigneeBook: @unchecked Sendable {
    static let foundSeconds: Double = 3600
    static let notFoundSeconds: Double = 600
    static let capacity = 500

    private let lock = NSLock()
    private var answers: [String: (lookup: AccountLookup, until: Date)] = [:]

    /// The remembered answer for `email`, or `ask`'s (remembered unless it throws).
    func account(email: String, now: Date = Date(), ask: () throws -> AccountLookup) throws -> AccountLookup {
        let key = email.lowercased()
        if let known = lock.withLock({ answers[key] }), known.until > now { return known.lookup }
        let lookup = try ask()
        let until = now.addingTimeInterval(lookup == .notFound ? Self.notFoundSeconds : Self.foundSeconds)
        lock.withLock {
            if answers.count >= Self.capacity { answers = answers.filter { $0.value.until > now } }
            if answers.count >= Self.capacity { answers.removeAll() }
            answers[key] = (lookup, until)
        }
        return lookup
    }
}
