// The test support module (the recording outbound client) is visible in every file of this target.
@_exported import TicketSyncTestSupport
