import TicketSyncPlatform

/// Who acted: a user through a token, a tracker connection (inbound), the service itself, or the command line.
public struct AuditActor: Sendable {
    public let kind: String
    public let userID: UserID?
    public let tokenID: TokenID?
    public let connectionID: ConnectionID?

    public static func user(_ principal: Principal) -> AuditActor {
        AuditActor(
            kind: "user", userID: principal.userID,
            tokenID: principal.tokenID.rawValue.isEmpty ? nil : principal.tokenID,
            connectionID: nil)
    }
    /// An inbound event, authorised by this connection's signature (nil: the deployment default's).
    public static func connection(_ id: ConnectionID?) -> AuditActor {
        AuditActor(kind: "connection", userID: nil, tokenID: nil, connectionID: id)
    }
    public static let system = AuditActor(kind: "system", userID: nil, tokenID: nil, connectionID: nil)
    public static let commandLine = AuditActor(kind: "cli", userID: nil, tokenID: nil, connectionID: nil)
}

/// One audit row, as a statement to run in the transaction (or pipeline) of the action it records.
public struct AuditEvent {
    public var org: OrgID?
    public var action: String
    public var actor: AuditActor
    public var evidenceRequestID: EvidenceRequestID? = nil
    public var linkID: TicketLinkID? = nil
    public var connectionID: ConnectionID? = nil
    /// The comment's id, or nil; `commentJustInserted` takes the id the session's last comment insert got.
    public var commentID: Int? = nil
    public var commentJustInserted = false
    /// Redacted: names, states and ids, never a secret or a token.
    public var detail: [String: JSONValue] = [:]

    public init(org: OrgID?, action: String, actor: AuditActor) {
        self.org = org
        self.action = action
        self.actor = actor
    }

    /// An action on a link: its org, evidence request, id and connection.
    public init(_ action: String, link: TicketLink, actor: AuditActor, detail: [String: JSONValue] = [:]) {
        self.init(org: link.orgID, action: action, actor: actor)
        evidenceRequestID = link.evidenceRequestID
        linkID = link.id
        connectionID = link.connectionID
        self.detail = detail
    }

    public var statement: PGStatement {
        PGStatement(
            """
            INSERT INTO ticket_sync.audit_events (org_id, action, actor_kind, actor_user_id, actor_token_id,
                actor_connection_id, evidence_request_id, link_id, connection_id, comment_id, request_id, detail)
            VALUES ($1::uuid, $2, $3, $4::uuid, $5::uuid, $6::uuid, $7::uuid, $8::uuid, $9::uuid,
                    CASE WHEN $10::boolean THEN currval('ticket_sync.comments_id_seq') ELSE $11::bigint END,
                    $12, $13::jsonb)
            """,
            [
                org?.rawValue, action, actor.kind, actor.userID?.rawValue, actor.tokenID?.rawValue,
                actor.connectionID?.rawValue,
                evidenceRequestID?.rawValue, linkID?.rawValue, connectionID?.rawValue,
                commentJustInserted ? "true" : "false", commentID.map(String.init),
                ServerLog.requestID, JSONValue.object(detail).text,
            ])
    }
}
