using Panaptico.Functions.Hosting;
using Panaptico.Storage.Account;
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
}

/// <summary>Governed execution's services: repositories, the rules, the workflow, the expiry timer, its tables at start.</summary>
public static class GovernanceSetup
{
    public const string ExpiryScheduleSetting = "ApprovalExpirySchedule";

    /// <summary>Every minute (six-field NCRONTAB), unless the setting says otherwise.</summary>
    public const string DefaultExpirySchedule = "0 * * * * *";

    public static IServiceCollection AddGovernance(this IServiceCollection services, IConfiguration configuration)
    {
        configuration.AddDefault(ExpiryScheduleSetting, DefaultExpirySchedule);

        var section = configuration.GetSection("Governance");
        services.AddSingleton(new GovernanceOptions
        {
            ApprovalRulesPath = section["ApprovalRulesPath"],
            MaxCheckedArtifactBytes = section.GetValue<long?>("MaxCheckedArtifactBytes") ?? new GovernanceOptions().MaxCheckedArtifactBytes,
        });
        services.AddSingleton(sp => new GovernanceTables(sp.GetRequiredService<StorageAccount>(), sp.GetRequiredService<StorageNames>()));
        services.AddSingleton<TaskRepository>();
        services.AddSingleton<PlanRepository>();
        services.AddSingleton<DependencyIndex>();
        services.AddSingleton<OpenGateIndex>();
        services.AddSingleton<TaskOutbox>();
        services.AddSingleton(sp => new DownstreamRelease(
            sp.GetRequiredService<TaskRepository>(),
            sp.GetRequiredService<DependencyIndex>(),
            sp.GetRequiredService<TaskOutbox>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ApprovalRulesSource>();
        services.AddSingleton<GovernedExecution>();
        services.AddSingleton<CheckedEvidenceVault>();
        services.AddFunction<ApprovalExpiryFunction>(ApprovalExpiryFunction.Name);
        services.AddHostedService<GovernanceBootstrap>();
        return services;
    }
}

/// <summary>Creates the governance tables before the app serves or its timer fires.</summary>
public sealed class GovernanceBootstrap(GovernanceTables tables) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => tables.EnsureCreatedAsync(cancellationToken);

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
