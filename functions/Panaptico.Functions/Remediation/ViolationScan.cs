using Amazon.Runtime;
using Azure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Remediation;

/// <summary>
/// The continuous scan: reads every governed account, runs the violation library over it and opens a change (schedules
/// its orchestration) for each finding no change already holds.
/// </summary>
public sealed class ViolationScan(
    ChangeIntake intake, GovernedAccounts accounts, PatternRegistry patterns, RemediationSettings settings, ILogger<ViolationScan> logger)
{
    public const string ScheduleSetting = "ViolationScanSchedule";

    /// <summary>Every minute (six-field NCRONTAB), unless the setting says otherwise.</summary>
    public const string DefaultSchedule = "0 * * * * *";

    [Function(nameof(ViolationScan))]
    public async Task RunAsync(
        [TimerTrigger("%" + ScheduleSetting + "%")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var (findings, opened) = (0, 0);
        foreach (var account in accounts.All)
        {
            AccountScan state;
            try
            {
                state = await account.Connector.ReadAccountAsync(account.ContainerPrefix.Length > 0 ? account.ContainerPrefix : null, cancellationToken);
            }
            catch (RequestFailedException e)
            {
                // One unreadable account must not stop the others' scan; the next occurrence tries again.
                logger.LogWarning("Scan of {Account} failed: {Status} {Code}", account.Account, e.Status, e.ErrorCode);
                continue;
            }
            catch (AmazonServiceException e)
            {
                logger.LogWarning("Scan of {Account} failed: {Status} {Code}", account.Account, (int)e.StatusCode, e.ErrorCode);
                continue;
            }
            var detected = patterns.Detect(state).Where(f => account.Covers(f.Asset)).ToList();
            var results = await intake.OpenAsync(client, detected, settings.DetectorId, cancellationToken);
            findings += detected.Count;
            opened += results.Count(r => r.Opened);
        }
        logger.LogInformation("Scan: {Findings} findings, {Opened} changes opened", findings, opened);
    }
}
