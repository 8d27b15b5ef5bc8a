using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Governance;

/// <summary>Small limits, so "too large" is a few kilobytes: 4 KiB per artifact, 1 KiB for artifacts read back for a check.</summary>
public sealed class SmallVaultFixture : GovernanceFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Evidence:MaxArtifactBytes"] = "4096",
        ["Governance:MaxCheckedArtifactBytes"] = "1024",
    };
}

public sealed class EvidenceUploadOverHttpTests(SmallVaultFixture fixture) : IClassFixture<SmallVaultFixture>
{
    private readonly GovernanceHost _host = fixture.Host;

    [Fact]
    public async Task An_unchecked_artifact_is_recorded_with_the_hash_and_size_of_its_bytes()
    {
        var id = await ActiveTaskAsync("EV-HASH");
        var bytes = Encoding.UTF8.GetBytes(new string('x', 3000));

        var captured = (await _host.UploadAsync(Operator, id, "export", "export.bin", bytes, "application/octet-stream")).Is(HttpStatusCode.Created).Body;

        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal((sha256, 3000L, "captured (3000 bytes, no machine check)"),
            ((string?)captured["artifact"]!["sha256"], (long)captured["artifact"]!["size"]!, (string?)captured["artifact"]!["reason"]));
        Assert.Contains($"sha256/{sha256}", await _host.EvidenceBlobsAsync());
        var entry = Assert.Single(await _host.LedgerAsync(), r => r.Subject == id && r.Kind == "evidence.accepted");
        Assert.Equal((sha256, 3000L), ((string?)entry.Data!["sha256"], (long)entry.Data["size"]!));
    }

    [Fact]
    public async Task An_artifact_that_fails_its_check_is_kept_as_evidence_with_the_reason_but_does_not_satisfy_the_gate()
    {
        var id = await ActiveTaskAsync("EV-FAIL", [new { id = "events", title = "RotateKey events", kind = "QueryExport", check = new { expectedRows = 14 } }]);

        var captured = (await _host.UploadAsync(Operator, id, "events", "events.ndjson", RotateKeyEvents(13))).Is(HttpStatusCode.Created).Body;

        Assert.Equal(("Rejected", "expected 14 rows, got 13"), ((string?)captured["artifact"]!["outcome"], (string?)captured["artifact"]!["reason"]));
        Assert.Equal("0 / 1 captured", (string?)captured["evidence"]!["progress"]);
        var locked = (await _host.PostAsync(Operator, $"/api/tasks/{id}/complete")).IsProblem(HttpStatusCode.Conflict);
        Assert.Equal("RotateKey events: the latest artifact was rejected (expected 14 rows, got 13); capture one that passes", (string?)locked.Body["conditions"]![0]!["text"]);
    }

    [Fact]
    public async Task An_upload_with_a_matching_claimed_hash_is_accepted()
    {
        var id = await ActiveTaskAsync("EV-CLAIM");
        var bytes = Encoding.UTF8.GetBytes("{\"ok\":true}");

        (await _host.UploadAsync(Operator, id, "export", "export.json", bytes, "application/json", Convert.ToHexStringLower(SHA256.HashData(bytes)))).Is(HttpStatusCode.Created);
    }

    public static TheoryData<string, int, string, HttpStatusCode> Refusals => new()
    {
        { "empty", 0, "export", HttpStatusCode.BadRequest },
        { "over the vault's limit", 5000, "export", HttpStatusCode.RequestEntityTooLarge },
        { "over the limit of checked artifacts", 2000, "kms-pre", HttpStatusCode.RequestEntityTooLarge },
        { "a claimed hash that differs", 100, "export", HttpStatusCode.BadRequest },
        { "an unknown requirement", 100, "nope", HttpStatusCode.NotFound },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refused_upload_stores_nothing_and_records_nothing(string why, int size, string requirement, HttpStatusCode status)
    {
        var id = await ActiveTaskAsync("EV-" + Guid.NewGuid().ToString("N")[..8], [Export, Task0412Requirements[0]]);
        var before = await TaskAsync(id);
        var blobs = await _host.EvidenceBlobsAsync();
        var bytes = RandomNumberGenerator.GetBytes(size);
        var claimed = why.Contains("claimed", StringComparison.Ordinal) ? new string('0', 64) : null;

        var refused = (await _host.UploadAsync(Operator, id, requirement, "artifact.bin", bytes, "application/octet-stream", claimed)).IsProblem(status);

        Assert.False(string.IsNullOrWhiteSpace(refused.Detail), why);
        Assert.Equal(blobs.Order(), (await _host.EvidenceBlobsAsync()).Order());
        var after = await TaskAsync(id);
        Assert.Equal(((long)before["version"]!, "[]"), ((long)after["version"]!, after["artifacts"]!.ToJsonString()));
    }

    [Fact]
    public async Task An_oversized_upload_of_unknown_length_is_cut_off_while_streaming_and_leaves_nothing()
    {
        var id = await ActiveTaskAsync("EV-STREAM");
        var blobs = await _host.EvidenceBlobsAsync();
        using var content = new StreamContent(new OneWayStream(RandomNumberGenerator.GetBytes(10_000)));
        content.Headers.ContentType = new("application/octet-stream");
        content.Headers.ContentDisposition = new("attachment") { FileName = "big.bin" };

        var response = await _host.Client(Operator).PostAsync($"/api/tasks/{id}/evidence/export", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(blobs.Order(), (await _host.EvidenceBlobsAsync()).Order());
        Assert.Equal("[]", (await TaskAsync(id))["artifacts"]!.ToJsonString());
    }

    [Fact]
    public async Task An_upload_to_an_unknown_task_without_a_name_or_before_the_task_is_active_is_refused_before_any_byte_is_stored()
    {
        var blobs = await _host.EvidenceBlobsAsync();
        var bytes = Encoding.UTF8.GetBytes("{\"ok\":true}");

        (await _host.UploadAsync(Operator, "EV-NOPE", "export", "export.json", bytes)).IsProblem(HttpStatusCode.NotFound);
        await PlanAsync(_host, "PLAN-EV-DRAFT");
        (await _host.PostAsync(Operator, "/api/tasks", NewTask("EV-DRAFT", "PLAN-EV-DRAFT"))).Is(HttpStatusCode.Created);
        var draft = (await _host.UploadAsync(Operator, "EV-DRAFT", "export", "export.json", bytes)).IsProblem(HttpStatusCode.Conflict);
        Assert.Equal("EV-DRAFT is Draft; evidence is captured while it is Active or Held", draft.Detail);
        var unnamed = await _host.Client(Operator).PostAsync("/api/tasks/EV-DRAFT/evidence/export", new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.BadRequest, unnamed.StatusCode);
        (await _host.UploadAsync(DPark, "EV-DRAFT", "export", "export.json", bytes)).IsProblem(HttpStatusCode.Forbidden);

        Assert.Equal(blobs.Order(), (await _host.EvidenceBlobsAsync()).Order());
    }

    private async Task<string> ActiveTaskAsync(string id, object[]? requirements = null)
    {
        var plan = "PLAN-" + id;
        await PlanAsync(_host, plan);
        await ActiveAsync(_host, NewTask(id, plan, requirements: requirements), id);
        return id;
    }

    private async Task<JsonObject> TaskAsync(string id) => (await _host.GetAsync(Operator, $"/api/tasks/{id}")).Is(HttpStatusCode.OK).Body;
}

/// <summary>A body of unknown length that can only be read forward, as a chunked upload arrives.</summary>
internal sealed class OneWayStream(byte[] content) : Stream
{
    private readonly MemoryStream _inner = new(content);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 1000));

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
