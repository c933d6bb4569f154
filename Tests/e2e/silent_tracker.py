"""A 'tracker' on 127.0.0.1 that accepts every connection and never answers: what a hanging tracker looks like to
the service (the bulkheads, the caps and the timeouts are tested against it)."""
import socket
import threading


class SilentTracker:
    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(512)
        self.port = self.listener.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.held, self.running = [], True
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while self.running:
            try:
                connection, _ = self.listener.accept()
                self.held.append(connection)
            except OSError:
                return

    def stop(self):
        self.running = False
        self.listener.close()
        for connection in self.held:
            connection.close()
