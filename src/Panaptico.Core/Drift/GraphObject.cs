using System.Collections.Immutable;

namespace Panaptico.Core.Drift;

/// <summary>Who answers for an object: the team, who is paged, and who approved its intent.</summary>
public sealed record ObjectOwner(string Team, string OnCall, string ApproverOfRecord);

/// <summary>An edge of the graph, e.g. <c>member-of → group/fin-admins</c>, <c>depends-on → …</c>.</summary>
public sealed record ObjectRelationship(string Kind, string Target);

/// <summary>
/// One node of the implementation graph: an object we hold intent for, read through the connector of
/// <see cref="Connector"/> kind.
/// </summary>
/// <param name="Id">Our id for it, e.g. <c>azure/sp/finance-etl-prod</c> or an ARM resource id.</param>
/// <param name="Kind">What it is: service-principal, sensor-policy, warehouse, kms-key, …</param>
/// <param name="SourceSystem">The system it lives in: azure, entra, crowdstrike, okta, snowflake, aws, datadog, vault, workday.</param>
/// <param name="Connector">The connector kind that reads it (<see cref="IDriftConnector.Kind"/>): azure-storage, entra, snapshot.</param>
/// <param name="Scope">Where it lives: subscription/resource group, tenant, account, …</param>
public sealed record GraphObject(string Id, string Kind, string SourceSystem, string Connector, string Scope, ObjectOwner Owner)
{
    public ImmutableArray<ObjectRelationship> Relationships { get; init; } = [];

    /// <summary>Field name → intended value. Fields absent here are not reconciled.</summary>
    public IReadOnlyDictionary<string, IntendedValue> Fields { get; init; } = ImmutableDictionary<string, IntendedValue>.Empty;

    /// <summary>
    /// The identifiers change sources use for this object (ARM resource id, Entra object id, KMS key id or ARN, a
    /// vendor's name for it). Attribution matches source events on <see cref="Id"/> and these, case-insensitively.
    /// </summary>
    public ImmutableArray<string> Aliases { get; init; } = [];

    /// <summary>The Terraform Cloud workspace that manages the object, when one does: runs there can explain its drift.</summary>
    public string? Workspace { get; init; }

    /// <summary>Every name a source event may use for this object.</summary>
    public IEnumerable<string> References => Aliases.IsDefaultOrEmpty ? [Id] : Aliases.Prepend(Id);
}
