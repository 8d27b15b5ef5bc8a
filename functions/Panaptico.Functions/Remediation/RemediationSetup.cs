using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Panaptico.Connectors.AzureStorage;
using Panaptico.Connectors.Kms;
using Panaptico.Connectors.S3;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Functions.Governance;
using Panaptico.Functions.Hosting;
using Panaptico.Storage.Account;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Remediation;

/// <summary>Settings under <c>Remediation:</c> that are not the chain's policy.</summary>
public sealed record RemediationSettings
{
    /// <summary>Who requests the changes the scan and the event path open; never their approver.</summary>
    public string DetectorId { get; init; } = "system:violation-scan";

    /// <summary>How many findings a detection assesses and schedules at once.</summary>
    public int ScanParallelism { get; init; } = 16;

    /// <summary>How many times a step's activity runs before the change parks as stuck (the orchestration's retry policy).</summary>
    public int StepAttempts { get; init; } = 5;

    /// <summary>The wait before a step's first retry; it doubles on each further one (up to 5 minutes).</summary>
    public TimeSpan StepRetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How many times a Teams delivery runs before it is recorded as undelivered and the chain goes on.</summary>
    public int DeliveryAttempts { get; init; } = 4;

    /// <summary>The wait before a delivery's first retry; it doubles on each further one (up to 1 minute).</summary>
    public TimeSpan DeliveryRetryInterval { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// The remediation chain's services: the policy and the pure chain, the changes table, the detection intake, the
/// governed accounts, and its table and rollback vault at start. The function classes (<see cref="ChangeFunctions"/>,
/// <see cref="ViolationScan"/>, <see cref="ResourceEvents"/>, <see cref="RemediationChain"/>,
/// <see cref="RemediationActivities"/>) are made by the host from these.
/// </summary>
public static class RemediationSetup
{
    public static IServiceCollection AddRemediation(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        // %ViolationScanSchedule% must resolve when no app setting names it: a default beneath every other source, so
        // settings, environment and tests still override it. (In Azure the deployment's app settings set it.)
        configuration.AddDefault(ViolationScan.ScheduleSetting, ViolationScan.DefaultSchedule);

        var section = configuration.GetSection("Remediation");
        services.AddOptions<RemediationSettings>().Bind(section)
            .Validate(s => !string.IsNullOrWhiteSpace(s.DetectorId), "Remediation:DetectorId must name the detector")
            .Validate(s => s.StepAttempts >= 1, "Remediation:StepAttempts must be at least 1")
            .Validate(s => s.StepRetryInterval > TimeSpan.Zero, "Remediation:StepRetryInterval must be positive")
            .Validate(s => s.DeliveryAttempts >= 1 && s.DeliveryRetryInterval > TimeSpan.Zero, "Remediation:DeliveryAttempts must be at least 1 and Remediation:DeliveryRetryInterval positive")
            .Validate(s => s.ScanParallelism >= 1, "Remediation:ScanParallelism must be at least 1")
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<RemediationSettings>>().Value);
        services.AddSingleton(Policy(section));
        services.TryAddSingleton(PatternRegistry.Default);
        // TryAdd: tests and the demo may put in their own accounts before this runs.
        services.TryAddSingleton(sp => Accounts(section, sp));
        // A production change's approval is routed by the governance rules; read lazily so a missing file fails routing, not start-up.
        services.TryAddSingleton(sp => new ChangeChain(
            sp.GetRequiredService<PatternRegistry>(),
            sp.GetRequiredService<RemediationPolicy>(),
            sp.GetService<ApprovalRulesSource>() is { } rules ? () => rules.Rules : null));

        services.AddSingleton(sp => ChangesTable(sp));
        services.AddSingleton(sp => new ChangeTable(ChangesTable(sp)));
        services.AddSingleton(sp => new ChangeIdCounter(ChangesTable(sp)));
        services.AddSingleton(sp => new OpenChangeIndex(ChangesTable(sp)));
        services.AddSingleton<ChangeIntake>();
        services.AddSingleton<ChangeDecisions>();
        services.AddHostedService<RemediationBootstrap>();
        return services;
    }

    private static Azure.Data.Tables.TableClient ChangesTable(IServiceProvider sp) =>
        sp.GetRequiredService<StorageAccount>().Tables.GetTableClient(sp.GetRequiredService<StorageNames>().Table("changes"));

    private static RemediationPolicy Policy(IConfigurationSection section)
    {
        var defaults = new RemediationPolicy();
        var owners = section.GetSection("Owners");
        var tagKeys = owners.GetSection("TagKeys").Get<string[]>();
        var policy = defaults with
        {
            ApprovalExpiry = section.GetValue<TimeSpan?>("ApprovalExpiry") ?? defaults.ApprovalExpiry,
            RollbackWindow = section.GetValue<TimeSpan?>("RollbackWindow") ?? defaults.RollbackWindow,
            ExceptionDuration = section.GetValue<TimeSpan?>("ExceptionDuration") ?? defaults.ExceptionDuration,
            AutoApproveNonProduction = section.GetValue<bool?>("AutoApproveNonProduction") ?? defaults.AutoApproveNonProduction,
            AuditChannel = section["AuditChannel"] ?? defaults.AuditChannel,
            Owners = new OwnerTaggingMap(
                tagKeys is { Length: > 0 } ? tagKeys : defaults.Owners.TagKeys,
                owners.GetSection("Addresses").GetChildren().Where(c => c.Value is not null)
                    .ToDictionary(c => c.Key, c => c.Value!, StringComparer.OrdinalIgnoreCase),
                owners["Fallback"] ?? defaults.Owners.Fallback),
        };
        if (policy.ApprovalExpiry <= TimeSpan.Zero || policy.RollbackWindow <= TimeSpan.Zero || policy.ExceptionDuration <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Remediation:ApprovalExpiry, Remediation:RollbackWindow and Remediation:ExceptionDuration must be positive");
        }
        return policy;
    }

    /// <summary>
    /// <c>Remediation:Accounts:N</c>, each an Azure storage account, (<c>Provider</c> = <c>s3</c>) an S3 account, or
    /// (<c>Provider</c> = <c>kms</c>) the KMS keys of an AWS account and region (<see cref="KmsAccount"/>).
    /// Azure: <c>ConnectionString</c>, or <c>AccountName</c> (managed identity), or neither for the app's own account;
    /// <c>ContainerPrefix</c> and <c>IncludeBlobService</c>. S3: <c>Name</c>, <c>ServiceUrl</c> (default the region's AWS
    /// endpoint), <c>AccessKeyId</c>, <c>SecretAccessKey</c>, <c>Region</c> (default us-east-1) and <c>BucketPrefix</c>.
    /// Both: <c>Tags:key=value</c>, tags every asset of the account inherits (ARM tags, which the data plane cannot read;
    /// for S3, e.g. <c>env=prod</c> for a prefix of production buckets where the endpoint has no bucket tagging). None
    /// configured: the app's own account; when the app runs under a storage prefix (side by side with others on one
    /// account), only its own prefixed containers and not the account-wide blob service.
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
            var tags = account.GetSection("Tags").GetChildren().Where(t => t.Value is not null)
                .ToDictionary(t => t.Key, t => t.Value!, StringComparer.OrdinalIgnoreCase);
            if (string.Equals(account["Provider"], "s3", StringComparison.OrdinalIgnoreCase))
            {
                return S3Account(account, tags, time);
            }
            if (string.Equals(account["Provider"], "kms", StringComparison.OrdinalIgnoreCase))
            {
                return KmsAccount(account, tags, time);
            }
            if (account["Provider"] is { Length: > 0 } provider && !string.Equals(provider, "azure", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"{account.Path}:Provider is '{provider}'; it is azure (the default), s3 or kms");
            }
            var client = account["ConnectionString"] is { Length: > 0 } connectionString ? new BlobServiceClient(connectionString)
                : account["AccountName"] is { Length: > 0 } name ? new BlobServiceClient(new Uri($"https://{name}.blob.core.windows.net"), sp.GetRequiredService<Azure.Core.TokenCredential>())
                : own;
            return new GovernedAccount(
                new AzureStorageConnector(client, tags, time),
                account["ContainerPrefix"] ?? "",
                account.GetValue<bool?>("IncludeBlobService") ?? true)
            { AccountTags = tags };
        }));
    }

    private static GovernedAccount S3Account(IConfigurationSection account, Dictionary<string, string> tags, TimeProvider time)
    {
        string Required(string key) => account[key] is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{account.Path}:{key} is required for an S3 account");
        var region = account["Region"] is { Length: > 0 } r ? r : "us-east-1";
        var endpoint = new S3Endpoint(
            new Uri(account["ServiceUrl"] is { Length: > 0 } url ? url : $"https://s3.{region}.amazonaws.com"),
            Required("AccessKeyId"),
            Required("SecretAccessKey"),
            region);
        var prefix = account["BucketPrefix"] ?? "";
        return new GovernedAccount(new S3Connector(Required("Name"), endpoint.CreateClient(), prefix, tags, time), prefix) { AccountTags = tags };
    }

    /// <summary>
    /// A KMS account: <c>Name</c>, <c>AccountId</c> and <c>Region</c> (required: a key's asset id names both),
    /// <c>ServiceUrl</c>, <c>AccessKeyId</c>/<c>SecretAccessKey</c> (default the SDK's credential chain), <c>PageSize</c>,
    /// and the governed key scope as the <c>Kms:</c> settings name it: <c>KeyIds:N</c>, <c>AliasPrefix</c>,
    /// <c>KeyTags:key=value</c> (<c>Tags</c> stays the tags every key inherits, as for the other accounts).
    /// </summary>
    private static GovernedAccount KmsAccount(IConfigurationSection account, Dictionary<string, string> tags, TimeProvider time)
    {
        string Required(string key) => account[key] is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{account.Path}:{key} is required for a KMS account");
        var options = new KmsOptions
        {
            Region = Required("Region"),
            AccountId = Required("AccountId"),
            ServiceUrl = account["ServiceUrl"],
            AccessKeyId = account["AccessKeyId"],
            SecretAccessKey = account["SecretAccessKey"],
            PageSize = account.GetValue<int?>("PageSize") ?? new KmsOptions().PageSize,
            KeyIds = [.. account.GetSection("KeyIds").GetChildren().Select(c => c.Value).OfType<string>()],
            AliasPrefix = account["AliasPrefix"],
            Tags = account.GetSection("KeyTags").GetChildren().Where(t => t.Value is not null).ToDictionary(t => t.Key, t => t.Value!, StringComparer.Ordinal),
        };
        if (options.Scope.IsEmpty)
        {
            throw new InvalidOperationException($"{account.Path} governs no key: set KeyIds, AliasPrefix or KeyTags");
        }
        var kms = new KmsConnector(KmsConnector.CreateClient(options), options);
        return new GovernedAccount(new KmsKeyConnector(Required("Name"), kms, options, tags, time)) { AccountTags = tags };
    }
}

/// <summary>Creates the changes table and the rollback vault before the app serves or triggers fire.</summary>
public sealed class RemediationBootstrap(ChangeTable changes, RollbackVault vault) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(changes.EnsureCreatedAsync(cancellationToken), vault.EnsureCreatedAsync(cancellationToken));

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
