using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Panaptico.Core.Drift;

namespace Panaptico.Core.Tests.Drift;

/// <summary>The seed's objects and people, and small builders for graphs, live reads and sources.</summary>
internal static class DriftSamples
{
    public static readonly DateTimeOffset T0 = new(2026, 4, 15, 14, 0, 0, TimeSpan.Zero);

    public static readonly ObjectOwner Finance = new("finance-platform", "oncall-finance", "dpark");

    public static readonly ReasonOfRecord Run2841 = new(ReasonKind.TerraformRun, "run-SFSeL9fg6Kibje8L", "commit a4f2…e991");

    public const string TerraformAppId = "9a1c0b5e-0000-4000-8000-00000000tf01";

    public static readonly AutomationIdentityRegistry Identities = new(
    [
        new AutomationIdentity(TerraformAppId, AutomationKind.Terraform, "terraform-finance") { Workspaces = ["finance-prod"] },
        new AutomationIdentity("AWS Internal", AutomationKind.Vendor, "aws"),
        new AutomationIdentity("5c3f0000-scim-4000-8000-000000000001", AutomationKind.Scim, "Okta SCIM provisioning"),
    ]);

    public static RoutingPolicy Policy { get; } = RoutingPolicy.Parse(File.ReadAllText(RepositoryFile("src", "Panaptico.Core", "Drift", "routing-policy.sample.yaml")));

    public static GraphObject Object(string id, params (string Field, IntendedValue Intent)[] fields) =>
        new(id, "service-principal", "entra", "entra", "tenant/contoso", Finance)
        {
            Fields = fields.ToDictionary(f => f.Field, f => f.Intent),
            Workspace = "finance-prod",
        };

    public static IntendedValue Intent(JsonNode? value, ReasonOfRecord? reason = null) => new(value, reason ?? Run2841);

    public static ImplementationGraph Graph(params GraphObject[] objects) => ImplementationGraph.Restore(1, objects);

    public static LiveObject Live(string id, DateTimeOffset at, params (string Field, JsonNode? Value)[] fields) =>
        new(id, fields.ToDictionary(f => f.Field, f => f.Value), at);

    public static LiveState Read(DateTimeOffset at, params LiveObject[] objects) => LiveState.Of(objects, at);

    public static SweepInput Sweep(ImplementationGraph graph, LiveState live, DriftMemory memory, DateTimeOffset at, params SourceEvent[] sources) =>
        new(graph, live, memory, SourceIndex.Build(sources), Identities, Policy, at);

    /// <summary>A Terraform Cloud run, as <see cref="SourceEvents"/> makes it.</summary>
    public static SourceEvent Run(string id, string workspace, DateTimeOffset applying, DateTimeOffset applied, string? ticket = "CHG-00604") =>
        new(SourceKind.TerraformRun, id, applied)
        {
            Workspace = workspace,
            WindowStart = applying,
            WindowEnd = applied,
            Actor = "j.tran",
            ActorName = "j.tran",
            Details = ticket is null
                ? ImmutableDictionary<string, string>.Empty.Add(SourceDetail.Commit, "a4f2c0de5b7e11aa0e991").Add(SourceDetail.Sender, "j.tran")
                : ImmutableDictionary<string, string>.Empty.Add(SourceDetail.Commit, "a4f2c0de5b7e11aa0e991").Add(SourceDetail.Sender, "j.tran").Add(SourceDetail.Ticket, ticket),
        };

    public static string RepositoryFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine([dir.FullName, .. parts]);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{Path.Combine(parts)} not found above the test binaries");
    }
}
