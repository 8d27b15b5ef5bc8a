using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;

namespace Panaptico.Functions.Tests.Audit;

public sealed class CheckpointKeyTests
{
    [Fact]
    public async Task A_configured_checkpoint_key_signs_checkpoints_and_is_the_one_published()
    {
        var configured = EcdsaCheckpointSigner.Generate("audit.example/ledger");
        await using var app = await TestFunctionApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Ledger:CheckpointKeyPem"] = configured.ExportPrivateKeyPem(),
            ["Ledger:Origin"] = "audit.example/ledger",
        });
        var auditor = app.CreateClient(app.Issuer.Issue("u-ines", "ines", [Role.Auditor]));

        var published = await auditor.GetStringAsync("/api/ledger/key");
        var checkpoint = SignedCheckpoint.Parse(await auditor.GetStringAsync("/api/ledger/checkpoint"));

        Assert.Equal(configured.PublicKey.ToVerifierKey(), published.Trim());
        Assert.True(checkpoint.IsSignedBy(configured.PublicKey));
        Assert.Equal("audit.example/ledger", checkpoint.Checkpoint.Origin);
    }
}
