using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Panaptico.Core.Ledger;

namespace Panaptico.Storage.Ledger;

public enum LedgerExportFormat
{
    Jsonl,
    Csv,
}

/// <summary>
/// What an export is, kept beside it as <c>&lt;export&gt;.meta.json</c>. <see cref="PrefixSubtrees"/> is the Merkle
/// frontier of the records before <see cref="FirstSeq"/> (empty for an export from seq 0): with it the export's own
/// records rebuild the full tree head, which the signed checkpoint (<c>&lt;export&gt;.checkpoint</c>) pins.
/// </summary>
public sealed record LedgerExportMetadata(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("firstSeq")] long FirstSeq,
    [property: JsonPropertyName("lastSeq")] long LastSeq,
    [property: JsonPropertyName("treeSize")] long TreeSize,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("to")] string? To,
    [property: JsonPropertyName("prevHash")] string? PrevHash,
    [property: JsonPropertyName("prefixSubtrees")] IReadOnlyList<string> PrefixSubtrees,
    [property: JsonPropertyName("verifierKey")] string VerifierKey)
{
    public MerkleFrontier Prefix() => MerkleFrontier.FromNodes(FirstSeq, PrefixSubtrees.Select(Convert.FromBase64String));
}

/// <summary>Outcome of an inclusion check: the proof (when one could be made) and the failure, if any.</summary>
public sealed record LedgerInclusionCheck(bool Ok, LedgerInclusionProof? Proof, string? Failure);

/// <summary>Outcome of a consistency check between two exports.</summary>
public sealed record LedgerConsistencyCheck(bool Ok, LedgerConsistencyProof? Proof, string? Failure);

/// <summary>
/// Ledger exports on disk: the records file (JSONL: one canonical record per line; or CSV), its signed checkpoint
/// and its metadata. Writing, verifying, and inclusion / consistency proofs, all streaming in flat memory.
/// </summary>
public static class LedgerExportFiles
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public static string CheckpointPath(string exportPath) => exportPath + ".checkpoint";

    public static string MetadataPath(string exportPath) => exportPath + ".meta.json";

    /// <summary>
    /// Writes an export of canonical record lines starting at <paramref name="prefix"/>.Size, then its signed
    /// checkpoint and metadata. Returns the metadata.
    /// </summary>
    public static async Task<LedgerExportMetadata> WriteAsync(
        string path,
        LedgerExportFormat format,
        MerkleFrontier prefix,
        string? prevHash,
        IAsyncEnumerable<string> canonicalRecords,
        ICheckpointSigner signer,
        CheckpointKey verifierKey,
        string origin,
        (DateTimeOffset? From, DateTimeOffset? To) window,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(canonicalRecords);
        ArgumentNullException.ThrowIfNull(verifierKey);
        var tree = prefix.Clone();
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        await using (var writer = new StreamWriter(file, new UTF8Encoding(false), 1 << 16))
        {
            writer.NewLine = "\n";
            if (format == LedgerExportFormat.Csv)
            {
                await writer.WriteLineAsync(LedgerCsv.Header);
            }

            await foreach (var line in canonicalRecords.WithCancellation(cancellationToken))
            {
                var bytes = Encoding.UTF8.GetBytes(line);
                if (bytes.AsSpan().IndexOf((byte)'\n') >= 0)
                {
                    throw new InvalidDataException("A canonical record never contains a raw newline.");
                }

                tree.AppendLeaf(bytes);
                await writer.WriteLineAsync(format == LedgerExportFormat.Csv ? LedgerCsv.ToRow(bytes) : line);
            }
        }

        var checkpoint = await SignedCheckpoint.SignAsync(Checkpoint.For(origin, tree), signer, cancellationToken);
        await File.WriteAllTextAsync(CheckpointPath(path), checkpoint.Format(), new UTF8Encoding(false), cancellationToken);
        var metadata = new LedgerExportMetadata(
            format == LedgerExportFormat.Csv ? "csv" : "jsonl",
            origin,
            prefix.Size,
            tree.Size - 1,
            tree.Size,
            window.From is { } f ? LedgerRecordFormat.FormatTime(f) : null,
            window.To is { } t ? LedgerRecordFormat.FormatTime(t) : null,
            prevHash,
            prefix.Nodes.Select(Convert.ToBase64String).ToList(),
            verifierKey.ToVerifierKey());
        await File.WriteAllTextAsync(MetadataPath(path), JsonSerializer.Serialize(metadata, s_json) + "\n", new UTF8Encoding(false), cancellationToken);
        return metadata;
    }

    /// <summary>
    /// Verifies an export: every record, the chain, and the tree head against the signed checkpoint. With
    /// <paramref name="pinnedKey"/> the checkpoint must be signed by it; without, by the key named in the metadata.
    /// </summary>
    public static async Task<LedgerVerification> VerifyAsync(string path, CheckpointKey? pinnedKey, CancellationToken cancellationToken)
    {
        var scan = await ScanAsync(path, pinnedKey, null, cancellationToken);
        return scan.Verification;
    }

    /// <summary>An inclusion proof for record <paramref name="seq"/> against the export's signed checkpoint.</summary>
    public static async Task<LedgerInclusionCheck> ProveInclusionAsync(string path, long seq, CheckpointKey? pinnedKey, CancellationToken cancellationToken)
    {
        var (checkpoint, _) = await ReadSidecarsAsync(path, cancellationToken);
        if (checkpoint is null)
        {
            return new LedgerInclusionCheck(false, null, "checkpoint: the export has no signed checkpoint");
        }

        var treeSize = checkpoint.Checkpoint.Size;
        if (seq < 0 || seq >= treeSize)
        {
            return new LedgerInclusionCheck(false, null, $"seq {seq}: not in the tree of size {treeSize} this export is signed for");
        }

        var hasher = new MerkleSubtreeHasher(MerkleProof.InclusionPath(seq, treeSize));
        string? record = null;
        var scan = await ScanAsync(path, pinnedKey, new ScanObserver(hasher, seq, line => record = Encoding.UTF8.GetString(line)), cancellationToken);
        if (!scan.Verification.Ok)
        {
            return new LedgerInclusionCheck(false, null, scan.Verification.Failure!.ToString());
        }

        if (record is null)
        {
            return new LedgerInclusionCheck(false, null, $"seq {seq}: not in this export (it holds seq {scan.Verification.FirstSeq}..{scan.Verification.TreeSize - 1})");
        }

        if (hasher.Problem is not null)
        {
            return new LedgerInclusionCheck(false, null, $"seq {seq}: {hasher.Problem}");
        }

        var proof = new LedgerInclusionProof(seq, treeSize, record, hasher.Complete().Select(Convert.ToBase64String).ToList(), checkpoint.Format());
        var failure = proof.Verify(scan.Key);
        return new LedgerInclusionCheck(failure is null, proof, failure);
    }

    /// <summary>
    /// Is <paramref name="record"/> (e.g. a bundle's seal record) in the ledger export, byte for byte, under its
    /// signed tree head? The export is verified, an inclusion proof made and checked.
    /// </summary>
    public static async Task<LedgerInclusionCheck> VerifyInclusionAsync(string exportPath, LedgerRecord record, CheckpointKey? pinnedKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var check = await ProveInclusionAsync(exportPath, record.Seq, pinnedKey, cancellationToken);
        if (!check.Ok)
        {
            return check;
        }

        var expected = Encoding.UTF8.GetString(LedgerRecordFormat.CanonicalBytes(record));
        return expected == check.Proof!.Record
            ? check
            : check with { Ok = false, Failure = $"seq {record.Seq}: the ledger holds a different record at this seq (hash {check.Proof.ReadRecord().Hash}, expected {record.Hash})" };
    }

    /// <summary>Is the ledger in <paramref name="olderPath"/> a prefix of the one in <paramref name="newerPath"/>? Both are verified.</summary>
    public static async Task<LedgerConsistencyCheck> ProveConsistencyAsync(string olderPath, string newerPath, CheckpointKey? pinnedKey, CancellationToken cancellationToken)
    {
        var older = await ScanAsync(olderPath, pinnedKey, null, cancellationToken);
        if (!older.Verification.Ok)
        {
            return new LedgerConsistencyCheck(false, null, $"older export: {older.Verification.Failure}");
        }

        var (newCheckpoint, _) = await ReadSidecarsAsync(newerPath, cancellationToken);
        if (newCheckpoint is null)
        {
            return new LedgerConsistencyCheck(false, null, "newer export: checkpoint: the export has no signed checkpoint");
        }

        var oldSize = older.Verification.TreeSize;
        var newSize = newCheckpoint.Checkpoint.Size;
        if (oldSize > newSize)
        {
            return new LedgerConsistencyCheck(false, null, $"the older export's tree ({oldSize}) is larger than the newer one's ({newSize})");
        }

        var hasher = new MerkleSubtreeHasher(MerkleProof.ConsistencyPath(oldSize, newSize));
        var newer = await ScanAsync(newerPath, pinnedKey, new ScanObserver(hasher, -1, null), cancellationToken);
        if (!newer.Verification.Ok)
        {
            return new LedgerConsistencyCheck(false, null, $"newer export: {newer.Verification.Failure}");
        }

        if (older.Key is not null && newer.Key is not null && older.Key.ToVerifierKey() != newer.Key.ToVerifierKey() && pinnedKey is null)
        {
            return new LedgerConsistencyCheck(false, null, "the exports are signed by different keys; pin one with --key");
        }

        if (hasher.Problem is not null)
        {
            return new LedgerConsistencyCheck(false, null, $"newer export: {hasher.Problem}");
        }

        var proof = new LedgerConsistencyProof(oldSize, Convert.ToBase64String(older.Verification.Root), newSize,
            Convert.ToBase64String(newer.Verification.Root), hasher.Complete().Select(Convert.ToBase64String).ToList());
        return proof.Verify()
            ? new LedgerConsistencyCheck(true, proof, null)
            : new LedgerConsistencyCheck(false, proof,
                $"the newer ledger does not extend the older one: its first {oldSize} records differ from the older export's (root {proof.OldRoot})");
    }

    public static async Task<LedgerExportMetadata?> ReadMetadataAsync(string path, CancellationToken cancellationToken)
    {
        var metaPath = MetadataPath(path);
        if (!File.Exists(metaPath))
        {
            return null;
        }

        await using var stream = File.OpenRead(metaPath);
        return await JsonSerializer.DeserializeAsync<LedgerExportMetadata>(stream, s_json, cancellationToken);
    }

    private static async Task<(SignedCheckpoint? Checkpoint, LedgerExportMetadata? Metadata)> ReadSidecarsAsync(string path, CancellationToken cancellationToken)
    {
        var checkpointPath = CheckpointPath(path);
        var checkpoint = File.Exists(checkpointPath)
            ? SignedCheckpoint.Parse(await File.ReadAllTextAsync(checkpointPath, cancellationToken))
            : null;
        return (checkpoint, await ReadMetadataAsync(path, cancellationToken));
    }

    private sealed record ScanObserver(MerkleSubtreeHasher Hasher, long CaptureSeq, Action<byte[]>? Capture);

    private sealed record ScanResult(LedgerVerification Verification, CheckpointKey? Key);

    private static async Task<ScanResult> ScanAsync(string path, CheckpointKey? pinnedKey, ScanObserver? observer, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return Failed($"export '{path}' does not exist");
        }

        SignedCheckpoint? checkpoint;
        LedgerExportMetadata? metadata;
        try
        {
            (checkpoint, metadata) = await ReadSidecarsAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return Failed($"checkpoint or metadata unreadable: {ex.Message}");
        }

        MerkleFrontier prefix;
        CheckpointKey? key;
        try
        {
            prefix = metadata?.Prefix() ?? new MerkleFrontier();
            key = pinnedKey ?? (metadata is null ? null : CheckpointKey.ParseVerifierKey(metadata.VerifierKey));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return Failed($"metadata: {ex.Message}");
        }

        if (key is null)
        {
            return Failed("checkpoint: no key to verify it with (no metadata and no pinned key)");
        }

        var verifier = new LedgerExportVerifier(prefix, metadata?.PrevHash);
        if (observer is not null)
        {
            foreach (var (start, count, hash) in prefix.Subtrees())
            {
                observer.Hasher.Add(start, count, hash);
            }
        }

        var csv = metadata?.Format == "csv" || (metadata is null && path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase));
        var lines = csv ? LedgerCsv.ReadAsync(path, cancellationToken) : ReadJsonlAsync(path, cancellationToken);
        var chunk = new List<ExportLine>(ChunkLines);
        var inspected = new InspectedLine[ChunkLines];
        await foreach (var line in lines)
        {
            chunk.Add(line);
            if (chunk.Count == ChunkLines && !ApplyChunk(chunk, inspected, verifier, observer))
            {
                break;
            }

            if (chunk.Count == ChunkLines)
            {
                chunk.Clear();
            }
        }

        if (verifier.Failure is null)
        {
            ApplyChunk(chunk, inspected, verifier, observer);
        }

        return new ScanResult(verifier.Complete(checkpoint, key), key);

        static ScanResult Failed(string reason) =>
            new(new LedgerVerification(false, 0, 0, 0, [], new LedgerVerificationFailure(null, null, reason)), null);
    }

    /// <summary>Lines checked in parallel per chunk (the chain and tree are then applied in order): bounded memory.</summary>
    private const int ChunkLines = 4096;

    private static bool ApplyChunk(List<ExportLine> chunk, InspectedLine[] inspected, LedgerExportVerifier verifier, ScanObserver? observer)
    {
        Parallel.For(0, chunk.Count, () => new System.Buffers.ArrayBufferWriter<byte>(1024), (i, _, scratch) =>
        {
            if (chunk[i].Bytes is { } bytes)
            {
                inspected[i] = LedgerExportVerifier.Inspect(bytes, scratch);
            }

            return scratch;
        }, _ => { });

        for (var i = 0; i < chunk.Count; i++)
        {
            var line = chunk[i];
            if (line.Problem is not null)
            {
                verifier.AddUnreadable(line.Number, line.Problem);
                return false;
            }

            var seq = verifier.NextSeq;
            if (!verifier.Apply(inspected[i], line.Number))
            {
                return false;
            }

            if (observer is not null && verifier.LastLeafHash is not null && verifier.NextSeq == seq + 1)
            {
                observer.Hasher.AddLeafHash(seq, verifier.LastLeafHash);
                if (seq == observer.CaptureSeq)
                {
                    observer.Capture?.Invoke(line.Bytes!);
                }
            }
        }

        return true;
    }

    internal readonly record struct ExportLine(long Number, byte[]? Bytes, string? Problem);

    /// <summary>Lines of a JSONL file as bytes, streaming with one reusable buffer.</summary>
    private static async IAsyncEnumerable<ExportLine> ReadJsonlAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: false);
        var buffer = new byte[1 << 20];
        var filled = 0;
        var number = 0L;
        while (true)
        {
            var read = await file.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            filled += read;
            var start = 0;
            while (true)
            {
                var newline = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n');
                if (newline < 0)
                {
                    break;
                }

                number++;
                var line = buffer.AsSpan(start, newline);
                yield return line.Length == 0
                    ? new ExportLine(number, null, "empty line")
                    : new ExportLine(number, line.EndsWith("\r"u8) ? null : line.ToArray(), line.EndsWith("\r"u8) ? "line ends with CR; exports use LF" : null);
                start += newline + 1;
            }

            if (read == 0)
            {
                if (start < filled)
                {
                    yield return new ExportLine(++number, buffer.AsSpan(start, filled - start).ToArray(), null);
                }

                yield break;
            }

            Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
            filled -= start;
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
        }
    }
}
