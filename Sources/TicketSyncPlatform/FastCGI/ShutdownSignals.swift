import Foundation

/// SIGTERM and SIGINT, blocked in every thread and awaited by the main thread.
/// Call `block()` before starting any thread, so that no worker ever receives them.
public enum ShutdownSignals {
    private static func set() -> sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        return signals
    }

    public static func block() {
        var signals = set()
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Waits for SIGTERM or SIGINT and returns its number.
    @discardableResult
    public static func wait() -> Int32 {
        var signals = set()
        var received: Int32 = 0
        sigwait(&signals, &received)
        return received
    }
}
