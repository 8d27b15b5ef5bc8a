using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Panaptico.Core.Evidence;

namespace Panaptico.Functions.Tests.Audit;

public sealed class BundleEndpointsTests(AuditApp app) : IClassFixture<AuditApp>
{
    [Fact]
    public async Task A_sealed_bundle_fetched_over_http_verifies_offline_with_its_artifacts_fetched_by_href()
    {
        var sealedBundle = await app.SealAsync(new BundleSubject(BundleSubject.Task, "TASK-" + Guid.NewGuid().ToString("N")[..6]));
        var client = app.Auditor;

        var bundle = await client.GetFromJsonAsync<JsonObject>($"/api/bundles/{sealedBundle.Digest}");
        var envelope = DsseEnvelope.Parse(bundle!["envelope"]!.ToJsonString());
        var keyring = Keyring.Parse(bundle["keyring"]!.ToJsonString());
        var hrefs = bundle["artifacts"]!.AsArray().ToDictionary(a => a!["sha256"]!.GetValue<string>(), a => a!["href"]!.GetValue<string>());
        var report = await BundleVerifier.VerifyAsync(envelope, keyring, async (sha256, cancellationToken) =>
        {
            var response = await client.GetAsync(hrefs[sha256], cancellationToken);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStreamAsync(cancellationToken) : null;
        }, CancellationToken.None);

        Assert.True(report.Verified, string.Join("; ", report.Failures.Select(f => $"{f.Target}: {f.Detail}")));
        Assert.Equal(sealedBundle.Digest, report.ManifestDigest);
        Assert.Equal(sealedBundle.Digest, bundle["digest"]!.GetValue<string>());
        Assert.Equal(sealedBundle.Manifest.Subject.Id, bundle["subject"]!["id"]!.GetValue<string>());
        Assert.Equal(2, hrefs.Count);
        Assert.Equal(sealedBundle.Key.Version, Assert.Single(keyring.Keys).Version);
        Assert.Equal(sealedBundle.Manifest.Artifacts.Select(a => a.Name), bundle["manifest"]!["artifacts"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_subjects_bundles_are_listed_oldest_first_and_only_that_subjects()
    {
        var task = "TASK-" + Guid.NewGuid().ToString("N")[..6];
        var first = await app.SealAsync(new BundleSubject(BundleSubject.Task, task));
        var second = await app.SealAsync(new BundleSubject(BundleSubject.Task, task));
        await app.SealAsync(new BundleSubject(BundleSubject.Task, task + "-other"));

        var listed = await app.Auditor.GetFromJsonAsync<JsonObject>($"/api/bundles?subject={task}");

        var bundles = listed!["bundles"]!.AsArray();
        Assert.Equal([first.Digest, second.Digest], bundles.Select(b => b!["digest"]!.GetValue<string>()));
        Assert.All(bundles, b => Assert.Equal(task, b!["subject"]!["id"]!.GetValue<string>()));
        Assert.Equal($"/api/bundles/{first.Digest}", bundles[0]!["href"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_change_records_bundles_are_found_with_or_without_the_kind()
    {
        var change = "CHG-2026-0418-" + Random.Shared.Next(100, 999);
        var sealedChange = await app.SealAsync(new BundleSubject(BundleSubject.Change, change));

        var any = await app.Auditor.GetFromJsonAsync<JsonObject>($"/api/bundles?subject={change}");
        var asChange = await app.Auditor.GetFromJsonAsync<JsonObject>($"/api/bundles?subject={change}&kind=change");
        var asTask = await app.Auditor.GetFromJsonAsync<JsonObject>($"/api/bundles?subject={change}&kind=task");

        Assert.Equal(sealedChange.Digest, Assert.Single(any!["bundles"]!.AsArray())!["digest"]!.GetValue<string>());
        Assert.Equal("change", Assert.Single(asChange!["bundles"]!.AsArray())!["subject"]!["kind"]!.GetValue<string>());
        Assert.Empty(asTask!["bundles"]!.AsArray());
    }

    [Fact]
    public async Task An_unknown_digest_is_404_and_a_malformed_one_400()
    {
        var unknown = Convert.ToHexStringLower(AuditApp.RandomBytes(32));

        var missing = await app.Auditor.GetAsync($"/api/bundles/{unknown}");
        var malformed = await app.Auditor.GetAsync("/api/bundles/TASK-0412");

        await AuditApp.AssertProblemAsync(missing, HttpStatusCode.NotFound, $"no sealed bundle with digest {unknown}");
        await AuditApp.AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "is not a bundle digest");
    }

    [Theory]
    [InlineData("/api/bundles", "name the subject")]
    [InlineData("/api/bundles?subject=", "name the subject")]
    [InlineData("/api/bundles?subject=TASK-0412&kind=plan", "kind must be 'task' or 'change'")]
    public async Task Listing_without_a_subject_or_with_an_unknown_kind_is_400(string route, string detail)
    {
        var response = await app.Auditor.GetAsync(route);

        await AuditApp.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
    }
}
