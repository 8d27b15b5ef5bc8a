using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Graph;
using Moq;
using Panaptico.Connectors.AzureStorage;
using Panaptico.Connectors.Graph;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Remediation;
using Panaptico.Functions.Teams;
using Panaptico.Storage.Account;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Remediation;
using Panaptico.Storage.Teams;
using Panaptico.Testing;

namespace Panaptico.Functions.Tests.Remediation;

/// <summary>What a test changes about the chain's world; everything else is the app's default.</summary>
public sealed record ChainWorldOptions
{
    public TimeSpan ApprovalExpiry { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>Short enough for a test to see the window close when it means to; long enough to revert inside it when it does not.</summary>
    public TimeSpan RollbackWindow { get; init; } = TimeSpan.FromMinutes(30);

    public int StepAttempts { get; init; } = 3;

    public TimeSpan StepRetryInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public string DetectorId { get; init; } = "system:violation-scan";

    /// <summary>Null: the shipped library, run through the orchestrator's own <c>[Function]</c> method.</summary>
    public PatternRegistry? Patterns { get; init; }

    /// <summary>Null: the rules file shipped beside the app.</summary>
    public ApprovalRules? Rules { get; init; }

    /// <summary>The Teams settings (fakes' URLs); the default has no bot, so delivery does nothing.</summary>
    public TeamsOptions Teams { get; init; } = new();

    /// <summary>Where the directory and the activity feed reach Graph (the Teams fakes' Graph); the default is never called without a bot.</summary>
    public GraphOptions Graph { get; init; } = new();

    public int DeliveryAttempts { get; init; } = 3;

    public TimeSpan DeliveryRetryInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>
/// One remediation test's world: the orchestration and its activities on the in-process Durable Task test host, the
/// activities' services real on the run's Azurite (changes table, rollback vault, the storage connector behind a
/// counting decorator), the ledger and notifier as Moq seams that record, and the function classes called directly
/// with requests authenticated as the app authenticates them (HTTP end to end is the standalone host's to test).
/// </summary>
public sealed class ChainWorld : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly ServiceProvider _http;

    private ChainWorld(ChainWorldOptions options, string connectionString, DevelopmentIssuer issuer)
    {
        Options = options;
        Issuer = issuer;
        _http = HttpServices(issuer);
        Blobs = new BlobServiceClient(connectionString);
        Storage = StorageAccount.FromConnectionString(connectionString);
        Names = new StorageNames(TestStorage.UniqueName("rem"));
        Connector = new CountingConnector(new AzureStorageConnector(Blobs, new Dictionary<string, string>(), TimeProvider.System));
        Patterns = options.Patterns ?? PatternRegistry.Default;
        var table = Storage.Tables.GetTableClient(Names.Table("changes"));
        Changes = new ChangeTable(table);
        Vault = new RollbackVault(Storage.Blobs.GetBlobContainerClient(Names.RollbackVaultContainer), TimeProvider.System);
        Accounts = new GovernedAccounts([new GovernedAccount(Connector, ContainerPrefix, IncludeBlobService: false)]);
        Chain = new ChangeChain(Patterns, new RemediationPolicy
        {
            ApprovalExpiry = options.ApprovalExpiry,
            RollbackWindow = options.RollbackWindow,
            Owners = new OwnerTaggingMap(["owner", "team"], new Dictionary<string, string> { ["platform-security"] = "platform-security@acme.example" }, "fallback@acme.example"),
        }, options.Rules ?? ShippedRules.Value);
        var settings = new RemediationSettings
        {
            DetectorId = options.DetectorId,
            StepAttempts = options.StepAttempts,
            StepRetryInterval = options.StepRetryInterval,
            DeliveryAttempts = options.DeliveryAttempts,
            DeliveryRetryInterval = options.DeliveryRetryInterval,
        };
        var teams = options.Teams;
        Graph = GraphSetup.CreateClient(new FixedTokenCredential(GraphToken), options.Graph);
        Directory = new TeamsDirectory(Graph, teams, TimeProvider.System);
        Bot = new BotConnector(new HttpClient(), teams, TimeProvider.System);
        Deliveries = new DeliveryLog(Storage.Tables.GetTableClient(Names.Table("teamsdeliveries")), TimeProvider.System);
        Teams = new TeamsDelivery(teams, Bot, new ActivityFeed(Graph, teams), Directory, Deliveries, Ledger.Appender, TimeProvider.System, NullLogger<TeamsDelivery>.Instance);
        Decisions = new ChangeDecisions(Changes, Chain);
        var intake = new ChangeIntake(Changes, new ChangeIdCounter(table), new OpenChangeIndex(table), settings, Clock, NullLogger<ChangeIntake>.Instance);
        Activities = new RemediationActivities(Chain, Changes, Vault, Accounts, Ledger.Appender, Notifier.Object, Patterns, intake, new DirectoryRouting(Directory), TimeProvider.System);
        Api = new ChangeFunctions(Changes, Decisions, Clock);
        Scan = new ViolationScan(intake, Accounts, Patterns, settings, NullLogger<ViolationScan>.Instance);
        Events = new ResourceEvents(intake, Accounts, Patterns, settings, TimeProvider.System, NullLogger<ResourceEvents>.Instance);
    }

    public ChainWorldOptions Options { get; }

    /// <summary>The detectors' and the API's clock: real time, which a test may move ahead (past an exception's expiry).</summary>
    public ShiftedClock Clock { get; } = new();
    public BlobServiceClient Blobs { get; }
    public StorageAccount Storage { get; }
    public StorageNames Names { get; }
    public string ContainerPrefix { get; } = TestStorage.UniqueName("rc")[..14];
    public CountingConnector Connector { get; }
    public PatternRegistry Patterns { get; }
    public ChangeTable Changes { get; }
    public RollbackVault Vault { get; }
    public GovernedAccounts Accounts { get; }
    public ChangeChain Chain { get; }
    public LedgerRecorder Ledger { get; } = new();
    public Mock<INotifier> Notifier { get; } = new();
    public ConcurrentQueue<Notification> Notifications { get; } = new();
    public RemediationActivities Activities { get; }
    public const string GraphToken = "graph-token-for-tests";
    public GraphServiceClient Graph { get; }
    public TeamsDirectory Directory { get; }
    public BotConnector Bot { get; }
    public DeliveryLog Deliveries { get; }
    public TeamsDelivery Teams { get; }
    public ChangeDecisions Decisions { get; }
    public ChangeFunctions Api { get; }
    public ViolationScan Scan { get; }
    public ResourceEvents Events { get; }
    public DevelopmentIssuer Issuer { get; }
    public DurableTaskTestHost Host { get; private set; } = null!;
    public DurableTaskClient Client => Host.Client;

    public static async Task<ChainWorld> StartAsync(ChainWorldOptions? options = null)
    {
        options ??= new ChainWorldOptions();
        var world = new ChainWorld(options, await TestStorage.ConnectionStringAsync(), DevelopmentIssuer.Generate());
        world.Notifier.Setup(n => n.NotifyAsync(It.IsAny<Notification>(), It.IsAny<CancellationToken>()))
            .Callback<Notification, CancellationToken>((n, _) => world.Notifications.Enqueue(n))
            .Returns(Task.CompletedTask);
        await world.Changes.EnsureCreatedAsync(CancellationToken.None);
        await world.Vault.EnsureCreatedAsync(CancellationToken.None);
        await world.Deliveries.EnsureCreatedAsync(CancellationToken.None);
        world.Host = await InMemoryDurableHost.StartAsync(registry =>
        {
            if (options.Patterns is { } patterns)
            {
                registry.AddOrchestratorFunc<ChainStart, string>(nameof(RemediationChain), (context, _) => RemediationChain.RunAsync(context, patterns));
            }
            else
            {
                registry.AddOrchestratorFunc<ChainStart, string>(nameof(RemediationChain), (context, _) => RemediationChain.RunOrchestrator(context));
            }
            FunctionActivity.AddAll(registry, world.Activities, () => world.Client);
            FunctionActivity.AddAll(registry, world.Teams, () => world.Client);
        });
        return world;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await _http.DisposeAsync();
        Bot.Dispose();
    }

    /// <summary>
    /// A container under this world's prefix: production (env=prod, owner tag) or not, open to public read or not, with a
    /// stored access policy granting write for 400 days or not (AZ-STG-004, which applies to non-production too).
    /// </summary>
    public async Task<BlobContainerClient> CreateContainerAsync(string name, bool production, PublicAccessType access, bool longLivedWritePolicy = false)
    {
        var container = Blobs.GetBlobContainerClient($"{ContainerPrefix}-{name}");
        var metadata = production
            ? new Dictionary<string, string> { ["env"] = "prod", ["owner"] = "platform-security" }
            : new Dictionary<string, string> { ["env"] = "dev" };
        await container.CreateAsync(access, metadata);
        if (longLivedWritePolicy)
        {
            await container.SetAccessPolicyAsync(access,
                [new BlobSignedIdentifier { Id = "uploader", AccessPolicy = new BlobAccessPolicy { Permissions = "rwd", PolicyExpiresOn = DateTimeOffset.UtcNow.AddDays(400) } }]);
        }
        return container;
    }

    public AssetId Asset(BlobContainerClient container) => AssetId.BlobContainer(Blobs.AccountName, container.Name);

    /// <summary>Runs the scan as a timer occurrence would.</summary>
    public Task ScanAsync() => Scan.RunAsync(new TimerInfo(), Client, CancellationToken.None);

    /// <summary>The change opened on an asset, once its ticket is on the record.</summary>
    public async Task<ChangeId> OpenedOnAsync(AssetId asset) =>
        ChangeId.Parse((await Ledger.WhenAsync(e => e.Kind == "change.opened" && e.Data?["asset"]?.GetValue<string>() == asset.ToString())).Subject);

    /// <summary>Completes once a ledger entry of <paramref name="kind"/> about the change is appended (the table is written before).</summary>
    public Task Reached(ChangeId id, string kind) => Ledger.WhenAsync(e => e.Subject == id.ToString() && e.Kind == kind);

    public async Task<OrchestrationMetadata> CompletedAsync(ChangeId id)
    {
        using var patience = new CancellationTokenSource(Patience);
        return await Client.WaitForInstanceCompletionAsync(id.ToString(), getInputsAndOutputs: true, patience.Token);
    }

    public async Task<ChangeView> ViewAsync(ChangeId id) => (await Changes.ViewAsync(id, CancellationToken.None))!;

    public string Approver(string id = "nina.ramirez", string name = "nina.ramirez") => Issuer.Issue(id, name, [Role.Approver]);

    public string Operator() => Issuer.Issue("u-omar", "omar", [Role.Operator]);

    public string Auditor() => Issuer.Issue("u-ada", "ada", [Role.Auditor]);

    public Task<Answer> GetChangeAsync(ChangeId id, string? token = null) =>
        CallAsync(r => Api.GetChangeAsync(r, id.ToString(), Client, CancellationToken.None), "GET", token ?? Auditor());

    /// <summary>Signs the change's routed seat as an approver does: reads the context pack hash from the change, then posts it with a rationale.</summary>
    public async Task<Answer> ApproveAsync(ChangeId id, string? token = null, string rationale = "public read on production data is a leak", bool? acknowledgesIrreversible = null)
    {
        var body = new JsonObject { ["rationale"] = rationale, ["contextPackSha256"] = await HashAsync(id) };
        if (acknowledgesIrreversible is { } acknowledges)
        {
            body["acknowledgesIrreversible"] = acknowledges;
        }
        return await CallAsync(r => Api.ApproveChangeAsync(r, id.ToString(), Client, CancellationToken.None), "POST", token ?? Approver(), body.ToJsonString());
    }

    public async Task<Answer> DenyAsync(ChangeId id, string rationale, string? token = null)
    {
        var body = new JsonObject { ["rationale"] = rationale, ["contextPackSha256"] = await HashAsync(id) };
        return await CallAsync(r => Api.DenyChangeAsync(r, id.ToString(), Client, CancellationToken.None), "POST", token ?? Approver(), body.ToJsonString());
    }

    public Task<Answer> RevertAsync(ChangeId id, string? token = null) =>
        CallAsync(r => Api.RevertChangeAsync(r, id.ToString(), Client, CancellationToken.None), "POST", token ?? Operator());

    /// <summary>
    /// Calls an HTTP function as a host would: a request with the caller's bearer token, the function's IResult executed
    /// into a response, read back.
    /// </summary>
    public async Task<Answer> CallAsync(
        Func<HttpRequest, Task<IResult>> function, string method, string? token, string? body = null,
        string contentType = "application/json", IDictionary<string, string>? headers = null, string? query = null)
    {
        // A scope per request, as a host makes one: authentication handlers keep their result for the scope.
        await using var scope = _http.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var request = context.Request;
        request.Method = method;
        request.Scheme = "http";
        request.Host = new HostString("localhost");
        if (query is not null)
        {
            request.QueryString = new QueryString(query);
        }
        if (token is not null)
        {
            request.Headers.Authorization = $"Bearer {token}";
        }
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers[name] = value;
        }
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            request.Body = new MemoryStream(bytes);
            request.ContentLength = bytes.Length;
            request.ContentType = contentType;
        }
        var response = new MemoryStream();
        context.Response.Body = response;
        var result = await function(request);
        await result.ExecuteAsync(context);
        var text = Encoding.UTF8.GetString(response.ToArray());
        return new Answer(context.Response.StatusCode, context.Response.ContentType, text.Length > 0 ? JsonNode.Parse(text) : null, context.Response.Headers);
    }

    private async Task<string> HashAsync(ChangeId id) =>
        (await GetChangeAsync(id)).Json?["approvalGate"]?["contextPackSha256"]?.GetValue<string>() ?? "";

    /// <summary>What the app's HTTP pipeline gives a function: the same authentication and role policies, results' services.</summary>
    private static ServiceProvider HttpServices(DevelopmentIssuer issuer)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:SigningKeyPem"] = issuer.PublicKeyPem });
        builder.Services.AddPanapticoAuth(builder.Configuration);
        builder.Services.AddProblemDetails();
        return builder.Services.BuildServiceProvider();
    }

    // The rules file shipped beside the app.
    private static readonly Lazy<ApprovalRules> ShippedRules = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Panaptico.Core", "Governance", "Approvals", "approval-routes.sample.yaml");
            if (File.Exists(candidate))
            {
                return ApprovalRules.Parse(File.ReadAllText(candidate));
            }
        }
        throw new FileNotFoundException("approval-routes.sample.yaml not found above the test binaries");
    });
}

/// <summary>The system clock, plus an offset a test sets.</summary>
public sealed class ShiftedClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}

/// <summary>An HTTP function's answer: status, content type, JSON body, headers.</summary>
public sealed record Answer(int Status, string? ContentType, JsonNode? Body, IHeaderDictionary Headers)
{
    public JsonObject? Json => Body as JsonObject;

    /// <summary>Asserts a problem+json answer with this status and returns its <c>code</c>.</summary>
    public string Problem(int status)
    {
        Assert.Equal(status, Status);
        Assert.Equal("application/problem+json", ContentType);
        return Json!["code"]!.GetValue<string>();
    }
}

/// <summary>
/// Every <c>[Function]</c> method with an <c>[ActivityTrigger]</c> of an activities object, registered under its function
/// name as the Functions host would: a test fails when a name or a signature drifts from what the orchestration calls.
/// </summary>
public sealed class FunctionActivity(object target, MethodInfo method, Func<DurableTaskClient> client) : ITaskActivity
{
    public Type InputType => method.GetParameters()[0].ParameterType;

    public Type OutputType => method.ReturnType.IsGenericType ? method.ReturnType.GenericTypeArguments[0] : typeof(object);

    /// <param name="client">For a <c>[DurableClient]</c> parameter after the trigger.</param>
    public static void AddAll(DurableTaskRegistry registry, object target, Func<DurableTaskClient> client)
    {
        foreach (var method in target.GetType().GetMethods())
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is { } function
                && method.GetParameters() is [var input, ..] rest && input.GetCustomAttribute<ActivityTriggerAttribute>() is not null
                && rest.Skip(1).All(p => p.GetCustomAttribute<DurableClientAttribute>() is not null))
            {
                registry.AddActivity(function.Name, new FunctionActivity(target, method, client));
            }
        }
    }

    public async Task<object?> RunAsync(TaskActivityContext context, object? input)
    {
        object?[] arguments = method.GetParameters().Length == 1 ? [input] : [input, client()];
        var task = (Task)method.Invoke(target, arguments)!;
        await task;
        return task.GetType().GetProperty(nameof(Task<object>.Result))?.GetValue(task);
    }
}

/// <summary>
/// The ledger as a Moq seam: records every append and keeps the first of each entry id, as the ledger does (appending
/// an id it holds returns the first record and appends nothing). Tests wait on it instead of sleeping.
/// </summary>
public sealed class LedgerRecorder
{
    private readonly Lock _gate = new();
    private readonly List<LedgerEntry> _entries = [];
    private readonly Dictionary<string, LedgerRecord> _byId = [];
    private readonly List<(Func<LedgerEntry, bool> Match, TaskCompletionSource<LedgerEntry> Found)> _waiters = [];
    private int _calls;

    public LedgerRecorder()
    {
        var mock = new Mock<ILedgerAppender>();
        mock.Setup(l => l.AppendAsync(It.IsAny<LedgerEntry>(), It.IsAny<CancellationToken>()))
            .Returns<LedgerEntry, CancellationToken>((entry, _) => Task.FromResult(Append(entry)));
        Appender = mock.Object;
    }

    public ILedgerAppender Appender { get; }

    /// <summary>How many appends were asked for, duplicates included.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The entries the ledger holds, in order.</summary>
    public IReadOnlyList<LedgerEntry> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    public IReadOnlyList<LedgerEntry> Of(ChangeId id) => [.. Entries.Where(e => e.Subject == id.ToString())];

    public async Task<LedgerEntry> WhenAsync(Func<LedgerEntry, bool> match)
    {
        var found = new TaskCompletionSource<LedgerEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_entries.FirstOrDefault(match) is { } already)
            {
                return already;
            }
            _waiters.Add((match, found));
        }
        return await found.Task.WaitAsync(ChainWorld.Patience);
    }

    private LedgerRecord Append(LedgerEntry entry)
    {
        Interlocked.Increment(ref _calls);
        Assert.False(string.IsNullOrEmpty(entry.EntryId), $"{entry.Kind} of {entry.Subject} has no entry id");
        lock (_gate)
        {
            if (_byId.TryGetValue(entry.EntryId!, out var first))
            {
                return first;
            }
            var record = new LedgerRecord(_entries.Count, DateTimeOffset.UtcNow, entry.Stream, entry.Kind, entry.Subject, entry.Actor, entry.Data, null, "");
            _byId[entry.EntryId!] = record;
            _entries.Add(entry);
            foreach (var waiter in _waiters.Where(w => w.Match(entry)).ToList())
            {
                waiter.Found.TrySetResult(entry);
                _waiters.Remove(waiter);
            }
            return record;
        }
    }
}

/// <summary>
/// The real connector, counting every write it executes; a test can make a write misbehave after it lands
/// (<see cref="AfterWrite"/>) or fail (<see cref="FailWrite"/>).
/// </summary>
public sealed class CountingConnector(IStorageAccountConnector inner) : IStorageAccountConnector
{
    public ConcurrentQueue<StorageOperation> Writes { get; } = new();

    public Func<StorageOperation, IStorageAccountConnector, Task>? AfterWrite { get; set; }

    public Func<StorageOperation, bool>? FailWrite { get; set; }

    public string Account => inner.Account;

    public CloudProvider Provider => inner.Provider;

    public bool Serves(AssetId asset) => inner.Serves(asset);

    public Task<AccountScan> ReadAccountAsync(string? containerPrefix, CancellationToken cancellationToken) =>
        inner.ReadAccountAsync(containerPrefix, cancellationToken);

    public Task<AssetState> ReadAssetAsync(AssetId asset, CancellationToken cancellationToken) => inner.ReadAssetAsync(asset, cancellationToken);

    public async Task ExecuteAsync(StorageOperation operation, CancellationToken cancellationToken)
    {
        if (FailWrite?.Invoke(operation) == true)
        {
            throw new InvalidOperationException("the storage write failed (test)");
        }
        await inner.ExecuteAsync(operation, cancellationToken);
        Writes.Enqueue(operation);
        if (AfterWrite is not null)
        {
            await AfterWrite(operation, inner);
        }
    }

    public int WritesTo(AssetId asset) => Writes.Count(w => w.Asset == asset);
}

/// <summary>A credential that hands out one fixed token: what the fake Graph expects in the Authorization header.</summary>
public sealed class FixedTokenCredential(string token) : Azure.Core.TokenCredential
{
    public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(token, DateTimeOffset.UtcNow.AddHours(1));

    public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
