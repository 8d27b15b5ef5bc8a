using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Evidence;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Tests.Governance;

namespace Panaptico.Core.Tests.Evidence;

public sealed class ArtifactNameTests
{
    [Theory]
    [InlineData("../../etc/passwd", "path separator")]
    [InlineData("..\\..\\evil.jsonl", "path separator")]
    [InlineData("exports/kms.json", "path separator")]
    [InlineData("..", "'..'")]
    [InlineData("kms..json", "'..'")]
    [InlineData("kms\u0000.json", "control character")]
    [InlineData("kms\n.json", "control character")]
    [InlineData(" ", "needs a file name")]
    public void A_name_that_is_a_path_or_holds_control_characters_is_refused_with_the_reason(string name, string reason) =>
        Assert.Contains(reason, ArtifactName.Problem(name), StringComparison.Ordinal);

    [Fact]
    public void A_name_over_255_characters_is_refused_and_one_of_255_is_not()
    {
        Assert.Contains("at most 255", ArtifactName.Problem(new string('a', 256)), StringComparison.Ordinal);
        Assert.Null(ArtifactName.Problem(new string('a', 255)));
    }

    [Theory]
    [InlineData("kms-listkeys.jsonl")]
    [InlineData("CloudTrail RotateKey (14 events).ndjson")]
    [InlineData(".hidden")]
    [InlineData("résumé.pdf")]
    public void A_plain_file_name_is_accepted_as_it_is(string name) => Assert.Null(ArtifactName.Problem(name));

    [Fact]
    public void The_evidence_gate_refuses_a_path_as_an_artifact_name_before_it_captures_anything()
    {
        var time = new FakeTimeProvider(Sample.Start);
        var journal = new Journal();
        var task = Sample.Active(journal, Sample.Task("TASK-0412"), time.GetUtcNow());

        var refusal = Journal.Refused(EvidenceGate.Capture(task, "export", Sample.Keys(3, "../../etc/passwd"), Sample.Operator, time.GetUtcNow()), RefusalCode.Invalid);

        Assert.Contains("path separator", refusal.Message, StringComparison.Ordinal);
    }
}
