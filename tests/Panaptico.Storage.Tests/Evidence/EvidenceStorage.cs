using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Panaptico.Core.Ledger;
using Panaptico.Testing;

namespace Panaptico.Storage.Tests.Evidence;

/// <summary>Fresh, uniquely named containers and tables on the test run's Azurite.</summary>
internal static class EvidenceStorage
{
    public static async Task<BlobContainerClient> ContainerAsync(string prefix)
    {
        var container = new BlobServiceClient(await TestStorage.ConnectionStringAsync()).GetBlobContainerClient(TestStorage.UniqueName(prefix));
        await container.CreateAsync();
        return container;
    }

    public static async Task<TableClient> TableAsync(string prefix)
    {
        var table = new TableServiceClient(await TestStorage.ConnectionStringAsync()).GetTableClient(TestStorage.UniqueName(prefix));
        await table.CreateAsync();
        return table;
    }

    /// <summary>Every blob, committed or not: proof that a refused upload left nothing behind.</summary>
    public static async Task<List<string>> AllBlobsAsync(BlobContainerClient container)
    {
        var names = new List<string>();
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { States = BlobStates.All }))
        {
            names.Add(item.Name);
        }

        return names;
    }
}

/// <summary>Keeps what features append, in order (the real ledger is another feature's, tested there).</summary>
internal sealed class RecordingLedger : ILedgerAppender
{
    public List<LedgerEntry> Entries { get; } = [];

    public Task<LedgerRecord> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken)
    {
        Entries.Add(entry);
        return Task.FromResult(new LedgerRecord(Entries.Count, DateTimeOffset.UnixEpoch, entry.Stream, entry.Kind, entry.Subject, entry.Actor, entry.Data, null, new string('0', 64)));
    }
}

/// <summary>A request body of unknown length, read once: the vault cannot look ahead.</summary>
internal sealed class OneWayStream(byte[] content) : Stream
{
    private readonly MemoryStream _inner = new(content);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
