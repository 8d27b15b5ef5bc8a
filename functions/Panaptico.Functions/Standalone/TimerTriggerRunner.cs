using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Cronos;
using Microsoft.Azure.Functions.Worker;
using Panaptico.Storage.Account;

namespace Panaptico.Functions.Standalone;

/// <summary>
/// Drives <c>[TimerTrigger]</c> functions without the Functions host: six-field NCRONTAB schedules, <c>RunOnStartup</c>,
/// and a singleton per occurrence across instances on one storage account. Each function has a status blob;
/// an instance fires an occurrence only while it holds that blob's lease and the blob does not already record it.
/// </summary>
public sealed class TimerTriggerRunner(
    FunctionIndex index,
    IServiceScopeFactory scopes,
    StorageAccount storage,
    TimeProvider time,
    IConfiguration configuration,
    ILogger<TimerTriggerRunner> logger) : BackgroundService
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(60);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timers = index.OfKind(TriggerKind.Timer).ToList();
        if (timers.Count == 0)
        {
            return;
        }
        // Parse every schedule first: a bad one stops the app at start, not one timer silently.
        var schedules = timers.ToDictionary(t => t.Name, t => ParseSchedule(t, configuration));
        var container = storage.Blobs.GetBlobContainerClient(StandaloneNames.TimerContainer(configuration));
        await container.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        await Task.WhenAll(timers.Select(t => RunAsync(t, schedules[t.Name], container, stoppingToken)));
    }

    /// <summary>Six-field NCRONTAB (with seconds), after <c>%Setting%</c> substitution, as the host reads it.</summary>
    public static CronExpression ParseSchedule(FunctionEntry function, IConfiguration configuration)
    {
        var schedule = function.Timer.Schedule;
        try
        {
            return CronExpression.Parse(StandaloneNames.Resolve(schedule, configuration), CronFormat.IncludeSeconds);
        }
        catch (CronFormatException e)
        {
            throw new InvalidOperationException($"{function.Name}: schedule '{schedule}' is not six-field NCRONTAB: {e.Message}", e);
        }
    }

    private async Task RunAsync(
        FunctionEntry function, CronExpression schedule, BlobContainerClient container, CancellationToken stoppingToken)
    {
        var status = container.GetBlobClient($"{function.Name}/status.json");
        try
        {
            await status.UploadAsync(BinaryData.FromString("{}"),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, stoppingToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // another instance created it first
        }

        if (function.Timer.RunOnStartup)
        {
            await FireAsync(function, schedule, status, time.GetUtcNow(), isPastDue: false, dedupe: false, stoppingToken);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var next = schedule.GetNextOccurrence(now, TimeZoneInfo.Utc)
                ?? throw new InvalidOperationException($"{function.Name}: the schedule has no next occurrence");
            try
            {
                // Start the delay before logging that it waits, so a test that advances the clock on that event is seen.
                var delay = Task.Delay(next - now, time, stoppingToken);
                logger.TimerWaiting(function.Name, next);
                await delay;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            await FireAsync(function, schedule, status, next, isPastDue: false, dedupe: true, stoppingToken);
        }
    }

    private async Task FireAsync(
        FunctionEntry function, CronExpression schedule, BlobClient status, DateTimeOffset occurrence,
        bool isPastDue, bool dedupe, CancellationToken stoppingToken)
    {
        var lease = status.GetBlobLeaseClient();
        try
        {
            await lease.AcquireAsync(LeaseDuration, cancellationToken: stoppingToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            logger.TimerHandled(function.Name, occurrence, TimerOutcome.SkippedHeldByAnotherInstance);
            return;
        }

        var outcome = TimerOutcome.Fired;
        try
        {
            var recorded = JsonNode.Parse((await status.DownloadContentAsync(stoppingToken)).Value.Content.ToString());
            var last = recorded?["last"]?.GetValue<DateTimeOffset>();
            if (dedupe && last >= occurrence)
            {
                outcome = TimerOutcome.SkippedAlreadyFired;
                return;
            }

            var next = schedule.GetNextOccurrence(occurrence, TimeZoneInfo.Utc);
            var timerInfo = new TimerInfo
            {
                ScheduleStatus = new ScheduleStatus
                {
                    Last = (last ?? DateTimeOffset.MinValue).UtcDateTime,
                    Next = (next ?? DateTimeOffset.MaxValue).UtcDateTime,
                    LastUpdated = time.GetUtcNow().UtcDateTime,
                },
                IsPastDue = isPastDue,
            };

            // Record the occurrence before running: a timer occurrence is not retried, so it is at most once.
            var statusJson = JsonSerializer.Serialize(new { last = occurrence, next });
            await status.UploadAsync(BinaryData.FromString(statusJson),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { LeaseId = lease.LeaseId } }, stoppingToken);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await FunctionRunner.InvokeAsync(function, scope.ServiceProvider, timerInfo, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                outcome = TimerOutcome.Failed;
                logger.LogError(e, "Timer function {Function} failed for occurrence {Occurrence}", function.Name, occurrence);
            }
        }
        finally
        {
            try
            {
                await lease.ReleaseAsync(cancellationToken: CancellationToken.None);
            }
            catch (RequestFailedException e)
            {
                logger.LogWarning("Could not release the timer lease of {Function}: {Status}", function.Name, e.Status);
            }
            logger.TimerHandled(function.Name, occurrence, outcome);
        }
    }
}

public static class StandaloneNames
{
    /// <summary>Several apps (or test runs) can share one storage account by host id.</summary>
    public static string HostId(IConfiguration configuration) => configuration["Functions:HostId"] ?? "panaptico";

    public static string TimerContainer(IConfiguration configuration) => $"{HostId(configuration)}-timers";

    /// <summary>Resolves <c>%Setting%</c> in binding properties, as the Functions host does.</summary>
    public static string Resolve(string value, IConfiguration configuration) =>
        value.StartsWith('%') && value.EndsWith('%') && value.Length > 2
            ? configuration[value[1..^1]] ?? throw new InvalidOperationException($"app setting '{value[1..^1]}' is not set")
            : value;
}
