using System.Text;
using Panaptico.Core.Canonical;
using Panaptico.Core.Evidence;

namespace Panaptico.Core.Tests.Evidence;

/// <summary>A task with two artifacts, one approval, one gate and one upstream seal, as the sealing feature would send it.</summary>
internal static class SampleEvidence
{
    public static readonly DateTimeOffset Start = new(2026, 4, 18, 9, 30, 0, TimeSpan.Zero);

    public static Dictionary<string, byte[]> Artifacts() => new()
    {
        ["kms-pre-post.jsonl"] = Encoding.UTF8.GetBytes("{\"key\":\"cmk-01\",\"rotation\":true}\n{\"key\":\"cmk-02\",\"rotation\":true}\n"),
        ["cloudtrail-rotatekey.ndjson"] = Encoding.UTF8.GetBytes("{\"event\":\"RotateKey\",\"key\":\"cmk-01\"}\n"),
    };

    public static SealRequest Request(IReadOnlyDictionary<string, byte[]> artifacts) => new(
        new BundleSubject(BundleSubject.Task, "TASK-0412"),
        [.. artifacts.Select(a => new ManifestArtifact(
            Requirement: "rotation-evidence",
            Name: a.Key,
            Sha256: ContentHash.Sha256Hex(a.Value),
            Size: a.Value.Length,
            MediaType: "application/x-ndjson",
            CapturedBy: "m.alvarez",
            CapturedAt: Start.AddMinutes(5)))],
        [new ManifestApproval("security", "j.chen", Start.AddMinutes(20), "approved", "window agreed", "owner of finance CMKs", ContentHash.Sha256Hex("context"u8))],
        [new ManifestGate("evidence-complete", Start.AddMinutes(21))],
        [new UpstreamSeal(new BundleSubject(BundleSubject.Task, "TASK-0411"), ContentHash.Sha256Hex("upstream"u8))]);

    public static ArtifactOpener Opener(IReadOnlyDictionary<string, byte[]> artifacts) => (sha256, _) =>
    {
        var bytes = artifacts.Values.FirstOrDefault(b => ContentHash.Sha256Hex(b) == sha256);
        return ValueTask.FromResult<Stream?>(bytes is null ? null : new MemoryStream(bytes, writable: false));
    };

    public static Keyring KeyringOf(params SigningKey[] keys) =>
        keys.Aggregate(Keyring.Empty, (ring, k) => ring.Append(new KeyringEntry(k.KeyId, k.Version, k.PublicKeyPem, Start)));
}
