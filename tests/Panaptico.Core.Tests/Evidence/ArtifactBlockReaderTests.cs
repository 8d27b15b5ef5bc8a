using System.Security.Cryptography;
using Panaptico.Core.Evidence;

namespace Panaptico.Core.Tests.Evidence;

public class ArtifactBlockReaderTests
{
    [Fact]
    public async Task Hashing_in_blocks_gives_the_sha256_of_the_whole_content_even_from_a_trickling_stream()
    {
        var content = RandomNumberGenerator.GetBytes(10_000);
        using var reader = new ArtifactBlockReader(new TrickleStream(content, 7), blockSize: 1024);

        var blocks = new List<int>();
        for (var block = await reader.ReadBlockAsync(default); !block.IsEmpty; block = await reader.ReadBlockAsync(default))
        {
            blocks.Add(block.Length);
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), reader.Sha256Hex());
        Assert.Equal(10_000, reader.BytesRead);
        Assert.All(blocks.SkipLast(1), length => Assert.Equal(1024, length));
    }

    [Fact]
    public async Task Reading_past_the_size_limit_is_rejected_as_too_large()
    {
        using var reader = new ArtifactBlockReader(new MemoryStream(new byte[3000]), blockSize: 1024, maxBytes: 2500);

        var error = await Assert.ThrowsAsync<ArtifactTooLargeException>(async () =>
        {
            while (!(await reader.ReadBlockAsync(default)).IsEmpty)
            {
            }
        });

        Assert.Equal(413, error.StatusCode);
    }

    [Fact]
    public async Task Content_exactly_at_the_size_limit_is_accepted()
    {
        using var reader = new ArtifactBlockReader(new MemoryStream(new byte[2048]), blockSize: 1024, maxBytes: 2048);

        while (!(await reader.ReadBlockAsync(default)).IsEmpty)
        {
        }

        Assert.Equal(2048, reader.BytesRead);
    }

    /// <summary>Returns at most a few bytes per read, like a slow network body.</summary>
    private sealed class TrickleStream(byte[] content, int chunk) : MemoryStream(content)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}
