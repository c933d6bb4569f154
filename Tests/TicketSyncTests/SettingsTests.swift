import Testing

@testable import TicketSync
@testable import TicketSyncPlatform

@Suite struct SettingsTests {
    @Test func defaultsToMockWithInboundClosed() {
        let settings = Settings(environment: [:])
        #expect(settings.provider == .mock)
        #expect(settings.missingKeys(for: .mock).isEmpty)
        #expect(!settings.inboundOpen)
        #expect(settings.maxBodyBytes == 1 << 20)
    }

    @Test func unknownProviderFallsBackToMock() {
        let settings = Settings(environment: ["TICKET_PROVIDER": "Trello"])
        #expect(settings.provider == .mock)
        #expect(settings.unknownProviderValue == "trello")
    }

    @Test func namesTheMissingKeysOfARealProvider() {
        let settings = Settings(environment: ["TICKET_PROVIDER": "jira", "JIRA_BASE_URL": "https://jira.example"])
        #expect(settings.provider == .jira)
        #expect(settings.missingKeys(for: .jira) == ["JIRA_API_TOKEN", "JIRA_PROJECT_KEY"])
        #expect(settings.missingKeys(for: .servicenow) == ["SERVICENOW_BASE_URL", "SERVICENOW_API_TOKEN"])
    }

    @Test func blankValuesCountAsMissing() {
        let settings = Settings(environment: ["TICKET_WEBHOOK_URL": "  ", "TICKET_WEBHOOK_SECRET": ""])
        #expect(settings.missingKeys(for: .webhook) == ["TICKET_WEBHOOK_URL", "TICKET_WEBHOOK_SECRET"])
    }

    @Test func webhookSecretsRotateOnCommas() {
        let settings = Settings(environment: ["TICKET_WEBHOOK_SECRET": "new, old ,"])
        #expect(settings.webhookSecrets == ["new", "old"])
        #expect(settings.inboundOpen)
    }

    @Test func badBodyCapFallsBackToDefault() {
        #expect(Settings(environment: ["TICKETSYNC_MAX_BODY": "-5"]).maxBodyBytes == 1 << 20)
        #expect(Settings(environment: ["TICKETSYNC_MAX_BODY": "4096"]).maxBodyBytes == 4096)
    }
}

@Suite struct HostedSettingsTests {
    @Test func allowedNetworksAndFallbackAreRead() {
        let settings = Settings(environment: [
            "TICKET_ALLOWED_TRACKER_NETWORKS": "10.0.0.0/8, ::1/128",
            "TICKET_ENV_FALLBACK": "off",
        ])
        #expect(settings.allowedTrackerNetworks.map(\.description) == ["10.0.0.0/8", "::1/128"])
        #expect(!settings.envFallback && settings.errors.isEmpty)
        #expect(Settings(environment: [:]).envFallback)
    }

    @Test func unusableValuesAreErrorsNotGuesses() {
        let settings = Settings(environment: [
            "TICKET_ALLOWED_TRACKER_NETWORKS": "10.0.0.0/8 intranet",
            "TICKET_ENV_FALLBACK": "maybe",
        ])
        #expect(
            settings.errors == [
                "TICKET_ALLOWED_TRACKER_NETWORKS: 'intranet' is not a network (CIDR)",
                "TICKET_ENV_FALLBACK: 'maybe' must be on or off",
            ])
    }

    @Test func inboundSignaturePolicyIsAnyOrStandard() {
        #expect(Settings(environment: [:]).inboundSignature == .any)
        #expect(Settings(environment: ["TICKET_WEBHOOK_INBOUND_SIGNATURE": "Standard"]).inboundSignature == .standard)
        #expect(
            Settings(environment: ["TICKET_WEBHOOK_INBOUND_SIGNATURE": "strict"]).errors == [
                "TICKET_WEBHOOK_INBOUND_SIGNATURE: must be any or standard"
            ])
    }
}

@Suite struct SecretSettingsTests {
    @Test(arguments: ["TICKET_WEBHOOK_SECRET", "JIRA_WEBHOOK_SECRET"])
    func aSecretOfOnlySeparatorsIsAnErrorNamingTheKey(key: String) {
        #expect(
            Settings(environment: [key: ","]).errors == [
                "\(key) holds no secret (only commas and spaces); set it or leave it unset"
            ])
        #expect(Settings(environment: [key: " , ,"]).errors.count == 1)
        #expect(Settings(environment: [key: "a,"]).errors.isEmpty)
    }

    @Test func timeoutsBecomeMillisecondsWithoutTrapping() {
        #expect(HTTPTimeouts.milliseconds(2.5) == 2500)
        #expect(HTTPTimeouts.milliseconds(.infinity) == 1 && HTTPTimeouts.milliseconds(1e300) == 86_400_000)
        #expect(HTTPTimeouts(connect: 1, total: 2.2).totalSeconds == 3)
    }
}

/// What the deployment default reads from the environment: only the settings a tracker names are checked; the others
/// are taken as set, and an unusable URL with a default keeps the default.
struct TrackerEnvironmentTests {
    @Test func onlyTheCheckedSettingsAreCheckedWhenRead() {
        let settings = Settings(environment: [
            "JIRA_BASE_URL": "https://jira.example", "JIRA_API_TOKEN": "t", "JIRA_PROJECT_KEY": "grc-1",
            "JIRA_EMAIL": "svc-account", "JIRA_DEPLOYMENT": "onprem",
        ])
        #expect(settings.missingKeys(for: .jira).isEmpty)
        #expect(settings.jira.projectKey == "grc-1" && settings.jira.email == "svc-account")
        #expect(settings.jira.deployment == nil)
        #expect(settings.warnings.count == 1 && settings.warnings.allSatisfy { $0.contains("JIRA_DEPLOYMENT") })
    }

    @Test func anUnusableURLKeepsItsDefaultOrCountsAsMissing() throws {
        let linear = try #require(ProviderKind(rawValue: "linear"))
        let settings = Settings(environment: [
            "LINEAR_BASE_URL": "ftp://nowhere", "LINEAR_API_KEY": "k",
            "LINEAR_TEAM_ID": "0f2c5a1e-8a3b-4c5d-9e6f-7a8b9c0d1e2f", "JIRA_BASE_URL": "ftp://jira",
        ])
        #expect(settings.trackerEnvironment["linear"]?["base_url"] == "https://api.linear.app")
        #expect(settings.missingKeys(for: linear).isEmpty)
        #expect(settings.warnings.contains { $0.contains("LINEAR_BASE_URL") })
        #expect(settings.missingKeys(for: .jira).first == "JIRA_BASE_URL")
    }
}
