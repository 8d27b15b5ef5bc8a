using Azure.Storage.Blobs.Models;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Patterns.Storage;
using Panaptico.Testing;

namespace Panaptico.Connectors.Tests.AzureStorage;

public class PublicContainerAccessTests
{
    [Fact]
    public async Task A_public_production_container_is_detected_fixed_verified_and_reverted_on_azurite()
    {
        var account = await AzuriteAccount.ConnectAsync();
        var name = TestStorage.UniqueName("pubprod");
        await account.Client.GetBlobContainerClient(name).CreateAsync(
            PublicAccessType.Blob, new Dictionary<string, string> { ["env"] = "prod", ["team"] = "platform-security" });
        var pattern = new PublicContainerAccess();

        var cycle = await account.RunCycleAsync(pattern, AssetId.BlobContainer(account.Connector.Account, name), name);

        Assert.Equal(PublicAccessLevel.Blob, ((ContainerState)cycle.Backup).PublicAccess);
        Assert.Equal(PublicAccessLevel.None, ((ContainerState)cycle.Fixed).PublicAccess);
        Assert.Equal(PublicAccessLevel.Blob, ((ContainerState)cycle.Restored).PublicAccess);
        Assert.True(pattern.IsReversible);
    }

    [Fact]
    public async Task Removing_public_access_keeps_the_containers_stored_access_policies()
    {
        var account = await AzuriteAccount.ConnectAsync();
        var name = TestStorage.UniqueName("pubkeep");
        var container = account.Client.GetBlobContainerClient(name);
        await container.CreateAsync(PublicAccessType.BlobContainer, new Dictionary<string, string> { ["env"] = "prod" });
        await container.SetAccessPolicyAsync(PublicAccessType.BlobContainer,
            [new BlobSignedIdentifier { Id = "reader", AccessPolicy = new BlobAccessPolicy { Permissions = "rl", PolicyExpiresOn = AzuriteAccount.Now.AddDays(10) } }]);
        var asset = AssetId.BlobContainer(account.Connector.Account, name);

        await account.Connector.ExecuteAsync(new SetContainerPublicAccess(asset, PublicAccessLevel.None), CancellationToken.None);

        var acl = (await container.GetAccessPolicyAsync()).Value;
        Assert.Equal(PublicAccessType.None, acl.BlobPublicAccess);
        Assert.Equal("reader", Assert.Single(acl.SignedIdentifiers).Id);
    }

    [Fact]
    public async Task A_scan_reads_metadata_and_a_private_container_raises_nothing()
    {
        var account = await AzuriteAccount.ConnectAsync();
        var name = TestStorage.UniqueName("pubnone");
        await account.Client.GetBlobContainerClient(name).CreateAsync(PublicAccessType.None, new Dictionary<string, string> { ["env"] = "prod" });

        var scan = await account.Connector.ReadAccountAsync(name, CancellationToken.None);

        var container = Assert.Single(Assert.IsType<StorageAccountState>(scan).Containers);
        Assert.Equal("prod", container.Metadata["env"]);
        Assert.Equal(AzuriteAccount.Now, scan.ReadAt);
        Assert.Empty(new PublicContainerAccess().Detect(scan));
    }

    [Fact]
    public async Task Operations_for_another_account_are_refused()
    {
        var account = await AzuriteAccount.ConnectAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => account.Connector.ExecuteAsync(
            new SetContainerPublicAccess(AssetId.BlobContainer("someoneelse", "data"), PublicAccessLevel.None), CancellationToken.None));
    }
}
