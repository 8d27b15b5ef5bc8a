using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;
using Panaptico.Storage.Account;

namespace Panaptico.Functions.Standalone;

/// <summary>
/// Drives <c>[QueueTrigger]</c> functions without the Functions host, with host.json's queue settings:
/// polling that backs off to <c>maxPollingInterval</c> when idle, batches of <c>batchSize</c>, visibility renewed
/// while a function runs, and after <c>maxDequeueCount</c> failed attempts the message moves to <c>&lt;queue&gt;-poison</c>.
/// Queue visibility is what keeps two instances from handling one message at once.
/// </summary>
public sealed class QueueTriggerRunner(
    FunctionIndex index,
    IServiceScopeFactory scopes,
    StorageAccount storage,
    IOptions<QueueHostOptions> queueOptions,
    TimeProvider time,
    IConfiguration configuration,
    ILogger<QueueTriggerRunner> logger) : BackgroundService
{
    /// <summary>How long a received message stays invisible; renewed at half this while the function runs.</summary>
    public static readonly TimeSpan LeaseVisibility = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(index.OfKind(TriggerKind.Queue).Select(f => RunAsync(f, stoppingToken)));

    private async Task RunAsync(FunctionEntry function, CancellationToken stoppingToken)
    {
        var queueName = StandaloneNames.Resolve(function.Queue.QueueName, configuration);
        var queue = storage.Queues.GetQueueClient(queueName);
        var poison = storage.Queues.GetQueueClient(queueName + "-poison");
        await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        await poison.CreateIfNotExistsAsync(cancellationToken: stoppingToken);

        var settings = queueOptions.Value;
        var idle = MinPollingInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                messages = (await queue.ReceiveMessagesAsync(settings.BatchSize, LeaseVisibility, stoppingToken)).Value;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (RequestFailedException e)
            {
                logger.LogWarning("Polling {Queue} failed ({Status}); backing off", queueName, e.Status);
                messages = [];
            }

            if (messages.Length == 0)
            {
                try
                {
                    await Task.Delay(idle, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, settings.MaxPollingInterval.Ticks));
                continue;
            }
            idle = MinPollingInterval;
            await Task.WhenAll(messages.Select(m => HandleAsync(function, queue, poison, m, stoppingToken)));
        }
    }

    private async Task HandleAsync(
        FunctionEntry function, QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken stoppingToken)
    {
        var receipt = new MessageReceipt(message.PopReceipt);
        using var renewal = new CancellationTokenSource();
        var renewing = RenewVisibilityAsync(queue, message.MessageId, receipt, renewal.Token);


        Exception? failure = null;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await FunctionRunner.InvokeAsync(function, scope.ServiceProvider, Body(function, message), stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            failure = e;
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
        }

        try
        {
            if (failure is null)
            {
                await queue.DeleteMessageAsync(message.MessageId, receipt.Value, CancellationToken.None);
                logger.QueueMessageHandled(function.Name, message.MessageId, message.DequeueCount, QueueOutcome.Completed);
            }
            else if (message.DequeueCount >= queueOptions.Value.MaxDequeueCount)
            {
                logger.LogError(failure, "{Function} failed on message {Id} for the {Count}th time; moving it to {Poison}",
                    function.Name, message.MessageId, message.DequeueCount, poison.Name);
                await poison.SendMessageAsync(message.Body, cancellationToken: CancellationToken.None);
                await queue.DeleteMessageAsync(message.MessageId, receipt.Value, CancellationToken.None);
                logger.QueueMessageHandled(function.Name, message.MessageId, message.DequeueCount, QueueOutcome.MovedToPoison);
            }
            else
            {
                logger.LogWarning(failure, "{Function} failed on message {Id} (attempt {Count})", function.Name, message.MessageId, message.DequeueCount);
                await queue.UpdateMessageAsync(message.MessageId, receipt.Value, visibilityTimeout: queueOptions.Value.VisibilityTimeout,
                    cancellationToken: CancellationToken.None);
                logger.QueueMessageHandled(function.Name, message.MessageId, message.DequeueCount, QueueOutcome.Failed);
            }
        }
        catch (RequestFailedException e) when (e.Status is 404 or 400)
        {
            // The visibility lapsed and another instance took the message; it is that instance's now.
            logger.LogWarning("Lost message {Id} of {Function} before settling it ({Status})", message.MessageId, function.Name, e.Status);
        }
    }

    private async Task RenewVisibilityAsync(QueueClient queue, string messageId, MessageReceipt receipt, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(LeaseVisibility / 2, time, cancellationToken);
                var updated = await queue.UpdateMessageAsync(messageId, receipt.Value, visibilityTimeout: LeaseVisibility,
                    cancellationToken: cancellationToken);
                receipt.Value = updated.Value.PopReceipt;
            }
        }
        catch (OperationCanceledException)
        {
            // the function finished
        }
        catch (RequestFailedException e)
        {
            logger.LogWarning("Could not renew visibility of message {Id}: {Status}", messageId, e.Status);
        }
    }

    /// <summary>The message as the trigger parameter's type: text, bytes, or a JSON object, as the worker binds it.</summary>
    private static object? Body(FunctionEntry function, QueueMessage message)
    {
        var type = function.TriggerParameter.ParameterType;
        return type == typeof(string) ? message.Body.ToString()
            : type == typeof(BinaryData) ? message.Body
            : type == typeof(QueueMessage) ? message
            : JsonSerializer.Deserialize(message.Body.ToString(), type, JsonOptions);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>The pop receipt changes on every visibility update; settle with the latest.</summary>
    private sealed class MessageReceipt(string value)
    {
        public string Value { get; set; } = value;
    }
}
