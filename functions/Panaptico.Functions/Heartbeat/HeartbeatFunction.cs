using Azure.Data.Tables;
using Panaptico.Functions.Hosting;
using Panaptico.Storage.Account;

namespace Panaptico.Functions.Heartbeat;

/// <summary>
/// A timer function that records that the app's timers are alive: one row per occurrence in the heartbeat table,
/// which <c>/api/health</c> operators and the demo read.
/// </summary>
public sealed class HeartbeatFunction(StorageAccount storage, TimeProvider time, IConfiguration configuration) : IFunctionHandler
{
    public const string Name = "Heartbeat";
    public const string ScheduleSetting = "HeartbeatSchedule";
    public const string DefaultSchedule = "0 */5 * * * *";

    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var table = storage.Tables.GetTableClient(TableName(configuration));
        await table.CreateIfNotExistsAsync(cancellationToken);
        var now = time.GetUtcNow();
        await table.UpsertEntityAsync(new TableEntity("heartbeat", now.ToString("yyyyMMddHHmmssfff"))
        {
            ["FiredAt"] = now,
            ["PastDue"] = invocation.Trigger?["IsPastDue"]?.GetValue<bool>() ?? false,
        }, cancellationToken: cancellationToken);
        invocation.Log($"heartbeat at {now:O}");
        return FunctionResult.Empty;
    }

    public static string TableName(IConfiguration configuration) =>
        $"{Standalone.StandaloneNames.HostId(configuration)}heartbeats".Replace("-", "", StringComparison.Ordinal);
}
