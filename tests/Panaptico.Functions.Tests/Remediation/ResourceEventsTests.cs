using Panaptico.Functions.Remediation;

namespace Panaptico.Functions.Tests.Remediation;

public class ResourceEventsTests
{
    private const string Account = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmeprod";

    [Theory]
    [InlineData("/subscriptions/0000/resourceGroups/rg", Account + "/blobServices/default/containers/customer-exports", "azure-blob://acmeprod/customer-exports")]
    [InlineData(Account, "/blobServices/default/containers/customer-exports/blobs/2026/04/export.csv", "azure-blob://acmeprod/customer-exports")]
    [InlineData("/subscriptions/0000/resourceGroups/rg", Account + "/blobServices/default", "azure-blob://acmeprod")]
    [InlineData(Account, "", "azure-blob://acmeprod")]
    public void An_event_names_the_asset_its_resource_write_or_blob_event_is_about(string topic, string subject, string asset) =>
        Assert.Equal(asset, ResourceEventsFunction.AssetOf(topic, subject)?.ToString());

    [Theory]
    [InlineData("/subscriptions/0000/resourceGroups/rg", "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv")]
    [InlineData("/subscriptions/0000/resourceGroups/rg", Account + "/blobServices/default/containers/Not_A_Container")]
    public void An_event_about_anything_else_names_no_asset(string topic, string subject) =>
        Assert.Null(ResourceEventsFunction.AssetOf(topic, subject));
}
