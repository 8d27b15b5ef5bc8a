using System.Text;
using Panaptico.Core.Evidence;

namespace Panaptico.Core.Tests.Evidence;

public class BundleVerifierTests
{
    [Fact]
    public async Task A_payload_that_is_not_a_statement_is_named_and_not_verified()
    {
        var envelope = new DsseEnvelope(DsseEnvelope.InTotoPayloadType, Encoding.UTF8.GetBytes("not json"), []);

        var report = await BundleVerifier.VerifyAsync(envelope, Keyring.Empty, (_, _) => ValueTask.FromResult<Stream?>(null), default);

        Assert.False(report.Verified);
        Assert.Equal("envelope.payload", Assert.Single(report.Failures).Target);
    }

    [Fact]
    public async Task A_statement_whose_subject_is_not_a_list_fails_on_the_manifest_digest_without_throwing()
    {
        var payload = Encoding.UTF8.GetBytes("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":{\"name\":1},\"predicateType\":\"x\",\"predicate\":{}}");
        var envelope = new DsseEnvelope(DsseEnvelope.InTotoPayloadType, payload, []);

        var report = await BundleVerifier.VerifyAsync(envelope, Keyring.Empty, (_, _) => ValueTask.FromResult<Stream?>(null), default);

        Assert.Contains(report.Failures, f => f.Target == "manifest digest (statement.subject[0].digest.sha256)");
        Assert.Contains(report.Failures, f => f.Target == "manifest");
        Assert.False(report.Verified);
    }

    [Fact]
    public async Task A_manifest_missing_a_required_field_is_refused_as_not_a_manifest()
    {
        var payload = Encoding.UTF8.GetBytes(
            "{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicate\":{\"schema\":\"panaptico.evidence-bundle/v1\",\"subject\":{\"kind\":\"task\",\"id\":\"T-1\"}},\"predicateType\":\"https://panaptico.dev/evidence-bundle/v1\",\"subject\":[]}");
        var envelope = new DsseEnvelope(DsseEnvelope.InTotoPayloadType, payload, []);

        var report = await BundleVerifier.VerifyAsync(envelope, Keyring.Empty, (_, _) => ValueTask.FromResult<Stream?>(null), default);

        Assert.Contains(report.Failures, f => f.Target == "manifest");
        Assert.Null(report.Manifest);
    }
}
