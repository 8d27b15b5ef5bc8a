using System.Buffers;
using System.Security.Cryptography;

namespace Panaptico.Core.Evidence;

/// <summary>
/// Reads an artifact as a sequence of fixed-size blocks and hashes each block exactly once as it is read, enforcing
/// the size limit as it goes. Memory is one block whatever the artifact's size. The vault stages each block to Blob
/// storage; the verifier and the benchmark drain it. Hashing here, rather than in a stream wrapper handed to the SDK,
/// keeps the hash correct when the SDK retries a block: the retry re-sends the buffer, it does not re-read the source.
/// </summary>
public sealed class ArtifactBlockReader : IDisposable
{
    public const int DefaultBlockSize = 4 * 1024 * 1024;

    /// <summary>The most asked of the source at once; small enough to stay in cache between reading and hashing.</summary>
    public const int ReadSize = 128 * 1024;

    private readonly Stream _source;
    private readonly long _maxBytes;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _buffer;
    private string? _hex;

    public ArtifactBlockReader(Stream source, int blockSize = DefaultBlockSize, long maxBytes = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _source = source;
        _maxBytes = maxBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        BlockSize = blockSize;
    }

    public int BlockSize { get; }

    public long BytesRead { get; private set; }

    /// <summary>The next block (valid until the next call), or an empty block at the end of the source.</summary>
    /// <exception cref="ArtifactTooLargeException">The source went past the size limit.</exception>
    public async ValueTask<ReadOnlyMemory<byte>> ReadBlockAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        var filled = 0;
        while (filled < BlockSize)
        {
            // Hash each read while it is still in the CPU cache: hashing a whole block after filling it would read
            // it back from memory and cost about a tenth of the throughput.
            var read = await _source.ReadAsync(_buffer.AsMemory(filled, Math.Min(ReadSize, BlockSize - filled)), cancellationToken);
            if (read == 0)
            {
                break;
            }

            if (BytesRead + filled + read > _maxBytes)
            {
                throw new ArtifactTooLargeException(_maxBytes);
            }

            _sha256.AppendData(_buffer, filled, read);
            filled += read;
        }

        BytesRead += filled;
        return _buffer.AsMemory(0, filled);
    }

    /// <summary>Lowercase hex SHA-256 of everything read; call once the source is drained.</summary>
    public string Sha256Hex() => _hex ??= Convert.ToHexStringLower(_sha256.GetHashAndReset());

    /// <summary>Drains <paramref name="source"/> and returns its SHA-256 and length.</summary>
    public static async Task<(string Sha256, long Size)> HashAsync(
        Stream source, int blockSize = DefaultBlockSize, CancellationToken cancellationToken = default)
    {
        using var reader = new ArtifactBlockReader(source, blockSize);
        while (!(await reader.ReadBlockAsync(cancellationToken)).IsEmpty)
        {
        }

        return (reader.Sha256Hex(), reader.BytesRead);
    }

    public void Dispose()
    {
        _sha256.Dispose();
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
