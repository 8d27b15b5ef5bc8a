using Panaptico.Core.Evidence;

namespace Panaptico.Core.Tests.Evidence;

public class KeyringTests
{
    [Fact]
    public async Task Appending_the_same_key_version_twice_keeps_one_entry()
    {
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var key = await signer.CurrentKeyAsync(default);

        var ring = SampleEvidence.KeyringOf(key, key);

        Assert.Single(ring.Keys);
    }

    [Fact]
    public async Task A_different_public_key_under_an_archived_version_is_refused()
    {
        using var first = LocalEcdsaSigner.Generate("local/dev");
        using var second = LocalEcdsaSigner.Generate("local/dev");
        var key = await first.CurrentKeyAsync(default);
        var impostor = (await second.CurrentKeyAsync(default)) with { Version = key.Version };

        Assert.Throws<KeyringConflictException>(() => SampleEvidence.KeyringOf(key, impostor));
    }

    [Fact]
    public async Task A_keyring_round_trips_through_its_json()
    {
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var ring = SampleEvidence.KeyringOf(await signer.CurrentKeyAsync(default));

        var parsed = Keyring.Parse(ring.ToJson());

        Assert.Equal(ring.Keys, parsed.Keys);
        Assert.Contains("\"publicKeyPem\":\"-----BEGIN PUBLIC KEY-----", ring.ToJson(), StringComparison.Ordinal);
    }
}
