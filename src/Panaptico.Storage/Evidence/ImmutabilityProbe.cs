using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Panaptico.Core.Evidence;

namespace Panaptico.Storage.Evidence;

/// <summary>
/// Finds out at start-up whether the evidence container is write-once: version-level immutability on the container
/// and a default time-based retention policy that every new blob version inherits (both declared in infra-bicep/).
/// The probe reads; it never sets a policy. Azurite has neither (and answers 501 to the policy calls), so there the
/// report is <c>not-enforced</c>.
/// </summary>
public sealed class ImmutabilityProbe(BlobContainerClient evidence)
{
    /// <summary>A tiny blob written once; in a WORM container it inherits the default policy, which shows the policy is real.</summary>
    public const string ProbeBlobName = "probe/immutability";

    public async Task<ImmutabilityReport> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            var container = (await evidence.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            if (!container.HasImmutableStorageWithVersioning)
            {
                return NotEnforced($"container '{evidence.Name}' does not have version-level immutability");
            }

            var probe = evidence.GetBlobClient(ProbeBlobName);
            try
            {
                await probe.UploadAsync(
                    BinaryData.FromString("immutability probe"),
                    new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                    cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Written by an earlier start: it still carries the policy it was given.
            }

            var policy = (await probe.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ImmutabilityPolicy;
            return policy?.ExpiresOn is { } until
                ? new ImmutabilityReport(ImmutabilityStatus.Enforced, $"version-level immutability, {policy.PolicyMode} retention until {until:O} on new versions")
                : NotEnforced($"container '{evidence.Name}' has version-level immutability but no default time-based retention policy");
        }
        catch (RequestFailedException e) when (e.Status == 501 || e.ErrorCode is "APINotImplemented" or "NotImplemented" or "FeatureNotSupported")
        {
            return NotEnforced($"the storage service does not implement immutability ({e.Status} {e.ErrorCode})");
        }
    }

    private static ImmutabilityReport NotEnforced(string reason) => new(ImmutabilityStatus.NotEnforced, reason);
}
