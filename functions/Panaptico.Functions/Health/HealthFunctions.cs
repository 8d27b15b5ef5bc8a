using System.Reflection;
using Azure;
using Microsoft.Azure.Functions.Worker;
using Panaptico.Core.Evidence;
using Panaptico.Functions.Platform;
using Panaptico.Storage.Account;

namespace Panaptico.Functions.Health;

/// <summary>
/// <c>GET /api/health</c>: the version, whether each storage service answers, and whether the evidence container is
/// write-once. Anonymous, reveals no secrets.
/// </summary>
public sealed class HealthFunctions(StorageAccount storage, ImmutabilityState immutability)
{
    public static string Version { get; } =
        typeof(HealthFunctions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    [Function("Health")]
    public async Task<IResult> HealthAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var blob = await ProbeAsync(() => storage.Blobs.GetPropertiesAsync(cancellationToken));
        var queue = await ProbeAsync(() => storage.Queues.GetPropertiesAsync(cancellationToken));
        var table = await ProbeAsync(() => storage.Tables.GetPropertiesAsync(cancellationToken));
        var healthy = blob && queue && table;
        return Results.Json(new
        {
            status = healthy ? "healthy" : "degraded",
            version = Version,
            storage = new { blob, queue, table, emulator = storage.IsEmulator },
            evidence = new
            {
                immutability = immutability.Report.Status == ImmutabilityStatus.Enforced ? "enforced" : "not-enforced",
                reason = immutability.Report.Reason,
            },
        }, statusCode: healthy ? 200 : 503);
    }

    private static async Task<bool> ProbeAsync<T>(Func<Task<T>> call)
    {
        try
        {
            await call();
            return true;
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or AggregateException)
        {
            return false;
        }
    }
}
