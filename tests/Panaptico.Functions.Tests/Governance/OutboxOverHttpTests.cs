using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Storage.Governance;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Governance;

/// <summary>The app with the outbox's crash seam: a task id set in <see cref="CrashAfterCommitOf"/> stops its next write after the commit.</summary>
public sealed class OutboxFixture : IAsyncLifetime
{
    public string? CrashAfterCommitOf { get; set; }

    internal GovernanceHost Host { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Host = await GovernanceHost.StartAsync(services: s => s.AddSingleton(new TaskOutboxFaults(taskId =>
        {
            if (taskId == CrashAfterCommitOf)
            {
                CrashAfterCommitOf = null;
                throw new InvalidOperationException($"crash after the commit of {taskId}");
            }

            return Task.CompletedTask;
        })));

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class OutboxOverHttpTests(OutboxFixture fixture) : IClassFixture<OutboxFixture>
{
    private readonly GovernanceHost _host = fixture.Host;

    [Fact]
    public async Task A_write_that_crashed_after_its_commit_has_its_ledger_entries_appended_once_by_the_expiry_sweep()
    {
        await PlanAsync(_host, "PLAN-OBX-S");
        foreach (var id in new[] { "OBX-S", "OBX-CTL" })
        {
            (await _host.PostAsync(Operator, "/api/tasks", NewTask(id, "PLAN-OBX-S"))).Is(HttpStatusCode.Created);
        }

        (await _host.PostAsync(Operator, "/api/tasks/OBX-CTL/transitions", Transition("ready", "declared"))).Is(HttpStatusCode.OK);
        fixture.CrashAfterCommitOf = "OBX-S";

        await CrashesAsync(() => _host.PostAsync(Operator, "/api/tasks/OBX-S/transitions", Transition("ready", "declared")));

        Assert.Equal("Ready", (string?)(await _host.GetAsync(Operator, "/api/tasks/OBX-S")).Is(HttpStatusCode.OK).Body["state"]);
        var expected = await KindsOfVersionAsync("OBX-CTL", 2);
        Assert.NotEmpty(expected);
        Assert.Empty(await KindsOfVersionAsync("OBX-S", 2));

        await _host.RunApprovalExpiryAsync(); // within the lease: the rows still belong to the crashed writer
        Assert.Empty(await KindsOfVersionAsync("OBX-S", 2));
        _host.Time.Advance(TaskOutbox.Lease);
        await _host.RunApprovalExpiryAsync();
        await _host.RunApprovalExpiryAsync();

        Assert.Equal(expected, await KindsOfVersionAsync("OBX-S", 2));
    }

    [Fact]
    public async Task A_release_that_crashed_after_the_downstream_commit_is_dispatched_once_by_that_tasks_next_write()
    {
        await PlanAsync(_host, "PLAN-OBX-R");
        await ActiveAsync(_host, NewTask("OBX-UP", "PLAN-OBX-R"), "OBX-UP");
        await ActiveAsync(_host, NewTask("OBX-DN", "PLAN-OBX-R", upstreams: ["OBX-UP"], owner: "owner-obx"), "OBX-DN");
        (await _host.UploadAsync(Operator, "OBX-UP", "export", "export.json", Encoding.UTF8.GetBytes("{\"task\":\"OBX-UP\"}"), "application/json"))
            .Is(HttpStatusCode.Created);
        fixture.CrashAfterCommitOf = "OBX-DN";

        await CrashesAsync(() => _host.PostAsync(Operator, "/api/tasks/OBX-UP/complete"));

        Assert.Equal("Ready", (string?)(await _host.GetAsync(Operator, "/api/tasks/OBX-DN")).Is(HttpStatusCode.OK).Body["state"]);
        Assert.DoesNotContain(await _host.LedgerAsync(), r => r is { Kind: "task.released", Subject: "OBX-DN" });
        Assert.DoesNotContain(await _host.OutboxAsync(), n => n is { Kind: "task.released", Recipient: "owner-obx" });
        _host.Time.Advance(TaskOutbox.Lease);

        (await _host.PostAsync(Operator, "/api/tasks/OBX-DN/transitions", Transition("start", "work begins"))).Is(HttpStatusCode.OK);
        await _host.RunApprovalExpiryAsync();

        Assert.Single(await _host.LedgerAsync(), r => r is { Kind: "task.released", Subject: "OBX-DN" });
        Assert.Single(await _host.OutboxAsync(), n => n is { Kind: "task.released", Recipient: "owner-obx" });
        Assert.Single(await _host.LedgerAsync(), r => r is { Kind: "task.started", Subject: "OBX-DN" });
    }

    /// <summary>The crash reaches the client as a server error (or, through the test server, as the exception itself).</summary>
    private static async Task CrashesAsync(Func<Task<Reply>> request)
    {
        Reply? reply = null;
        var thrown = await Record.ExceptionAsync(async () => reply = await request());
        Assert.True(thrown is not null || reply!.Status == HttpStatusCode.InternalServerError, $"expected a crash, got {reply?.Status}");
    }

    /// <summary>Kinds of the ledger records a task's write at <paramref name="version"/> committed, in ledger order.</summary>
    private async Task<List<string>> KindsOfVersionAsync(string taskId, long version) =>
        [.. (await _host.LedgerAsync())
            .Where(r => ((string?)r.Data?[TaskOutbox.OutboxIdField])?.StartsWith($"{taskId}/{version}/", StringComparison.Ordinal) == true)
            .Select(r => r.Kind)];
}
