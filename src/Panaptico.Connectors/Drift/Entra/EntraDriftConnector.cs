using Microsoft.Graph;
using Microsoft.Graph.Models;
using Panaptico.Core.Drift;

namespace Panaptico.Connectors.Drift.Entra;

/// <summary>
/// Live state of Microsoft Entra objects: a graph object of kind service-principal, group or application whose id or
/// an alias is its Entra object id (a GUID), read through Microsoft Graph (<see cref="EntraReader"/> names the fields).
/// A service principal can be frozen: <c>accountEnabled</c> false, so no token is issued for it until people look.
/// </summary>
public sealed class EntraDriftConnector(EntraReader reader, GraphServiceClient graph, TimeProvider time) : IFreezableConnector
{
    public const string ConnectorKind = "entra";

    public string Kind => ConnectorKind;

    public async Task<LiveObject> ReadAsync(GraphObject obj, CancellationToken ct)
    {
        var fields = await reader.ReadAsync(obj.Kind, EntraIdOf(obj), ct);
        return new LiveObject(obj.Id, fields, time.GetUtcNow());
    }

    public async Task<FreezeOutcome> FreezeAsync(GraphObject obj, string reason, CancellationToken ct)
    {
        if (obj.Kind != EntraKinds.ServicePrincipal)
        {
            return new FreezeOutcome(false, $"an Entra {obj.Kind} has no freeze; only a service principal can be disabled");
        }
        var id = EntraIdOf(obj);
        var fields = await reader.ReadServicePrincipalAsync(id, ct);
        if (fields["accountEnabled"]?.GetValue<bool>() == false)
        {
            return new FreezeOutcome(true, $"service principal {id} was already disabled");
        }
        // Absolute state: a retried freeze sends the same PATCH.
        await graph.ServicePrincipals[id].PatchAsync(new ServicePrincipal { AccountEnabled = false }, cancellationToken: ct);
        return new FreezeOutcome(true, $"service principal {id}: accountEnabled true → false");
    }

    /// <exception cref="ArgumentException">Neither the id nor an alias is an Entra object id.</exception>
    public static string EntraIdOf(GraphObject obj)
    {
        foreach (var reference in obj.References)
        {
            if (Guid.TryParse(reference, out var id))
            {
                return id.ToString();
            }
        }
        throw new ArgumentException($"graph object {obj.Id} names no Entra object id (a GUID) in its id or aliases", nameof(obj));
    }
}
