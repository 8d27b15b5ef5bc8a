using System.Text;
using System.Text.Json.Nodes;
using Panaptico.Core.Ledger;

namespace Panaptico.Core.Tests.Ledger;

public sealed class LedgerExportVerifierTests
{
    private static readonly EcdsaCheckpointSigner s_signer = EcdsaCheckpointSigner.Generate("panaptico.test/ledger");

    [Fact]
    public async Task An_untouched_export_verifies_against_its_signed_checkpoint()
    {
        var (lines, checkpoint) = await ExportAsync(20);

        var result = Verify(lines, checkpoint);

        Assert.True(result.Ok, result.Failure?.ToString());
        Assert.Equal(20, result.Records);
        Assert.Equal(checkpoint.Checkpoint.RootHash, result.Root);
    }

    [Fact]
    public async Task Flipping_one_byte_of_a_record_is_caught_and_names_that_record()
    {
        var (lines, checkpoint) = await ExportAsync(20);
        var at = Encoding.UTF8.GetString(lines[7]).IndexOf("subject-7", StringComparison.Ordinal);
        lines[7][at] ^= 0x01;

        var result = Verify(lines, checkpoint);

        Assert.False(result.Ok);
        Assert.Equal(7, result.Failure!.Seq);
        Assert.Contains("hash does not match", result.Failure.Reason);
    }

    [Fact]
    public async Task Flipping_a_byte_that_breaks_the_JSON_names_the_record_expected_there()
    {
        var (lines, checkpoint) = await ExportAsync(20);
        lines[11][0] = (byte)'[';

        var result = Verify(lines, checkpoint);

        Assert.Equal(11, result.Failure!.Seq);
        Assert.Equal(12, result.Failure.Line);
    }

    [Fact]
    public async Task Reordering_two_records_is_caught_and_names_both()
    {
        var (lines, checkpoint) = await ExportAsync(20);
        (lines[4], lines[5]) = (lines[5], lines[4]);

        var result = Verify(lines, checkpoint);

        Assert.Equal(4, result.Failure!.Seq);
        Assert.Contains("seq 4 and seq 5 are out of order", result.Failure.Reason);
    }

    [Fact]
    public async Task Dropping_a_record_is_caught_and_names_the_missing_seq()
    {
        var (lines, checkpoint) = await ExportAsync(20);
        lines.RemoveAt(9);

        var result = Verify(lines, checkpoint);

        Assert.Equal(9, result.Failure!.Seq);
        Assert.Contains("missing", result.Failure.Reason);
    }

    [Fact]
    public async Task Dropping_the_last_record_is_caught_by_the_checkpoint()
    {
        var (lines, checkpoint) = await ExportAsync(20);
        lines.RemoveAt(19);

        var result = Verify(lines, checkpoint);

        Assert.False(result.Ok);
        Assert.Contains("tree size 20", result.Failure!.Reason);
    }

    [Fact]
    public async Task A_record_rehashed_after_editing_breaks_the_chain_at_the_next_record()
    {
        var (lines, checkpoint) = await ExportAsync(20);
        var edited = LedgerRecordFormat.Parse(lines[3]) with { Actor = "user:mallory" };
        lines[3] = LedgerRecordFormat.CanonicalBytes(edited with { Hash = LedgerRecordFormat.ComputeHash(edited) });

        var result = Verify(lines, checkpoint);

        Assert.Equal(4, result.Failure!.Seq);
        Assert.Contains("prev does not match the hash of seq 3", result.Failure.Reason);
    }

    [Fact]
    public async Task A_whole_rewritten_chain_is_caught_by_the_checkpoint_root()
    {
        var (lines, checkpoint) = await ExportAsync(10);
        var (rewritten, _) = await ExportAsync(10, actor: "user:mallory");

        var result = Verify(rewritten, checkpoint);

        Assert.Contains("root hash does not match", result.Failure!.Reason);
        Assert.True(Verify(lines, checkpoint).Ok);
    }

    [Fact]
    public async Task A_checkpoint_not_signed_by_the_pinned_key_fails()
    {
        var (lines, _) = await ExportAsync(5);
        var tree = new MerkleFrontier();
        lines.ForEach(l => tree.AppendLeaf(l));
        var forged = await SignedCheckpoint.SignAsync(Checkpoint.For("panaptico.test/ledger", tree), EcdsaCheckpointSigner.Generate("panaptico.test/ledger"), default);

        var result = Verify(lines, forged);

        Assert.Contains("no valid signature", result.Failure!.Reason);
    }

    [Fact]
    public async Task An_export_of_a_later_range_verifies_from_its_prefix_frontier()
    {
        var (lines, checkpoint) = await ExportAsync(30);
        var prefix = new MerkleFrontier();
        lines.Take(11).ToList().ForEach(l => prefix.AppendLeaf(l));

        var verifier = new LedgerExportVerifier(prefix);
        for (var i = 11; i < lines.Count; i++)
        {
            verifier.Add(lines[i], i - 10);
        }

        var result = verifier.Complete(checkpoint, s_signer.PublicKey);
        Assert.True(result.Ok, result.Failure?.ToString());
        Assert.Equal(19, result.Records);
        Assert.Equal(11, result.FirstSeq);
    }

    private static LedgerVerification Verify(List<byte[]> lines, SignedCheckpoint checkpoint)
    {
        var verifier = new LedgerExportVerifier();
        for (var i = 0; i < lines.Count; i++)
        {
            verifier.Add(lines[i], i + 1);
        }

        return verifier.Complete(checkpoint, s_signer.PublicKey);
    }

    private static async Task<(List<byte[]> Lines, SignedCheckpoint Checkpoint)> ExportAsync(int count, string actor = "user:ana")
    {
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var lines = new List<byte[]>();
        var tree = new MerkleFrontier();
        string? prev = null;
        for (var seq = 0; seq < count; seq++)
        {
            var record = LedgerRecordFormat.Seal(seq, at.AddMinutes(seq), new LedgerEntry("governance", "task.approved", $"subject-{seq}", actor,
                new JsonObject { ["i"] = seq }), prev);
            prev = record.Hash;
            var line = LedgerRecordFormat.CanonicalBytes(record);
            lines.Add(line);
            tree.AppendLeaf(line);
        }

        return (lines, await SignedCheckpoint.SignAsync(Checkpoint.For("panaptico.test/ledger", tree), s_signer, default));
    }
}
