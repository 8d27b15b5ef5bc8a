namespace Panaptico.Core.Remediation.Patterns.Storage;

/// <summary>The Azure Storage patterns, in id order.</summary>
public static class StoragePatterns
{
    public static IReadOnlyList<ViolationPattern> All { get; } =
    [
        new PublicContainerAccess(),
        new AnyOriginCorsWrite(),
        new BlobSoftDelete(),
        new LongLivedWriteAccessPolicy(),
        new BlobRequestLogging(),
    ];
}
