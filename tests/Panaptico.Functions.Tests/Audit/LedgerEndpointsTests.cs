using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Ledger;

namespace Panaptico.Functions.Tests.Audit;

/// <summary>A ledger of 230 records: seq 0..119 at <see cref="Start"/>, seq 120..229 ten minutes later.</summary>
public sealed class LedgerAuditApp() : AuditApp(services => services.AddSingleton<TimeProvider>(Clock))
{
    public const int Early = 120;
    public const int Total = 230;

    // Real time, so tokens minted now are valid whichever clock checks them.
    private static readonly FakeTimeProvider Clock = new(DateTimeOffset.UtcNow);

    public static DateTimeOffset Start { get; } = Clock.GetUtcNow();

    public static DateTimeOffset Later { get; } = Start.AddMinutes(10);

    /// <summary>Tree roots of the first n records for n = 0..Total, computed here from the records themselves.</summary>
    public IReadOnlyList<byte[]> Roots { get; private set; } = [];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await AppendAsync(0, Early);
        Clock.SetUtcNow(Later);
        await AppendAsync(Early, Total - Early);

        var tree = new MerkleFrontier();
        var roots = new List<byte[]> { tree.Root() };
        await foreach (var line in App.Services.GetRequiredService<TableLedger>().ReadCanonicalAsync(0, Total - 1, CancellationToken.None))
        {
            tree.AppendLeaf(Encoding.UTF8.GetBytes(line));
            roots.Add(tree.Root());
        }

        Roots = roots;
    }

    private Task AppendAsync(int first, int count) => Task.WhenAll(Enumerable.Range(first, count).Select(i =>
        Ledger.AppendAsync(new LedgerEntry("audit-test", "probe.recorded", $"R-{i}", "u-dana", new JsonObject { ["i"] = i }), CancellationToken.None)));
}

public sealed class LedgerEndpointsTests(LedgerAuditApp app) : IClassFixture<LedgerAuditApp>
{
    [Fact]
    public async Task The_checkpoint_is_a_signed_note_of_the_whole_ledger_under_the_published_key()
    {
        var key = await KeyAsync();

        var response = await app.Auditor.GetAsync("/api/ledger/checkpoint");
        var checkpoint = SignedCheckpoint.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.True(checkpoint.IsSignedBy(key));
        Assert.Equal(LedgerAuditApp.Total, checkpoint.Checkpoint.Size);
        Assert.Equal(app.Roots[LedgerAuditApp.Total], checkpoint.Checkpoint.RootHash);
        Assert.Equal("panaptico.local/ledger", checkpoint.Checkpoint.Origin);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(98)]
    [InlineData(99)]
    [InlineData(137)]
    [InlineData(LedgerAuditApp.Total - 1)]
    public async Task An_inclusion_proof_fetched_over_http_verifies_offline_against_the_latest_checkpoint(long seq)
    {
        var key = await KeyAsync();
        var latest = SignedCheckpoint.Parse(await app.Auditor.GetStringAsync("/api/ledger/checkpoint"));

        var proof = await app.Auditor.GetFromJsonAsync<LedgerInclusionProof>($"/api/ledger/records/{seq}/proof");

        Assert.Null(proof!.Verify(key));
        Assert.Equal(seq, proof.ReadRecord().Seq);
        Assert.Equal(latest.Checkpoint.Body, SignedCheckpoint.Parse(proof.Checkpoint).Checkpoint.Body);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 3)]
    [InlineData(5, 8)]
    [InlineData(7, 9)]
    [InlineData(98, 99)]
    [InlineData(0, 100)]
    [InlineData(127, 128)]
    [InlineData(100, 129)]
    [InlineData(128, 200)]
    [InlineData(199, 229)]
    public async Task An_inclusion_proof_against_an_earlier_tree_head_verifies_and_pins_that_heads_root(long seq, long size)
    {
        var key = await KeyAsync();

        var proof = await app.Auditor.GetFromJsonAsync<LedgerInclusionProof>($"/api/ledger/records/{seq}/proof?size={size}");

        Assert.Null(proof!.Verify(key));
        Assert.Equal(size, proof.TreeSize);
        Assert.Equal(app.Roots[(int)size], SignedCheckpoint.Parse(proof.Checkpoint).Checkpoint.RootHash);
        Assert.Equal($"R-{proof.ReadRecord().Data!["i"]}", proof.ReadRecord().Subject);
    }

    [Theory]
    [InlineData(0, 230)]
    [InlineData(1, 230)]
    [InlineData(99, 230)]
    [InlineData(120, 230)]
    [InlineData(128, 200)]
    [InlineData(3, 7)]
    [InlineData(229, 230)]
    [InlineData(230, 230)]
    public async Task A_consistency_proof_shows_an_earlier_tree_head_is_a_prefix_of_a_later_one(long older, long newer)
    {
        var key = await KeyAsync();

        var answer = await app.Auditor.GetFromJsonAsync<JsonObject>($"/api/ledger/consistency?older={older}&newer={newer}");

        var proof = answer.Deserialize<LedgerConsistencyProof>()!;
        var oldCheckpoint = SignedCheckpoint.Parse(answer!["oldCheckpoint"]!.GetValue<string>());
        var newCheckpoint = SignedCheckpoint.Parse(answer["newCheckpoint"]!.GetValue<string>());
        Assert.True(proof.Verify());
        Assert.True(oldCheckpoint.IsSignedBy(key) && newCheckpoint.IsSignedBy(key));
        Assert.True(oldCheckpoint.Checkpoint.Matches(older, app.Roots[(int)older]));
        Assert.True(newCheckpoint.Checkpoint.Matches(newer, app.Roots[(int)newer]));
        Assert.Equal(Convert.FromBase64String(proof.OldRoot), oldCheckpoint.Checkpoint.RootHash);
        Assert.Equal(Convert.FromBase64String(proof.NewRoot), newCheckpoint.Checkpoint.RootHash);
    }

    [Fact]
    public async Task Without_newer_the_consistency_proof_reaches_the_latest_checkpoint()
    {
        var answer = await app.Auditor.GetFromJsonAsync<JsonObject>("/api/ledger/consistency?older=50");

        var proof = answer.Deserialize<LedgerConsistencyProof>()!;
        Assert.True(proof.Verify());
        Assert.Equal(LedgerAuditApp.Total, proof.NewSize);
    }

    [Fact]
    public async Task A_whole_export_fetched_over_http_passes_ledger_verify()
    {
        var key = await KeyAsync();

        var response = await app.Auditor.GetAsync("/api/ledger/export");
        var path = await ExtractAsync(response, "ledger.jsonl");
        var verification = await LedgerExportFiles.VerifyAsync(path, key, CancellationToken.None);

        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.True(verification.Ok, verification.Failure?.ToString());
        Assert.Equal(LedgerAuditApp.Total, verification.Records);
        Assert.Equal(app.Roots[LedgerAuditApp.Total], verification.Root);
        Assert.Equal("0", Assert.Single(response.Headers.GetValues("Ledger-First-Seq")));
        Assert.Equal($"{LedgerAuditApp.Total}", Assert.Single(response.Headers.GetValues("Ledger-Tree-Size")));
    }

    [Fact]
    public async Task A_time_range_exported_as_csv_verifies_from_its_prefix_and_holds_only_that_range()
    {
        var key = await KeyAsync();
        var from = Uri.EscapeDataString(LedgerAuditApp.Later.ToString("O"));

        var response = await app.Auditor.GetAsync($"/api/ledger/export?from={from}&format=csv");
        var path = await ExtractAsync(response, "ledger.csv");
        var verification = await LedgerExportFiles.VerifyAsync(path, key, CancellationToken.None);

        Assert.True(verification.Ok, verification.Failure?.ToString());
        Assert.Equal(LedgerAuditApp.Early, verification.FirstSeq);
        Assert.Equal(LedgerAuditApp.Total - LedgerAuditApp.Early, verification.Records);
        Assert.StartsWith("seq,at,stream", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_time_range_with_no_records_is_404()
    {
        var from = Uri.EscapeDataString(LedgerAuditApp.Later.AddDays(1).ToString("O"));

        var response = await app.Auditor.GetAsync($"/api/ledger/export?from={from}");

        await AuditApp.AssertProblemAsync(response, HttpStatusCode.NotFound, "no record in that time range");
    }

    [Theory]
    [InlineData("/api/ledger/export?format=xml", "format must be 'jsonl' or 'csv'")]
    [InlineData("/api/ledger/export?from=yesterday", "ISO 8601")]
    [InlineData("/api/ledger/export?from=2026-10-02T00:00:00Z&to=2026-10-01T00:00:00Z", "must be before")]
    [InlineData("/api/ledger/records/abc/proof", "not a record number")]
    [InlineData("/api/ledger/records/-1/proof", "not a record number")]
    [InlineData("/api/ledger/records/5/proof?size=5", "size must be greater than seq")]
    [InlineData("/api/ledger/records/5/proof?size=ten", "not a tree size")]
    [InlineData("/api/ledger/records/5/proof?size=100000", "size 100000 is ahead of it")]
    [InlineData("/api/ledger/consistency", "name the earlier tree size")]
    [InlineData("/api/ledger/consistency?older=x", "not a tree size")]
    [InlineData("/api/ledger/consistency?older=10&newer=5", "must not exceed newer")]
    [InlineData("/api/ledger/consistency?older=10&newer=100000", "is ahead of it")]
    [InlineData("/api/ledger/consistency?older=100000", "is ahead of it")]
    public async Task Bad_ledger_requests_are_400_with_a_problem(string route, string detail)
    {
        var response = await app.Auditor.GetAsync(route);

        await AuditApp.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
    }

    [Fact]
    public async Task A_proof_for_a_record_the_ledger_does_not_hold_is_404()
    {
        var response = await app.Auditor.GetAsync("/api/ledger/records/100000/proof");

        await AuditApp.AssertProblemAsync(response, HttpStatusCode.NotFound, "has no record seq 100000");
    }

    private async Task<CheckpointKey> KeyAsync() =>
        CheckpointKey.ParseVerifierKey(await app.Auditor.GetStringAsync("/api/ledger/key"));

    private static async Task<string> ExtractAsync(HttpResponseMessage response, string export)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var directory = Directory.CreateTempSubdirectory("panaptico-export-test-").FullName;
        await using var zip = await response.Content.ReadAsStreamAsync();
        await ZipFile.ExtractToDirectoryAsync(zip, directory);
        Assert.Equal(
            [export, export + ".checkpoint", export + ".meta.json"],
            Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        return Path.Combine(directory, export);
    }
}
