using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using Panaptico.Connectors.Drift;
using Panaptico.Connectors.Drift.Snapshots;
using Panaptico.Core.Drift;
using Panaptico.Functions.Hosting;
using Panaptico.Storage.Account;
using Panaptico.Storage.Drift;

namespace Panaptico.Functions.Drift;

/// <summary>Settings under <c>Drift:</c>.</summary>
public sealed record DriftSettings
{
    /// <summary>The routing policy file (YAML), read and validated at start.</summary>
    public string RoutingPolicyPath { get; init; } = "routing-policy.yaml";

    /// <summary>How long an unmatched drift waits for late sources before it counts as unknown source.</summary>
    public TimeSpan SettleWindow { get; init; } = SettlePolicy.Standard.Default;

    /// <summary>
    /// Per source system (<c>Drift:SettleWindows:azure</c>, <c>:entra</c>, <c>:aws</c>…), where its sources arrive
    /// sooner or later than <see cref="SettleWindow"/> allows.
    /// </summary>
    public Dictionary<string, TimeSpan> SettleWindows { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public SettlePolicy Settle => new(SettleWindow) { PerSystem = SettleWindows.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase) };

    /// <summary>The longest settle window: how far back a sweep must read sources.</summary>
    public TimeSpan LongestSettleWindow => SettleWindows.Values.Append(SettleWindow).Max();

    /// <summary>When set, overrides the policy's "change record within" for notable drifts' governed tasks.</summary>
    public TimeSpan? ChangeRecordWithin { get; init; }

    /// <summary>How many objects one read activity reads (the sweep fans out over batches).</summary>
    public int ReadBatchSize { get; init; } = 50;

    /// <summary>The largest body the drift API takes (graph imports, snapshots, source records).</summary>
    public long MaxBodyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Who the sweep acts as in the ledger, tasks and notifications.</summary>
    public string ActorId { get; init; } = "system:drift";
}

/// <summary>
/// The drift feature's services: the connectors (one entry point, <c>AddDriftConnectors</c>), settings, the routing
/// policy, stores, the registry of automation identities, events.
/// </summary>
public static class DriftSetup
{
    public static IServiceCollection AddDrift(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.AddDefault(DriftSweepFunctions.ScheduleSetting, DriftSweepFunctions.DefaultSchedule);
        var section = configuration.GetSection("Drift");
        services.AddOptions<DriftSettings>().Bind(section)
            .Validate(s => s.SettleWindow >= TimeSpan.Zero && s.SettleWindows.Values.All(w => w >= TimeSpan.Zero), "Drift:SettleWindow and Drift:SettleWindows:* must not be negative")
            .Validate(s => s.ReadBatchSize >= 1, "Drift:ReadBatchSize must be at least 1")
            .Validate(s => s.MaxBodyBytes >= 1024, "Drift:MaxBodyBytes must be at least 1 KiB")
            .Validate(s => s.ChangeRecordWithin is null || s.ChangeRecordWithin > TimeSpan.Zero, "Drift:ChangeRecordWithin must be positive")
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<DriftSettings>>().Value);
        services.AddDriftConnectors(configuration);
        services.AddSingleton<RoutingPolicySource>();
        services.AddSingleton(sp => new AutomationIdentityRegistry(Identities(section)));

        services.AddSingleton(sp => new DriftTables(sp.GetRequiredService<StorageAccount>().Tables, sp.GetRequiredService<StorageNames>()));
        services.AddSingleton(sp => new GraphStore(sp.GetRequiredService<DriftTables>(), sp.GetRequiredService<Core.Ledger.ILedgerAppender>()));
        services.AddSingleton(sp => new SourceEventStore(sp.GetRequiredService<DriftTables>()));
        services.AddSingleton(sp => new SweepStore(sp.GetRequiredService<DriftTables>()));
        services.AddSingleton(sp => new DriftStateStore(sp.GetRequiredService<StorageAccount>().Blobs.GetBlobContainerClient(
            sp.GetRequiredService<StorageNames>().Container("drift-state"))));
        services.AddSingleton<DriftEventPublisher>();
        services.AddSingleton<DriftSourceIntake>();
        services.AddSingleton<DriftEventSink>();
        services.AddSingleton<DriftGraph>();
        services.AddSingleton<DriftRemediationHook>();
        services.AddHostedService<DriftBootstrap>();
        return services;
    }

    /// <summary><c>Drift:Automation:N</c>: <c>Id</c> (app id, principal id, role ARN), <c>Kind</c>, <c>Name</c>, <c>Workspaces:N</c>.</summary>
    private static IEnumerable<AutomationIdentity> Identities(IConfigurationSection section) =>
        section.GetSection("Automation").GetChildren().Select(c =>
        {
            if (c["Id"] is not { Length: > 0 } id || !DriftNames.TryParse<AutomationKind>(c["Kind"], out var kind))
            {
                throw new InvalidOperationException($"Drift:Automation:{c.Key} needs an Id and a Kind ({DriftNames.Choices<AutomationKind>()})");
            }
            return new AutomationIdentity(id, kind, c["Name"] ?? id)
            {
                Workspaces = [.. c.GetSection("Workspaces").GetChildren().Select(w => w.Value).OfType<string>()],
            };
        }).ToImmutableArray();
}

/// <summary>
/// The routing policy in force, read once at start: a broken file fails start with every problem named by its line,
/// as a broken approval rules file does.
/// </summary>
public sealed class RoutingPolicySource(DriftSettings settings)
{
    private RoutingPolicy? _policy;

    public string Path => System.IO.Path.IsPathRooted(settings.RoutingPolicyPath)
        ? settings.RoutingPolicyPath
        : System.IO.Path.Combine(AppContext.BaseDirectory, settings.RoutingPolicyPath);

    public RoutingPolicy Policy => _policy ??= Load();

    /// <summary>The policy file's text, as it was read (for the API).</summary>
    public string Text { get; private set; } = "";

    public RoutingPolicy Load()
    {
        if (!File.Exists(Path))
        {
            throw new InvalidOperationException($"the routing policy file {Path} does not exist (Drift:RoutingPolicyPath)");
        }
        Text = File.ReadAllText(Path);
        try
        {
            return _policy = RoutingPolicy.Parse(Text);
        }
        catch (DriftInputException e)
        {
            throw new InvalidOperationException($"the routing policy {Path} is invalid: {string.Join("; ", e.Problems)}", e);
        }
    }
}

/// <summary>Reads the routing policy (failing start when it is broken) and creates the drift tables and state container.</summary>
public sealed class DriftBootstrap(
    RoutingPolicySource policy, DriftTables tables, DriftStateStore state, ISnapshotStore snapshots, ILogger<DriftBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var loaded = policy.Load();
        logger.LogInformation("Routing policy {Policy} in force: {Rules} rules", loaded.Name, loaded.Rules.Length);
        await Task.WhenAll(
            tables.EnsureCreatedAsync(cancellationToken),
            state.EnsureCreatedAsync(cancellationToken),
            snapshots is BlobSnapshotStore blobs ? blobs.EnsureCreatedAsync(cancellationToken) : Task.CompletedTask);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
