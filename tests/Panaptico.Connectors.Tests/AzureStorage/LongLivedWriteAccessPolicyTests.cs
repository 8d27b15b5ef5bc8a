using Azure.Storage.Blobs.Models;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Patterns.Storage;
using Panaptico.Testing;

namespace Panaptico.Connectors.Tests.AzureStorage;

public class LongLivedWriteAccessPolicyTests
{
    [Fact]
    public async Task A_long_lived_write_policy_is_detected_revoked_verified_and_recreated_on_azurite()
    {
        var account = await AzuriteAccount.ConnectAsync();
        var name = TestStorage.UniqueName("sasold");
        var container = account.Client.GetBlobContainerClient(name);
        await container.CreateAsync(PublicAccessType.Blob);
        await container.SetAccessPolicyAsync(PublicAccessType.Blob,
        [
            Identifier("upload", "racwd", AzuriteAccount.Now.AddDays(400)),
            Identifier("reader", "rl", AzuriteAccount.Now.AddDays(400)),
            Identifier("nightly", "w", AzuriteAccount.Now.AddDays(30)),
        ]);
        var pattern = new LongLivedWriteAccessPolicy();

        var cycle = await account.RunCycleAsync(pattern, AssetId.BlobContainer(account.Connector.Account, name), name);

        Assert.Equal(["accessPolicy[upload]"], cycle.Finding.Evidence.Select(e => e.Field));
        Assert.Equal(["reader", "nightly"], ((ContainerState)cycle.Fixed).AccessPolicies.Select(p => p.Id));
        Assert.Equal(PublicAccessLevel.Blob, ((ContainerState)cycle.Fixed).PublicAccess);
        Assert.Equal(["upload", "reader", "nightly"], ((ContainerState)cycle.Restored).AccessPolicies.Select(p => p.Id));
        Assert.True(pattern.IsReversible);
    }

    private static BlobSignedIdentifier Identifier(string id, string permissions, DateTimeOffset expiry) => new()
    {
        Id = id,
        AccessPolicy = new BlobAccessPolicy { Permissions = permissions, PolicyStartsOn = AzuriteAccount.Now.AddDays(-1), PolicyExpiresOn = expiry },
    };
}
