using System.Collections.Immutable;
using Azure.Data.Tables;
using Panaptico.Core.Governance.Runbooks;
using Panaptico.Storage.Governance;
using static Panaptico.Storage.Tests.Governance.GovernanceSample;

namespace Panaptico.Storage.Tests.Governance;

public sealed class TaskRepositoryTests : IAsyncLifetime
{
    private static readonly RunbookStep Step = new(1, "Verify rotation flag", "For each CMK confirm rotation", "kms:GetKeyRotationStatus", "enabled, 365d")
    {
        Connector = "aws-kms",
        Expected = ImmutableSortedDictionary.CreateRange([KeyValuePair.Create("rotation", "enabled")]),
    };

    private GovernanceTables _tables = null!;
    private TaskRepository _tasks = null!;

    public async Task InitializeAsync()
    {
        _tables = await TablesAsync();
        _tasks = new TaskRepository(_tables);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_task_record_with_artifacts_approvals_and_a_runbook_reads_back_exactly()
    {
        var record = Active("TASK-0412", Step);
        var stored = await _tasks.CreateAsync(record, CancellationToken.None);
        record = Capture(Routed(record), "kms-pre", "{\"keyId\":\"k1\"}\n{\"keyId\":\"k2\"}\n");
        record = Ok(RunbookRun.RecordLiveState(record, 1, "aws-kms",
            [new LiveStateItem("key/4a12", ImmutableSortedDictionary.CreateRange([KeyValuePair.Create("rotation", "enabled")]))], "system:kms", Now));
        record = Ok(RunbookRun.RecordOutcome(record, 1, "key/4a12", RunbookResult.Pass, null, Operator, Now)).Task;
        await _tasks.SaveAsync(stored, record, CancellationToken.None);

        var back = await _tasks.GetAsync("TASK-0412", CancellationToken.None);

        Assert.Equal(GovernanceJson.Serialize(record), GovernanceJson.Serialize(back!.Record));
        Assert.Equal(2, back.Version);
    }

    [Fact]
    public async Task Two_saves_from_the_same_read_one_wins_the_other_conflicts_and_nothing_is_lost()
    {
        var created = await _tasks.CreateAsync(Active("TASK-0500"), CancellationToken.None);
        var first = await _tasks.GetAsync("TASK-0500", CancellationToken.None);
        var second = await _tasks.GetAsync("TASK-0500", CancellationToken.None);

        await _tasks.SaveAsync(first!, Capture(first!.Record, "export", "one"), CancellationToken.None);
        await Assert.ThrowsAsync<TaskConflictException>(() => _tasks.SaveAsync(second!, Routed(second!.Record), CancellationToken.None));

        // The loser re-reads and decides again on what won: both changes are there.
        var fresh = await _tasks.GetAsync("TASK-0500", CancellationToken.None);
        await _tasks.SaveAsync(fresh!, Routed(fresh!.Record), CancellationToken.None);
        var back = (await _tasks.GetAsync("TASK-0500", CancellationToken.None))!;
        Assert.Single(back.Record.Artifacts);
        Assert.NotNull(back.Record.Approvals);
        Assert.Equal(created.Version + 2, back.Version);
    }

    [Fact]
    public async Task Concurrent_updaters_that_retry_on_conflict_all_land()
    {
        await _tasks.CreateAsync(Active("TASK-0501"), CancellationToken.None);
        var conflicts = 0;

        async Task CaptureAsync(int n)
        {
            while (true)
            {
                var stored = (await _tasks.GetAsync("TASK-0501", CancellationToken.None))!;
                try
                {
                    await _tasks.SaveAsync(stored, Capture(stored.Record, "export", $"artifact {n}"), CancellationToken.None);
                    return;
                }
                catch (TaskConflictException)
                {
                    Interlocked.Increment(ref conflicts);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(1, 8).Select(n => Task.Run(() => CaptureAsync(n))));

        var back = (await _tasks.GetAsync("TASK-0501", CancellationToken.None))!;
        Assert.Equal(8, back.Record.Artifacts.Length);
        Assert.Equal(8, back.Record.Artifacts.Select(a => a.Sha256).Distinct().Count());
        Assert.Equal(1 + 8, back.Version);
        Assert.True(conflicts > 0, "eight concurrent writers from stale reads must have collided at least once");
    }

    [Fact]
    public async Task A_save_rewrites_only_the_rows_that_changed()
    {
        var stored = await _tasks.CreateAsync(Routed(Active("TASK-0502")), CancellationToken.None);
        var before = await RowETagsAsync("TASK-0502");

        await _tasks.SaveAsync(stored, Capture(stored.Record, "export", "one"), CancellationToken.None);

        var after = await RowETagsAsync("TASK-0502");
        Assert.Equal(before["approvals"], after["approvals"]);
        Assert.Equal(before["requirements"], after["requirements"]);
        Assert.NotEqual(before["task"], after["task"]);
        Assert.Contains("artifact-000000", after.Keys);
    }

    [Fact]
    public async Task A_section_too_large_for_one_property_or_row_is_split_and_reads_back_whole()
    {
        var record = Active("TASK-0503", Step);
        var items = Enumerable.Range(1, 6_000)
            .Select(i => new LiveStateItem($"arn:aws:kms:us-east-1:412:key/{i:x8}", ImmutableSortedDictionary.CreateRange([
                KeyValuePair.Create("rotation", "enabled"), KeyValuePair.Create("period", "365d")])))
            .ToList();
        record = Ok(RunbookRun.RecordLiveState(record, 1, "aws-kms", items, "system:kms", Now));
        Assert.True(GovernanceJson.Serialize(record.Runbook!.Pulls[0]).Length > 450_000, "the pull must exceed one row");

        await _tasks.CreateAsync(record, CancellationToken.None);
        var back = (await _tasks.GetAsync("TASK-0503", CancellationToken.None))!;

        Assert.Equal(GovernanceJson.Serialize(record), GovernanceJson.Serialize(back.Record));
        Assert.Contains((await RowETagsAsync("TASK-0503")).Keys, k => k.StartsWith("runbook-pull-0000~", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Creating_a_task_that_exists_is_refused_and_changes_nothing()
    {
        var stored = await _tasks.CreateAsync(Active("TASK-0504"), CancellationToken.None);

        await Assert.ThrowsAsync<TaskExistsException>(() => _tasks.CreateAsync(Routed(Active("TASK-0504")), CancellationToken.None));

        var back = (await _tasks.GetAsync("TASK-0504", CancellationToken.None))!;
        Assert.Null(back.Record.Approvals);
        Assert.Equal(stored.ETag, back.ETag);
    }

    [Fact]
    public async Task A_row_only_save_is_guarded_by_the_same_etag_as_a_full_save()
    {
        var stored = await _tasks.CreateAsync(Active("TASK-0505"), CancellationToken.None);
        var row = (await _tasks.GetRowAsync("TASK-0505", CancellationToken.None))!;

        await _tasks.SaveRowAsync(row, row.Task with { Title = "renamed" }, CancellationToken.None);

        await Assert.ThrowsAsync<TaskConflictException>(() => _tasks.SaveAsync(stored, Capture(stored.Record, "export", "x"), CancellationToken.None));
        await Assert.ThrowsAsync<TaskConflictException>(() => _tasks.SaveRowAsync(row, row.Task with { Title = "again" }, CancellationToken.None));
        var back = (await _tasks.GetAsync("TASK-0505", CancellationToken.None))!;
        Assert.Equal("renamed", back.Record.Task.Title);
        Assert.Empty(back.Record.Artifacts);
    }

    [Fact]
    public async Task An_id_that_cannot_be_a_key_reads_as_no_task()
    {
        Assert.Null(await _tasks.GetAsync("TASK/0412", CancellationToken.None));
        Assert.Null(await _tasks.GetRowAsync("", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _tasks.CreateAsync(Active("TASK#1"), CancellationToken.None));
    }

    private async Task<Dictionary<string, string>> RowETagsAsync(string taskId)
    {
        var etags = new Dictionary<string, string>();
        await foreach (var row in _tables.Tasks.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {taskId}")))
        {
            etags[row.RowKey] = row.ETag.ToString();
        }

        return etags;
    }
}
