using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Panaptico.Functions.Tests.Audit;

public sealed class EvidenceEndpointsTests(AuditApp app) : IClassFixture<AuditApp>
{
    [Fact]
    public async Task An_artifact_put_in_the_vault_downloads_byte_identical_with_its_hash_in_the_headers()
    {
        var content = AuditApp.RandomBytes(300_000);
        var stored = await app.PutArtifactAsync(content, "cloudtrail.ndjson", "application/x-ndjson");

        var response = await app.Auditor.GetAsync($"/api/evidence/{stored.Sha256}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"\"{stored.Sha256}\"", response.Headers.ETag?.Tag);
        var digest = Convert.ToBase64String(SHA256.HashData(content));
        Assert.Equal($"sha-256={digest}", Assert.Single(response.Headers.GetValues("Digest")));
        Assert.Equal($"sha-256=:{digest}:", Assert.Single(response.Headers.GetValues("Repr-Digest")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("cloudtrail.ndjson", response.Content.Headers.ContentDisposition?.FileName);
    }

    [Fact]
    public async Task A_client_holding_the_etag_gets_304_and_a_range_gets_just_those_bytes()
    {
        var content = AuditApp.RandomBytes(10_000);
        var stored = await app.PutArtifactAsync(content, "snapshot.bin", "application/octet-stream");
        var client = app.Auditor;

        var conditional = new HttpRequestMessage(HttpMethod.Get, $"/api/evidence/{stored.Sha256}");
        conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{stored.Sha256}\""));
        var notModified = await client.SendAsync(conditional);
        var ranged = new HttpRequestMessage(HttpMethod.Get, $"/api/evidence/{stored.Sha256}");
        ranged.Headers.Range = new RangeHeaderValue(1000, 1999);
        var partial = await client.SendAsync(ranged);

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(content[1000..2000], await partial.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_uppercase_hash_names_the_same_artifact()
    {
        var content = AuditApp.RandomBytes(64);
        var stored = await app.PutArtifactAsync(content, "upper.bin");

        var response = await app.Auditor.GetAsync($"/api/evidence/{stored.Sha256.ToUpperInvariant()}");

        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task The_metadata_is_the_artifacts_capture()
    {
        var stored = await app.PutArtifactAsync(AuditApp.RandomBytes(1234), "kms-keys.json", "application/json", "kms-snapshot");

        var meta = await app.Auditor.GetFromJsonAsync<JsonObject>($"/api/evidence/{stored.Sha256}/meta");

        Assert.Equal(stored.Sha256, meta!["sha256"]!.GetValue<string>());
        Assert.Equal(1234, meta["size"]!.GetValue<long>());
        Assert.Equal("kms-snapshot", meta["requirement"]!.GetValue<string>());
        Assert.Equal("kms-keys.json", meta["name"]!.GetValue<string>());
        Assert.Equal("application/json", meta["mediaType"]!.GetValue<string>());
        Assert.Equal("u-dana", meta["capturedBy"]!.GetValue<string>());
        Assert.Equal(stored.CapturedAt.UtcDateTime, DateTimeOffset.Parse(meta["capturedAt"]!.GetValue<string>()).UtcDateTime);
        Assert.Equal($"/api/evidence/{stored.Sha256}", meta["href"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/api/evidence/{0}")]
    [InlineData("/api/evidence/{0}/meta")]
    public async Task An_unknown_hash_is_404_with_a_problem(string route)
    {
        var unknown = Convert.ToHexStringLower(AuditApp.RandomBytes(32));

        var response = await app.Auditor.GetAsync(string.Format(route, unknown));

        await AuditApp.AssertProblemAsync(response, HttpStatusCode.NotFound, $"no artifact {unknown}");
    }

    [Theory]
    [InlineData("/api/evidence/not-a-hash")]
    [InlineData("/api/evidence/abc123")]
    [InlineData("/api/evidence/zz00000000000000000000000000000000000000000000000000000000000000/meta")]
    public async Task A_malformed_hash_is_400_with_a_problem(string route)
    {
        var response = await app.Auditor.GetAsync(route);

        await AuditApp.AssertProblemAsync(response, HttpStatusCode.BadRequest, "is not a sha256");
    }
}
