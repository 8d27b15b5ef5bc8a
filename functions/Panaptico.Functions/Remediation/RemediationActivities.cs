using System.Security.Cryptography;
using System.Text.Json;
using Amazon.Runtime;
using Azure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Functions.Teams;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Remediation;

/// <summary>
/// The remediation chain's side effects, one activity per step. Activities run at least once, so each is idempotent by
/// the change (the instance id) and its step: the change's record is written by version and each ledger entry carries
/// its entry id (<see cref="ChangeChain.EntryIdOf"/>), backups and bundles are create-once blobs named by the change,
/// and a write (fix, restore, revert) reads the asset first and is skipped when it already reads as the write predicts,
/// so a re-run writes nothing twice. Notifications go out at least once.
/// </summary>
/// <remarks>
/// Every step activity first records the transition the orchestration decided before calling it (<see cref="ChainStepInput.Record"/>),
/// then does its side effect and returns its result as the chain event (remediation JSON) the orchestration decides on.
/// A storage failure is rethrown in words fit for the ledger (status and code, no request details).
/// </remarks>
public sealed class RemediationActivities(
    ChangeChain chain,
    ChangeTable changes,
    RollbackVault vault,
    GovernedAccounts accounts,
    ILedgerAppender ledger,
    INotifier notifier,
    PatternRegistry patterns,
    ChangeIntake intake,
    DirectoryRouting routing,
    TimeProvider time,
    Drift.DriftRemediationHook? drift = null)
{
    public const string OpenTicketName = "ChangeOpenTicket";
    public const string TakeBackupName = "ChangeTakeBackup";
    public const string ApplyFixName = "ChangeApplyFix";
    public const string VerifyFixName = "ChangeVerifyFix";
    public const string StoreRollbackBundleName = "ChangeStoreRollbackBundle";
    public const string SendCloseOutName = "ChangeSendCloseOut";
    public const string RestoreFromBackupName = "ChangeRestoreFromBackup";
    public const string RevertName = "ChangeRevert";
    public const string RecordName = "ChangeRecord";
    public const string OpenFollowUpName = "ChangeOpenFollowUp";

    /// <summary>The backup's name unless its pattern names its own (<see cref="ViolationPattern.BackupFile"/>).</summary>
    public const string BackupName = ViolationPattern.DefaultBackupFile;
    public const string BundleName = "rollback-bundle.json";

    public static string NameOf(ChainStep step) => step switch
    {
        ChainStep.TakeBackup => TakeBackupName,
        ChainStep.ApplyFix => ApplyFixName,
        ChainStep.VerifyFix => VerifyFixName,
        ChainStep.StoreRollbackBundle => StoreRollbackBundleName,
        ChainStep.SendCloseOut => SendCloseOutName,
        ChainStep.RestoreFromBackup => RestoreFromBackupName,
        ChainStep.RevertChange => RevertName,
        _ => throw new ArgumentOutOfRangeException(nameof(step), step, null),
    };

    /// <summary>
    /// Opens the ticket: the change record, its plan and its approval route (or approval by policy), in the table, the
    /// ledger and the approval request. A second run finds the change opened and returns it as stored.
    /// </summary>
    /// <returns>The change's state (remediation JSON).</returns>
    [Function(OpenTicketName)]
    public Task<string> OpenTicket([ActivityTrigger] ChainStart start) => Guarded(async () =>
    {
        ArgumentNullException.ThrowIfNull(start);
        var finding = Wire.Parse<Finding>(start.Finding);
        // Directory groups are read now; a re-run finds the change opened and keeps the members its first run resolved.
        var rules = chain.ApprovalRules is { } named ? await routing.ResolveAsync(named, CancellationToken.None) : null;
        var opened = chain.Open(ChangeId.Parse(start.ChangeId), finding, start.RequestedBy, start.OpenedAt,
            start.Follows is { } follows ? ChangeId.Parse(follows) : null, rules);
        var stored = await changes.OpenAsync(opened.State, opened.History, time.GetUtcNow(), CancellationToken.None);
        await PublishAsync(opened.Ledger, opened.Notifications);
        return Wire.Json(stored);
    });

    /// <summary>
    /// Snapshots the asset into the rollback vault under the change id, once, in the pattern's file (the S3 ACL pattern's
    /// <c>acl-snapshot-&lt;change&gt;.json</c>, which its inverse command reads): the snapshot is what the stored file
    /// holds, so a re-run gives the same one.
    /// </summary>
    [Function(TakeBackupName)]
    public Task<string> TakeBackup([ActivityTrigger] ChainStepInput input) => Guarded(async () =>
    {
        var state = await EnterAsync(input);
        var pattern = patterns[state.Plan.PatternId];
        var bytes = pattern.WriteBackup(await accounts.ConnectorFor(state.Plan.Asset).ReadAssetAsync(state.Plan.Asset, CancellationToken.None));
        var stored = await vault.PutAsync(state.Id.ToString(), pattern.BackupFile(state.Id), new MemoryStream(bytes), CancellationToken.None);
        if (!stored.Created)
        {
            var (_, content) = await vault.OpenAsync(state.Id.ToString(), pattern.BackupFile(state.Id), CancellationToken.None);
            await using (content)
            {
                using var buffer = new MemoryStream();
                await content.CopyToAsync(buffer);
                bytes = buffer.ToArray();
            }
        }
        var snapshot = pattern.ReadBackup(state.Plan.Asset, bytes);
        return Wire.Json(new BackupTaken(time.GetUtcNow(), snapshot, Location(stored), Convert.ToHexStringLower(SHA256.HashData(bytes))));
    });

    [Function(ApplyFixName)]
    public Task<string> ApplyFix([ActivityTrigger] ChainStepInput input) => Guarded(async () =>
    {
        var state = await EnterAsync(input);
        await WriteOnceAsync(state, ChangeChain.OperationFor(state, ChainStep.ApplyFix), state.Plan.Predicted);
        return Wire.Json(new FixApplied(time.GetUtcNow()));
    });

    [Function(VerifyFixName)]
    public Task<string> VerifyFix([ActivityTrigger] ChainStepInput input) => Guarded(async () =>
    {
        var state = await EnterAsync(input);
        var observed = await accounts.ConnectorFor(state.Plan.Asset).ReadAssetAsync(state.Plan.Asset, CancellationToken.None);
        return Wire.Json(new FixObserved(time.GetUtcNow(), observed));
    });

    /// <summary>Stores the inverse beside the backup, once.</summary>
    [Function(StoreRollbackBundleName)]
    public Task<string> StoreRollbackBundle([ActivityTrigger] ChainStepInput input) => Guarded(async () =>
    {
        var state = await EnterAsync(input);
        var bundle = JsonSerializer.SerializeToUtf8Bytes(state.Bundle, RemediationJson.Options);
        var stored = await vault.PutAsync(state.Id.ToString(), BundleName, new MemoryStream(bundle), CancellationToken.None);
        return Wire.Json(new RollbackBundleStored(time.GetUtcNow(), Location(stored)));
    });

    /// <summary>Posts the close-out to the audit channel; the ledger's <c>change.closed</c> follows with the next record.</summary>
    [Function(SendCloseOutName)]
    public Task<string> SendCloseOut([ActivityTrigger] ChainStepInput input) => Guarded(async () =>
    {
        var state = await EnterAsync(input);
        await notifier.NotifyAsync(ChangeChain.CloseOutNotification(state), CancellationToken.None);
        // The chain has closed the change: its fields' new values become intent in the drift graph.
        if (drift is not null)
        {
            await drift.OnCloseOutAsync(state, CancellationToken.None);
        }
        return Wire.Json(new CloseOutSent(time.GetUtcNow()));
    });

    /// <summary>Puts the backup back after a verification mismatch, and reads the asset back.</summary>
    [Function(RestoreFromBackupName)]
    public Task<string> RestoreFromBackup([ActivityTrigger] ChainStepInput input) => Guarded(async () =>
    {
        var state = await EnterAsync(input);
        await WriteOnceAsync(state, ChangeChain.OperationFor(state, ChainStep.RestoreFromBackup), state.Restore!.Predicted);
        var observed = await accounts.ConnectorFor(state.Plan.Asset).ReadAssetAsync(state.Plan.Asset, CancellationToken.None);
        return Wire.Json(new RestoreObserved(time.GetUtcNow(), observed));
    });

    /// <summary>Runs a requested revert's inverse, and reads the asset back.</summary>
    [Function(RevertName)]
    public Task<string> Revert([ActivityTrigger] ChainStepInput input) => Guarded(async () =>
    {
        var state = await EnterAsync(input);
        var inverse = (InversePlan)state.Bundle!.Inverse;
        await WriteOnceAsync(state, ChangeChain.OperationFor(state, ChainStep.RevertChange), inverse.Predicted);
        var observed = await accounts.ConnectorFor(state.Plan.Asset).ReadAssetAsync(state.Plan.Asset, CancellationToken.None);
        return Wire.Json(new RevertObserved(time.GetUtcNow(), observed));
    });

    /// <summary>
    /// Opens the change that follows a rolled-back one: reads the asset again and, when the pattern still finds the
    /// violation, hands it to intake, which links the new change to this one. A re-run finds the follow-up holding the
    /// asset and returns it.
    /// </summary>
    /// <returns>The follow-up's change id; null when the asset reads compliant by now.</returns>
    [Function(OpenFollowUpName)]
    public Task<string?> OpenFollowUp([ActivityTrigger] ChainStepInput input, [DurableClient] DurableTaskClient client) => Guarded(async () =>
    {
        var state = await EnterAsync(input);
        var observed = await accounts.ConnectorFor(state.Plan.Asset).ReadAssetAsync(state.Plan.Asset, CancellationToken.None);
        if (patterns[state.Plan.PatternId].Evaluate(observed, state.Finding.Tags, time.GetUtcNow()) is not { } finding)
        {
            return null;
        }
        var opened = await intake.OpenAsync(client, [finding], state.RequestedBy, CancellationToken.None);
        return opened[0].ChangeId?.ToString();
    });

    /// <summary>Records what the orchestration decided, before it waits or ends.</summary>
    /// <returns>Whether the change's state moved (false: already recorded).</returns>
    [Function(RecordName)]
    public Task<bool> Record([ActivityTrigger] ChainStepInput input) => Guarded(async () =>
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Record is not null && await RecordAsync(Wire.Parse<ChangeState>(input.State), Wire.Parse<ChainRecord>(input.Record));
    });

    /// <summary>Records the pending transition, if any, and gives the change as decided.</summary>
    private async Task<ChangeState> EnterAsync(ChainStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var state = Wire.Parse<ChangeState>(input.State);
        if (input.Record is { } record)
        {
            await RecordAsync(state, Wire.Parse<ChainRecord>(record));
        }
        return state;
    }

    /// <summary>The table first (what people query), then the ledger (de-duplicated by entry id), then notifications.</summary>
    private async Task<bool> RecordAsync(ChangeState state, ChainRecord record)
    {
        var moved = await changes.RecordAsync(state, record.History, time.GetUtcNow(), CancellationToken.None);
        await PublishAsync(record.Ledger, record.Notifications);
        return moved;
    }

    private async Task PublishAsync(IReadOnlyList<LedgerEntry> entries, IReadOnlyList<Notification> notifications)
    {
        // The ledger queues appends in call order, so starting them in order keeps the transition's order.
        await Task.WhenAll(entries.Select(e => ledger.AppendAsync(e, CancellationToken.None)).ToList());
        await Task.WhenAll(notifications.Select(n => notifier.NotifyAsync(n, CancellationToken.None)));
    }

    /// <summary>Runs a write unless the asset already reads as the write predicts (an earlier run of this step made it).</summary>
    private async Task WriteOnceAsync(ChangeState state, StorageOperation operation, PredictedState predicted)
    {
        var connector = accounts.ConnectorFor(operation.Asset);
        if (patterns[state.Plan.PatternId].Verify(predicted, await connector.ReadAssetAsync(operation.Asset, CancellationToken.None)).Matches)
        {
            return;
        }
        await connector.ExecuteAsync(operation, CancellationToken.None);
    }

    private string Location(RollbackSnapshot snapshot) => $"{vault.Container.Name}/{snapshot.ChangeId}/{snapshot.Name}";

    private static async Task<T> Guarded<T>(Func<Task<T>> step)
    {
        try
        {
            return await step();
        }
        catch (RequestFailedException e)
        {
            // The SDK's message carries request details; the failure goes on the record, so say only what failed.
            throw new InvalidOperationException($"storage answered {e.Status} {e.ErrorCode}".TrimEnd(), e);
        }
        catch (AmazonServiceException e)
        {
            throw new InvalidOperationException($"S3 answered {(int)e.StatusCode} {e.ErrorCode}".TrimEnd(), e);
        }
    }
}
