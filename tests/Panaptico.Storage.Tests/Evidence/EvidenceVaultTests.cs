using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Evidence;
using Panaptico.Storage.Evidence;

namespace Panaptico.Storage.Tests.Evidence;

public class EvidenceVaultTests
{
    private static readonly ArtifactCapture Capture = new("rotation-evidence", "kms-pre-post.jsonl", "application/x-ndjson", "m.alvarez");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 4, 18, 9, 30, 0, TimeSpan.Zero));

    [Fact]
    public async Task An_upload_is_streamed_in_blocks_and_stored_under_its_sha256_with_its_capture()
    {
        var (vault, container) = await VaultAsync();
        var content = RandomNumberGenerator.GetBytes(5000);

        var stored = await vault.PutAsync(new OneWayStream(content), Capture, claimedSha256: null, default);

        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        Assert.Equal(new StoredArtifact(sha256, 5000, Capture, _time.GetUtcNow(), AlreadyStored: false), stored);
        Assert.Equal([$"sha256/{sha256}"], await EvidenceStorage.AllBlobsAsync(container));
        await using var read = await vault.OpenAsync(sha256, default);
        using var copy = new MemoryStream();
        await read!.CopyToAsync(copy);
        Assert.Equal(content, copy.ToArray());
        Assert.Equal(stored with { AlreadyStored = true }, await vault.GetAsync(sha256, default));
    }

    [Fact]
    public async Task The_same_bytes_uploaded_twice_are_recognised_and_stored_once()
    {
        var (vault, container) = await VaultAsync();
        var content = RandomNumberGenerator.GetBytes(3000);

        var first = await vault.PutAsync(new OneWayStream(content), Capture, null, default);
        _time.Advance(TimeSpan.FromHours(1));
        var second = await vault.PutAsync(new OneWayStream(content), Capture with { CapturedBy = "j.chen" }, null, default);

        Assert.False(first.AlreadyStored);
        Assert.True(second.AlreadyStored);
        Assert.Equal(first.Sha256, second.Sha256);
        Assert.Equal([$"sha256/{first.Sha256}"], await EvidenceStorage.AllBlobsAsync(container));
        Assert.Equal("m.alvarez", (await vault.GetAsync(first.Sha256, default))!.Capture.CapturedBy); // never overwritten
    }

    [Fact]
    public async Task Concurrent_uploads_of_the_same_bytes_create_the_blob_once_and_never_overwrite_it()
    {
        var (vault, container) = await VaultAsync();
        var content = RandomNumberGenerator.GetBytes(2500);

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            Task.Run(() => vault.PutAsync(new OneWayStream(content), Capture with { CapturedBy = $"writer-{i}" }, null, default))));

        var created = Assert.Single(results, r => !r.AlreadyStored);
        Assert.Equal([$"sha256/{created.Sha256}"], await EvidenceStorage.AllBlobsAsync(container));
        Assert.Equal(created.Capture.CapturedBy, (await vault.GetAsync(created.Sha256, default))!.Capture.CapturedBy);
    }

    [Fact]
    public async Task An_empty_upload_is_refused_and_nothing_is_stored()
    {
        var (vault, container) = await VaultAsync();

        var error = await Assert.ThrowsAsync<EmptyArtifactException>(() => vault.PutAsync(new OneWayStream([]), Capture, null, default));

        Assert.Equal(400, error.StatusCode);
        Assert.Empty(await EvidenceStorage.AllBlobsAsync(container));
    }

    [Fact]
    public async Task An_upload_over_the_size_limit_is_refused_with_413_after_staging_and_nothing_is_left_behind()
    {
        var (vault, container) = await VaultAsync(maxBytes: 4096);

        var error = await Assert.ThrowsAsync<ArtifactTooLargeException>(
            () => vault.PutAsync(new OneWayStream(new byte[10_000]), Capture, null, default));

        Assert.Equal(413, error.StatusCode);
        Assert.Empty(await EvidenceStorage.AllBlobsAsync(container));
    }

    [Fact]
    public async Task An_upload_of_known_length_over_the_limit_is_refused_before_anything_is_sent()
    {
        var (vault, container) = await VaultAsync(maxBytes: 4096);

        await Assert.ThrowsAsync<ArtifactTooLargeException>(() => vault.PutAsync(new MemoryStream(new byte[4097]), Capture, null, default));

        Assert.Empty(await EvidenceStorage.AllBlobsAsync(container));
    }

    [Fact]
    public async Task An_upload_whose_bytes_differ_from_the_claimed_hash_is_refused_and_nothing_is_stored()
    {
        var (vault, container) = await VaultAsync();
        var content = RandomNumberGenerator.GetBytes(2500);
        var claimed = Convert.ToHexStringLower(SHA256.HashData("something else"u8));

        var error = await Assert.ThrowsAsync<ArtifactHashMismatchException>(
            () => vault.PutAsync(new OneWayStream(content), Capture, claimed, default));

        Assert.Equal(claimed, error.ClaimedSha256);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), error.ActualSha256);
        Assert.Empty(await EvidenceStorage.AllBlobsAsync(container));
    }

    [Fact]
    public async Task An_upload_matching_the_claimed_hash_is_stored()
    {
        var (vault, _) = await VaultAsync();
        var content = RandomNumberGenerator.GetBytes(100);
        var claimed = Convert.ToHexStringLower(SHA256.HashData(content));

        var stored = await vault.PutAsync(new MemoryStream(content), Capture, claimed, default);

        Assert.Equal(claimed, stored.Sha256);
    }

    [Fact]
    public async Task A_claimed_hash_that_is_not_a_sha256_is_refused_before_reading()
    {
        var (vault, container) = await VaultAsync();

        await Assert.ThrowsAsync<MalformedArtifactHashException>(() => vault.PutAsync(new MemoryStream([1]), Capture, "ABC", default));

        Assert.Empty(await EvidenceStorage.AllBlobsAsync(container));
    }

    [Fact]
    public async Task Opening_an_unknown_hash_finds_nothing()
    {
        var (vault, _) = await VaultAsync();

        Assert.Null(await vault.OpenAsync(new string('a', 64), default));
        Assert.Null(await vault.GetAsync("../etc/passwd", default));
    }

    private async Task<(EvidenceVault Vault, Azure.Storage.Blobs.BlobContainerClient Container)> VaultAsync(long maxBytes = 1 << 20)
    {
        var container = await EvidenceStorage.ContainerAsync("evidence");
        return (new EvidenceVault(container, new EvidenceVaultOptions { MaxArtifactBytes = maxBytes, BlockSize = 1024 }, _time), container);
    }
}
