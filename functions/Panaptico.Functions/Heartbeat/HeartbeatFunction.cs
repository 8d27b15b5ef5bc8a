using Azure.Data.Tables;
using Microsoft.Azure.Functions.Worker;
using Panaptico.Storage.Account;

namespace Panaptico.Functions.Heartbeat;

/// <summary>
/// A timer function that records that the app's timers are alive: one row per occurrence in the heartbeat table,
/// which operators and the demo read.
/// </summary>
public sealed class HeartbeatFunction(StorageAccount storage, StorageNames names, TimeProvider time, ILogger<HeartbeatFunction> logger)
{
    public const string Name = "Heartbeat";
    public const string ScheduleSetting = "HeartbeatSchedule";
    public const string DefaultSchedule = "0 */5 * * * *";

    [Function(Name)]
    public async Task RunAsync([TimerTrigger($"%{ScheduleSetting}%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var table = storage.Tables.GetTableClient(TableName(names));
        await table.CreateIfNotExistsAsync(cancellationToken);
        var now = time.GetUtcNow();
        await table.UpsertEntityAsync(new TableEntity("heartbeat", now.ToString("yyyyMMddHHmmssfff"))
        {
            ["FiredAt"] = now,
            ["PastDue"] = timer.IsPastDue,
        }, cancellationToken: cancellationToken);
        logger.LogInformation("heartbeat at {At:O}", now);
    }

    public static string TableName(StorageNames names) => names.Table("heartbeats");
}
