namespace Panaptico.Core.Evidence;

/// <summary>An upload the vault refused; nothing of it is stored. The API answers with <see cref="StatusCode"/>.</summary>
public abstract class ArtifactRejectedException(string message) : Exception(message)
{
    public abstract int StatusCode { get; }
}

/// <summary>Larger than the configured limit: 413 Content Too Large.</summary>
public sealed class ArtifactTooLargeException(long limitBytes)
    : ArtifactRejectedException($"the artifact is larger than the limit of {limitBytes} bytes")
{
    public long LimitBytes { get; } = limitBytes;
    public override int StatusCode => 413;
}

/// <summary>No bytes: evidence of nothing is not evidence (400).</summary>
public sealed class EmptyArtifactException() : ArtifactRejectedException("the artifact is empty")
{
    public override int StatusCode => 400;
}

/// <summary>The bytes received do not hash to what the client said it sent (422).</summary>
public sealed class ArtifactHashMismatchException(string claimedSha256, string actualSha256)
    : ArtifactRejectedException($"the client claimed sha256 {claimedSha256} but the bytes received hash to {actualSha256}")
{
    public string ClaimedSha256 { get; } = claimedSha256;
    public string ActualSha256 { get; } = actualSha256;
    public override int StatusCode => 422;
}

/// <summary>A claimed hash that is not 64 hex digits (400).</summary>
public sealed class MalformedArtifactHashException(string claimed)
    : ArtifactRejectedException($"'{claimed}' is not a sha256 (64 hex digits)")
{
    public override int StatusCode => 400;
}
