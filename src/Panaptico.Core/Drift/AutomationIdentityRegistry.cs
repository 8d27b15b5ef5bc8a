using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Drift;

/// <summary>What an automation identity is, and so what its changes mean.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AutomationKind>))]
public enum AutomationKind
{
    /// <summary>The Terraform service principal / role: its changes are explained by a run in the object's workspace.</summary>
    Terraform,

    /// <summary>A vendor's app or service (AWS Internal, a SaaS vendor's integration): expected changes.</summary>
    Vendor,

    /// <summary>The SCIM provisioning app: membership and user syncs.</summary>
    Scim,

    /// <summary>Our own remediation chain: explained by its change record.</summary>
    Remediation,
}

/// <summary>One automation identity: the id sources show (app id, service principal id, role ARN, "AWS Internal").</summary>
public sealed record AutomationIdentity(string Id, AutomationKind Kind, string Name)
{
    /// <summary>For a Terraform identity: the workspaces it applies (empty: any).</summary>
    public ImmutableArray<string> Workspaces { get; init; } = [];
}

/// <summary>The registry of automation identities, looked up by the acting identity of a source record (case-insensitive).</summary>
public sealed class AutomationIdentityRegistry
{
    private readonly Dictionary<string, AutomationIdentity> _byId;

    public AutomationIdentityRegistry(IEnumerable<AutomationIdentity> identities)
    {
        _byId = new Dictionary<string, AutomationIdentity>(StringComparer.OrdinalIgnoreCase);
        foreach (var identity in identities)
        {
            _byId[identity.Id] = identity;
        }
    }

    public static AutomationIdentityRegistry Empty { get; } = new([]);

    public IReadOnlyCollection<AutomationIdentity> Identities => _byId.Values;

    public AutomationIdentity? Find(string? actor) => actor is null ? null : _byId.GetValueOrDefault(actor);
}
