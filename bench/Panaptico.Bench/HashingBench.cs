using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Panaptico.Core.Evidence;

namespace Panaptico.Bench;

/// <summary>
/// `hash [size-MiB] [rounds]`: SHA-256 throughput of the vault's streaming hasher (<see cref="ArtifactBlockReader"/>,
/// the code every upload and every verification runs) beside `openssl dgst -sha256`, on the same random file, in one run.
/// Rounds alternate between the two so neither gets a warmer page cache; the best round of each is reported.
/// </summary>
public static class HashingBench
{
    public static async Task RunAsync(string[] args)
    {
        var mib = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1024;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        var path = Path.Combine(Path.GetTempPath(), $"panaptico-hash-bench-{Environment.ProcessId}.bin");
        var bytes = (long)mib * 1024 * 1024;
        try
        {
            await WriteRandomFileAsync(path, bytes);
            Console.WriteLine($"file: {path}, {bytes:N0} bytes of random data; block size {ArtifactBlockReader.DefaultBlockSize / (1024 * 1024)} MiB; {rounds} rounds each");

            // Warm the page cache once so both read from memory, as the vault reads from the network, not a cold disk.
            var (expected, _) = await OpensslAsync(path);
            var best = (openssl: TimeSpan.MaxValue, ours: TimeSpan.MaxValue);
            for (var round = 1; round <= rounds; round++)
            {
                var (opensslHash, opensslTime) = await OpensslAsync(path);
                var (ourHash, ourTime) = await OursAsync(path);
                if (opensslHash != expected || ourHash != expected)
                {
                    throw new InvalidOperationException($"hashes disagree: openssl {opensslHash}, ours {ourHash}");
                }

                Console.WriteLine($"round {round}: openssl {Rate(bytes, opensslTime):F2} GB/s, ours {Rate(bytes, ourTime):F2} GB/s");
                best = (Min(best.openssl, opensslTime), Min(best.ours, ourTime));
            }

            var opensslRate = Rate(bytes, best.openssl);
            var ourRate = Rate(bytes, best.ours);
            Console.WriteLine($"sha256 {expected}");
            Console.WriteLine($"openssl dgst -sha256: {opensslRate:F2} GB/s ({best.openssl.TotalSeconds:F3} s)");
            Console.WriteLine($"ArtifactBlockReader:  {ourRate:F2} GB/s ({best.ours.TotalSeconds:F3} s)");
            Console.WriteLine($"ratio ours/openssl:   {ourRate / opensslRate:F3} (goal >= 0.9)");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task WriteRandomFileAsync(string path, long bytes)
    {
        var block = new byte[4 * 1024 * 1024];
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
        for (long written = 0; written < bytes; written += block.Length)
        {
            RandomNumberGenerator.Fill(block);
            await file.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, bytes - written)));
        }
    }

    private static async Task<(string Hash, TimeSpan Time)> OpensslAsync(string path)
    {
        var start = Stopwatch.GetTimestamp();
        using var process = Process.Start(new ProcessStartInfo("openssl", ["dgst", "-sha256", "-r", path])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("openssl did not start");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = Stopwatch.GetElapsedTime(start);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl exited {process.ExitCode}");
        }

        return (output.Split(' ')[0].Trim(), elapsed);
    }

    /// <summary>The vault's path: fill a block from the source, hash it, hand it on (here: nowhere).</summary>
    private static async Task<(string Hash, TimeSpan Time)> OursAsync(string path)
    {
        var start = Stopwatch.GetTimestamp();
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var (hash, _) = await ArtifactBlockReader.HashAsync(file);
        return (hash, Stopwatch.GetElapsedTime(start));
    }

    private static double Rate(long bytes, TimeSpan time) => bytes / time.TotalSeconds / 1e9;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
