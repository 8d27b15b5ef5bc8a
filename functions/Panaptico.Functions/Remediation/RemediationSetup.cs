using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Panaptico.Connectors.AzureStorage;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Functions.Governance;
using Panaptico.Functions.Hosting;
using Panaptico.Storage.Account;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Ledger;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Remediation;

/// <summary>Settings under <c>Remediation:</c> that are not the chain's policy.</summary>
public sealed record RemediationSettings
{
    /// <summary>Who requests the changes the scan and the event path open; never their approver.</summary>
    public string DetectorId { get; init; } = "system:violation-scan";
}

/// <summary>
/// The remediation chain's services: the policy, the durable chain on the app's storage, the governed accounts,
/// the scan, step and event functions, and its table and queue at start.
/// </summary>
public static class RemediationSetup
{
    public const string ScheduleSetting = "ViolationScanSchedule";
    public const string QueueSetting = "RemediationQueue";

    /// <summary>Every minute (six-field NCRONTAB), unless the setting says otherwise.</summary>
    public const string DefaultSchedule = "0 * * * * *";

    public static IServiceCollection AddRemediation(this IServiceCollection services, IConfiguration configuration)
    {
        // %ViolationScanSchedule% and %RemediationQueue% must resolve in standalone mode: defaults go in beneath
        // every other source, so settings, environment and tests still override them. (In Azure the host resolves
        // them from app settings, which the deployment sets.)
        var names = new StorageNames(configuration["Panaptico:StoragePrefix"] ?? "");
        configuration.AddDefault(ScheduleSetting, DefaultSchedule);
        configuration.AddDefault(QueueSetting, names.Queue("remediation"));

        var section = configuration.GetSection("Remediation");
        services.AddSingleton(new RemediationSettings { DetectorId = section["DetectorId"] ?? new RemediationSettings().DetectorId });
        services.AddSingleton(Policy(section));
        services.AddSingleton(new DurableChainOptions
        {
            DispatchLease = section.GetValue<TimeSpan?>("DispatchLease") ?? new DurableChainOptions().DispatchLease,
            Parallelism = section.GetValue<int?>("ScanParallelism") ?? new DurableChainOptions().Parallelism,
            // 0 sends every step through the queue.
            MaxInlineSteps = section.GetValue<int?>("MaxInlineSteps") ?? new DurableChainOptions().MaxInlineSteps,
        });
        services.TryAddSingleton(PatternRegistry.Default);
        // TryAdd: tests put in a fault harness, an observer or their own accounts before this runs.
        services.TryAddSingleton(ChainFaults.None);
        services.TryAddSingleton<ChainObserver>();
        services.TryAddSingleton(sp => Accounts(section, sp));
        services.AddSingleton(sp => Chain(sp, configuration));

        // TryAdd rather than AddFunction: a test root that declares its own function under one of these names keeps it.
        services.TryAddKeyedScoped<IFunctionHandler, ViolationScanFunction>(ViolationScanFunction.Name);
        services.TryAddKeyedScoped<IFunctionHandler, RemediationStepFunction>(RemediationStepFunction.Name);
        services.TryAddKeyedScoped<IFunctionHandler, ResourceEventsFunction>(ResourceEventsFunction.Name);
        services.AddHostedService<RemediationBootstrap>();
        return services;
    }

    private static DurableChangeChain Chain(IServiceProvider sp, IConfiguration configuration)
    {
        var storage = sp.GetRequiredService<StorageAccount>();
        var names = sp.GetRequiredService<StorageNames>();
        var table = storage.Tables.GetTableClient(names.Table("changes"));
        var queue = storage.Queues.GetQueueClient(configuration[QueueSetting]
            ?? throw new InvalidOperationException($"app setting '{QueueSetting}' is not set"));
        var patterns = sp.GetRequiredService<PatternRegistry>();
        return new DurableChangeChain(
            // A production change's approval is routed by the governance rules; read lazily so a missing file fails routing, not start-up.
            new ChangeChain(patterns, sp.GetRequiredService<RemediationPolicy>(),
                sp.GetService<ApprovalRulesSource>() is { } rules ? () => rules.Rules : null),
            patterns,
            new ChangeTable(table),
            new ChangeIdCounter(table),
            new OpenChangeIndex(table),
            queue,
            sp.GetRequiredService<RollbackVault>(),
            sp.GetRequiredService<GovernedAccounts>(),
            sp.GetRequiredService<ILedgerAppender>(),
            new LedgerReplayCheck(sp.GetRequiredService<TableLedger>()),
            sp.GetRequiredService<INotifier>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<DurableChainOptions>(),
            sp.GetRequiredService<ChainFaults>(),
            sp.GetRequiredService<ChainObserver>());
    }

    private static RemediationPolicy Policy(IConfigurationSection section)
    {
        var defaults = new RemediationPolicy();
        var owners = section.GetSection("Owners");
        var tagKeys = owners.GetSection("TagKeys").Get<string[]>();
        return defaults with
        {
            ApprovalExpiry = section.GetValue<TimeSpan?>("ApprovalExpiry") ?? defaults.ApprovalExpiry,
            RollbackWindow = section.GetValue<TimeSpan?>("RollbackWindow") ?? defaults.RollbackWindow,
            AutoApproveNonProduction = section.GetValue<bool?>("AutoApproveNonProduction") ?? defaults.AutoApproveNonProduction,
            AuditChannel = section["AuditChannel"] ?? defaults.AuditChannel,
            Owners = new OwnerTaggingMap(
                tagKeys is { Length: > 0 } ? tagKeys : defaults.Owners.TagKeys,
                owners.GetSection("Addresses").GetChildren().Where(c => c.Value is not null)
                    .ToDictionary(c => c.Key, c => c.Value!, StringComparer.OrdinalIgnoreCase),
                owners["Fallback"] ?? defaults.Owners.Fallback),
        };
    }

    /// <summary>
    /// <c>Remediation:Accounts:N</c>: <c>ConnectionString</c>, or <c>AccountName</c> (managed identity), or neither for the
    /// app's own account; <c>ContainerPrefix</c>, <c>IncludeBlobService</c> and <c>Tags:key=value</c> (the account's ARM
    /// tags, which the data plane cannot read). None configured: the app's own account; when the app runs under a
    /// storage prefix (side by side with others on one account), only its own prefixed containers and not the
    /// account-wide blob service.
    /// </summary>
    private static GovernedAccounts Accounts(IConfigurationSection section, IServiceProvider sp)
    {
        var time = sp.GetRequiredService<TimeProvider>();
        var own = sp.GetRequiredService<StorageAccount>().Blobs;
        var configured = section.GetSection("Accounts").GetChildren().ToList();
        if (configured.Count == 0)
        {
            var prefix = sp.GetRequiredService<StorageNames>().Prefix;
            var connector = new AzureStorageConnector(own, new Dictionary<string, string>(), time);
            return new GovernedAccounts([prefix.Length == 0
                ? new GovernedAccount(connector)
                : new GovernedAccount(connector, prefix + "-", IncludeBlobService: false)]);
        }
        return new GovernedAccounts(configured.Select(account =>
        {
            var client = account["ConnectionString"] is { Length: > 0 } connectionString ? new BlobServiceClient(connectionString)
                : account["AccountName"] is { Length: > 0 } name ? new BlobServiceClient(new Uri($"https://{name}.blob.core.windows.net"), new DefaultAzureCredential())
                : own;
            var tags = account.GetSection("Tags").GetChildren().Where(t => t.Value is not null)
                .ToDictionary(t => t.Key, t => t.Value!, StringComparer.OrdinalIgnoreCase);
            return new GovernedAccount(
                new AzureStorageConnector(client, tags, time),
                account["ContainerPrefix"] ?? "",
                account.GetValue<bool?>("IncludeBlobService") ?? true)
            { AccountTags = tags };
        }));
    }
}

/// <summary>Creates the changes table, the remediation queue and the rollback vault before the app serves or triggers fire.</summary>
public sealed class RemediationBootstrap(DurableChangeChain chain) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => chain.EnsureCreatedAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
