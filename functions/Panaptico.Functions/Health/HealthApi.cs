using System.Reflection;
using Azure;
using Panaptico.Core.Evidence;
using Panaptico.Functions.Hosting;
using Panaptico.Functions.Platform;
using Panaptico.Storage.Account;

namespace Panaptico.Functions.Health;

/// <summary>
/// <c>GET /api/health</c>: the version, whether each storage service answers, and whether the evidence container is
/// write-once. Anonymous, reveals no secrets.
/// </summary>
public static class HealthApi
{
    public static void MapHealthApi(this IEndpointRouteBuilder app) =>
        app.MapHttpFunction("Health", async (StorageAccount storage, ImmutabilityState immutability, CancellationToken cancellationToken) =>
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
        }).AllowAnonymous();

    public static string Version { get; } =
        typeof(HealthApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

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
