using Azure;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Functions.Hosting;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Remediation;

/// <summary>
/// The continuous scan: reads every governed account, runs the violation library over it and opens a change for
/// each finding no change already holds. Then it sweeps outboxes an instance left undispatched.
/// </summary>
public sealed class ViolationScanFunction(
    DurableChangeChain chain, PatternRegistry patterns, RemediationSettings settings, ILogger<ViolationScanFunction> logger) : IFunctionHandler
{
    public const string Name = "ViolationScan";

    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var (findings, opened) = (0, 0);
        foreach (var account in chain.Accounts.All)
        {
            StorageAccountState state;
            try
            {
                state = await account.Connector.ReadAccountAsync(account.ContainerPrefix.Length > 0 ? account.ContainerPrefix : null, cancellationToken);
            }
            catch (RequestFailedException e)
            {
                // One unreadable account must not stop the others' scan; the next occurrence tries again.
                logger.LogWarning("Scan of {Account} failed: {Status} {Code}", account.Account, e.Status, e.ErrorCode);
                invocation.Log($"scan of {account.Account} failed: {e.Status}");
                continue;
            }
            var detected = patterns.Detect(state).Where(f => account.Covers(f.Asset)).ToList();
            var results = await chain.OpenAsync(detected, settings.DetectorId, cancellationToken);
            findings += detected.Count;
            opened += results.Count(r => r.Opened);
            foreach (var result in results.Where(r => r.Opened))
            {
                logger.LogInformation("Opened {Change}: {Pattern} on {Asset}", result.ChangeId, result.Finding.PatternId, result.Finding.Asset);
            }
        }
        var swept = await chain.SweepAsync(cancellationToken);
        invocation.Log($"scan: {findings} findings, {opened} changes opened, {swept} outboxes recovered");
        return FunctionResult.Empty;
    }
}
