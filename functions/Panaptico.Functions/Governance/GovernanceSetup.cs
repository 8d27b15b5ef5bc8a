using System.Xml;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Governance;

namespace Panaptico.Functions.Governance;

/// <summary>Settings under <c>Governance:</c>.</summary>
public sealed record GovernanceOptions
{
    /// <summary>The approval routing rules (YAML). Default: <c>approval-routes.yaml</c> beside the app.</summary>
    public string? ApprovalRulesPath { get; init; }

    /// <summary>
    /// Artifacts of a requirement with a machine check are read back from the vault to run the check, so their uploads
    /// are capped here (413 above it); unchecked artifacts are only hashed and may go up to the vault's own limit.
    /// </summary>
    public long MaxCheckedArtifactBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>
    /// How long a write's follow-up waits before it looks at the task (<c>Governance:FollowUpDelay</c>, ISO 8601,
    /// default PT1M): by then the writer has normally dispatched its own effects, so the look finds nothing to do.
    /// </summary>
    public TimeSpan FollowUpDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How many times the follow-up looks for the write before deciding it never committed (default 5).</summary>
    public int FollowUpLooks { get; init; } = 5;

    /// <summary>How long <c>complete</c> waits for the downstream release to report what it released (default PT30S).</summary>
    public TimeSpan ReleaseWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long running a runbook step's live check waits for its result before answering 202 (default PT30S).</summary>
    public TimeSpan LiveCheckWait { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Governed execution's services: repositories, the outbox, the rules, the workflow, its tables at start.</summary>
public static class GovernanceSetup
{
    public static IServiceCollection AddGovernance(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("Governance");
        var defaults = new GovernanceOptions();
        services.AddSingleton(new GovernanceOptions
        {
            ApprovalRulesPath = section["ApprovalRulesPath"],
            MaxCheckedArtifactBytes = section.GetValue<long?>("MaxCheckedArtifactBytes") ?? defaults.MaxCheckedArtifactBytes,
            FollowUpDelay = Duration(section, "FollowUpDelay") ?? defaults.FollowUpDelay,
            FollowUpLooks = section.GetValue<int?>("FollowUpLooks") ?? defaults.FollowUpLooks,
            ReleaseWait = Duration(section, "ReleaseWait") ?? defaults.ReleaseWait,
            LiveCheckWait = Duration(section, "LiveCheckWait") ?? defaults.LiveCheckWait,
        });
        services.AddLiveChecks();
        services.AddSingleton(sp => new GovernanceTables(sp.GetRequiredService<Storage.Account.StorageAccount>(), sp.GetRequiredService<Storage.Account.StorageNames>()));
        services.AddSingleton<TaskRepository>();
        services.AddSingleton<PlanRepository>();
        services.AddSingleton<DependencyIndex>();
        services.AddSingleton<TaskOutbox>();
        services.AddSingleton<DownstreamRelease>();
        services.AddSingleton<ApprovalRulesSource>();
        services.AddSingleton<GovernedExecution>();
        services.AddSingleton<CheckedEvidenceVault>();
        services.AddHostedService<GovernanceBootstrap>();
        return services;
    }

    /// <summary>ISO 8601 (PT1M) as the rules and requests write durations, or a TimeSpan (00:01:00).</summary>
    private static TimeSpan? Duration(IConfigurationSection section, string key)
    {
        if (section[key] is not { Length: > 0 } text)
        {
            return null;
        }

        if (text.StartsWith('P') || text.StartsWith("-P", StringComparison.Ordinal))
        {
            try
            {
                return XmlConvert.ToTimeSpan(text);
            }
            catch (FormatException e)
            {
                throw new InvalidOperationException($"Governance:{key} '{text}' is not a duration (ISO 8601, e.g. PT1M)", e);
            }
        }

        return TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var span)
            ? span
            : throw new InvalidOperationException($"Governance:{key} '{text}' is not a duration (ISO 8601, e.g. PT1M)");
    }
}

/// <summary>Creates the governance tables before the app serves or an orchestration runs.</summary>
public sealed class GovernanceBootstrap(GovernanceTables tables, ApprovalRulesSource rules) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A missing or broken rules file fails the start, not the first routing at 3 a.m.
        _ = rules.Rules;
        return tables.EnsureCreatedAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The evidence vault with the smaller cap for artifacts read back for their machine check.</summary>
public sealed class CheckedEvidenceVault(EvidenceVault vault, EvidenceVaultOptions options, GovernanceOptions governance, TimeProvider time)
{
    public EvidenceVault Vault { get; } = new(
        vault.Container,
        options with { MaxArtifactBytes = Math.Min(options.MaxArtifactBytes, governance.MaxCheckedArtifactBytes) },
        time);
}
