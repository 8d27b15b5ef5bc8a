using Panaptico.Core.Evidence;

namespace Panaptico.Cli.Verify;

/// <summary>
/// Where the parts of an offline bundle are (<see cref="BundleLayout"/>): given the bundle directory, or the envelope
/// file inside one.
/// </summary>
public sealed record OfflineBundle(string Directory, string EnvelopePath, string KeyringPath, string ManifestPath, string ArtifactsDirectory)
{
    public static OfflineBundle Locate(string path, string? keyringPath)
    {
        var directory = System.IO.Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
        var envelope = System.IO.Directory.Exists(path) ? Path.Combine(path, BundleLayout.EnvelopeFile) : path;
        return new OfflineBundle(
            directory,
            envelope,
            keyringPath ?? Path.Combine(directory, BundleLayout.KeyringFile),
            Path.Combine(directory, BundleLayout.ManifestFile),
            Path.Combine(directory, BundleLayout.ArtifactsDirectory));
    }

    /// <summary>Artifacts are files named by their sha256; the verifier only asks for well-formed hashes.</summary>
    public ValueTask<Stream?> OpenArtifact(string sha256, CancellationToken cancellationToken)
    {
        var file = Path.Combine(ArtifactsDirectory, sha256);
        return ValueTask.FromResult<Stream?>(File.Exists(file)
            ? new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true)
            : null);
    }
}
