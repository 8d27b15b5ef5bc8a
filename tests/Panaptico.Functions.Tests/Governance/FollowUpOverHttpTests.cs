using System.Net;
using System.Text;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Ledger;
using Panaptico.Testing;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Governance;

/// <summary>
/// The app with a stop seam: the next ledger append about <see cref="StopAtAppendFor"/> (of <see cref="StopAtKind"/>,
/// if set) fails, as a process that stops after its commit.
/// </summary>
public sealed class StoppingFixture : IAsyncLifetime
{
    public string? StopAtAppendFor { get; set; }

    public string? StopAtKind { get; set; }

    internal GovernanceHost Host { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Host = await GovernanceHost.StartAsync(services: s => s.AddSingleton<ILedgerAppender>(sp =>
            new StoppingLedger(this, new DeduplicatingLedger(sp.GetRequiredService<TableLedger>()))));

    public async Task DisposeAsync() => await Host.DisposeAsync();

    private sealed class StoppingLedger(StoppingFixture fixture, ILedgerAppender inner) : ILedgerAppender
    {
        public Task<LedgerRecord> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken)
        {
            if (entry.Subject == fixture.StopAtAppendFor && (fixture.StopAtKind is null || entry.Kind == fixture.StopAtKind))
            {
                (fixture.StopAtAppendFor, fixture.StopAtKind) = (null, null);
                throw new InvalidOperationException($"stopped after the commit of {entry.Subject}");
            }

            return inner.AppendAsync(entry, cancellationToken);
        }
    }
}

/// <summary>
/// A write schedules its follow-up before it commits, so a writer that stops after its commit leaves no effect
/// undelivered and none delivered twice: the follow-up (a durable timer, then one activity) dispatches what is left.
/// </summary>
public sealed class FollowUpOverHttpTests(StoppingFixture fixture) : IClassFixture<StoppingFixture>
{
    private readonly GovernanceHost _host = fixture.Host;

    [Fact]
    public async Task A_write_that_stopped_after_its_commit_has_its_ledger_entries_appended_once_by_its_follow_up()
    {
        await PlanAsync(_host, "PLAN-FU-S");
        (await _host.PostAsync(Operator, "/api/tasks", NewTask("FU-S", "PLAN-FU-S", owner: "owner-fus"))).Is(HttpStatusCode.Created);
        fixture.StopAtAppendFor = "FU-S";

        (await _host.PostAsync(Operator, "/api/tasks/FU-S/transitions", Transition("ready", "declared"))).Is(HttpStatusCode.InternalServerError);

        Assert.Equal("Ready", (string?)(await _host.GetAsync(Operator, "/api/tasks/FU-S")).Is(HttpStatusCode.OK).Body["state"]);
        var followUps = await _host.FollowUpsAsync("FU-S");

        Assert.All(followUps, f => Assert.Equal(OrchestrationRuntimeStatus.Completed, f.RuntimeStatus));
        var kinds = (await _host.LedgerAsync()).Where(r => r.Subject == "FU-S").Select(r => r.Kind).ToList();
        Assert.Equal(["task.created", "task.ready"], kinds);
    }

    [Fact]
    public async Task A_seal_that_stopped_after_its_commit_still_releases_its_downstream_tasks_once()
    {
        await PlanAsync(_host, "PLAN-FU-R");
        await ActiveAsync(_host, NewTask("FU-UP", "PLAN-FU-R"), "FU-UP");
        await ActiveAsync(_host, NewTask("FU-DN", "PLAN-FU-R", upstreams: ["FU-UP"], owner: "owner-fudn"), "FU-DN");
        (await _host.UploadAsync(Operator, "FU-UP", "export", "export.json", Encoding.UTF8.GetBytes("{\"task\":\"FU-UP\"}"), "application/json"))
            .Is(HttpStatusCode.Created);
        (fixture.StopAtAppendFor, fixture.StopAtKind) = ("FU-UP", "task.sealed");

        // Stops after the seal's commit, before it could start the release itself.
        (await _host.PostAsync(Operator, "/api/tasks/FU-UP/complete")).Is(HttpStatusCode.InternalServerError);
        Assert.Equal("Sealed", (string?)(await _host.GetAsync(Operator, "/api/tasks/FU-UP")).Body["state"]);

        await _host.FollowUpsAsync("FU-UP");

        Assert.Equal("Ready", (string?)(await _host.GetAsync(Operator, "/api/tasks/FU-DN")).Body["state"]);
        Assert.Single(await _host.LedgerAsync(), r => r is { Kind: "task.released", Subject: "FU-DN" });
        Assert.Single(await _host.LedgerAsync(), r => r is { Kind: "task.sealed", Subject: "FU-UP" });
        Assert.Single(await _host.OutboxAsync(), n => n is { Kind: "task.released", Recipient: "owner-fudn" });

        // The client retries: the task is sealed already, and the release it waits for changes nothing more.
        var again = (await _host.PostAsync(Operator, "/api/tasks/FU-UP/complete")).Is(HttpStatusCode.OK).Body;
        Assert.True((bool)again["alreadySealed"]!);
        Assert.Empty(again["released"]!.AsArray());
        Assert.Single(await _host.LedgerAsync(), r => r is { Kind: "task.released", Subject: "FU-DN" });
    }
}
