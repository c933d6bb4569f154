import Foundation
import TicketSyncPlatform

/// Test-only fail points: `TICKETSYNC_FAILPOINT=<name>` makes the process die (SIGKILL) at that point, to prove
/// what survives a crash there. Compiled into debug builds only: a release build has no way to enable one.
enum FailPoint {
    #if DEBUG
        static let armed = ProcessInfo.processInfo.environment["TICKETSYNC_FAILPOINT"]
    #endif

    static func hit(_ name: String) {
        #if DEBUG
            if armed == name {
                ServerLog.warning("fail point \(name): killing this process")
                kill(getpid(), SIGKILL)
            }
        #endif
    }
}
