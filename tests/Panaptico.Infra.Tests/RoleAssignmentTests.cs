using Panaptico.Infra.Tests.Support;

namespace Panaptico.Infra.Tests;

/// <summary>Every role the Bicep grants is one the code needs, for the reason written here (and in README.md).</summary>
public sealed class RoleAssignmentTests
{
    private const string FunctionApp = "Microsoft.Web/sites";
    private const string EventGridTopic = "Microsoft.EventGrid/systemTopics";

    /// <summary>(built-in role id, who receives it, on what) and why the code needs it.</summary>
    public static readonly IReadOnlyList<NeededRole> Needed =
    [
        new("b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "Storage Blob Data Owner", FunctionApp, "Microsoft.Storage/storageAccounts",
            "AzureWebJobsStorage by identity (the Functions host documents Owner): host keys, timer and singleton leases; the Durable " +
            "task hub's partition leases and large messages; the Flex deployment package; evidence, rollback-vault and bundle blobs; " +
            "Set Container ACL for the public-access fix (an Owner-only action)"),
        new("974c5e8b-45b9-4653-ba55-5f855dd0fb88", "Storage Queue Data Contributor", FunctionApp, "Microsoft.Storage/storageAccounts",
            "the Durable task hub's control and work-item queues; queue triggers and their poison queues"),
        new("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "Storage Table Data Contributor", FunctionApp, "Microsoft.Storage/storageAccounts",
            "the Durable task hub's history and instances tables; the ledger, keyring, task, change and outbox tables"),
        new("12338af0-0e69-4776-bea7-57ae8d297424", "Key Vault Crypto User", FunctionApp, "Microsoft.KeyVault/vaults/keys",
            "KeyVaultBundleSigner: sign on the bundle-signing key, and get-key for each version's public key in the keyring"),
        new("4633458b-17de-408a-b874-0445c86b69e6", "Key Vault Secrets User", FunctionApp, "Microsoft.KeyVault/vaults",
            "the platform resolves the Ledger__CheckpointKeyPem Key Vault reference with the app's identity"),
        new("3913510d-42f4-4e42-8a64-420c390055eb", "Monitoring Metrics Publisher", FunctionApp, "Microsoft.Insights/components",
            "telemetry with Entra ID (APPLICATIONINSIGHTS_AUTHENTICATION_STRING); the component takes no key"),
        new("d5a91429-5739-47e2-a06b-3470a27159e7", "EventGrid Data Sender", FunctionApp, "Microsoft.EventGrid/topics",
            "DriftEventPublisher publishes every drift and classification as a CloudEvent to the drift topic (local auth is off)"),
        new("ba92f5b4-2d11-453d-a403-e96b0029c9fe", "Storage Blob Data Contributor", EventGridTopic, "Microsoft.Storage/storageAccounts/blobServices/containers",
            "Event Grid dead-letters undeliverable events to the eventgrid-deadletter container (the account takes no keys)"),
    ];

    [Fact]
    public void Every_role_assignment_is_one_the_code_needs()
    {
        var assignments = CompiledTemplate.MainBicep.RoleAssignments();
        Assert.NotEmpty(assignments);

        var unexpected = assignments.Where(a => !Needed.Any(n => n.Grants(a)))
            .Select(a => $"{a.RoleId} to {a.PrincipalType} on {a.ScopeType} ({a.Module}): \"{a.Description}\"")
            .ToList();
        Assert.True(unexpected.Count == 0,
            "Role assignments no code needs (remove them, or add them to RoleAssignmentTests.Needed and README.md with the reason):\n" +
            string.Join('\n', unexpected));

        var unexplained = assignments.Where(a => a.Description.Trim().Length == 0).Select(a => $"{a.RoleId} ({a.Module})").ToList();
        Assert.True(unexplained.Count == 0, "Role assignments without a description saying why:\n" + string.Join('\n', unexplained));
    }

    [Fact]
    public void Every_role_the_code_needs_is_assigned()
    {
        var assignments = CompiledTemplate.MainBicep.RoleAssignments();

        var missing = Needed.Where(n => !assignments.Any(n.Grants)).Select(n => $"{n.Name} to {n.PrincipalType} on {n.ScopeType}: {n.Reason}").ToList();

        Assert.True(missing.Count == 0, "Roles the code needs that the Bicep does not grant:\n" + string.Join('\n', missing));
    }
}

public sealed record NeededRole(string RoleId, string Name, string PrincipalType, string ScopeType, string Reason)
{
    public bool Grants(BicepRoleAssignment assignment) =>
        string.Equals(RoleId, assignment.RoleId, StringComparison.OrdinalIgnoreCase)
        && string.Equals(PrincipalType, assignment.PrincipalType, StringComparison.OrdinalIgnoreCase)
        && string.Equals(ScopeType, assignment.ScopeType, StringComparison.OrdinalIgnoreCase);
}
