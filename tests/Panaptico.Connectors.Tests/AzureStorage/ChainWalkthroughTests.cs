using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs.Models;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Testing;

namespace Panaptico.Connectors.Tests.AzureStorage;

/// <summary>
/// The walkthrough on Azurite, with the pure chain driven inline as its orchestration drives it: the side effect due at
/// each working stage runs through the connector and its result goes back to the chain as an event.
/// </summary>
public class ChainWalkthroughTests
{
    private static readonly Principal Approver = new("nina.ramirez", "nina.ramirez", new HashSet<string> { Role.Approver });
    private static readonly Principal Operator = new("omar", "omar", new HashSet<string> { Role.Operator });

    [Fact]
    public async Task A_public_production_container_is_ticketed_approved_fixed_closed_and_reverted_within_30_days()
    {
        var (account, runner, container) = await ArrangeAsync("walk");
        var state = await runner.OpenAsync();
        Assert.Equal(ChangeStage.Approval, state.Stage);
        Assert.Equal(PublicAccessType.Blob, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);

        account.Time.Advance(TimeSpan.FromSeconds(75));
        state = await runner.ApplyAsync(state, Sign(state, account.Time.GetUtcNow()));

        Assert.Equal(ChangeStage.Closed, state.Stage);
        Assert.Equal(PublicAccessType.None, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        Assert.Contains("approver: nina.ramirez", state.CloseOut!.Render(), StringComparison.Ordinal);
        Assert.Equal(
            ["change.opened", "approval.routed", "change.approval-requested", "approval.signed", "approval.cleared", "change.approved", "change.backed-up", "change.fixed",
             "change.verified", "change.rollback-bundle-stored", "change.closed"],
            runner.Ledger.Select(l => l.Kind));

        account.Time.Advance(TimeSpan.FromDays(29));
        state = await runner.ApplyAsync(state, new RevertRequested(Operator, account.Time.GetUtcNow()));

        Assert.Equal(ChangeStage.Reverted, state.Stage);
        Assert.Equal(PublicAccessType.Blob, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
    }

    [Fact]
    public async Task A_revert_after_the_30_day_window_is_gone_and_leaves_the_fix_in_place()
    {
        var (account, runner, container) = await ArrangeAsync("late");
        var state = await runner.OpenAsync();
        state = await runner.ApplyAsync(state, Sign(state, account.Time.GetUtcNow()));

        account.Time.Advance(TimeSpan.FromDays(31));
        var outcome = runner.Chain.Decide(state, new RevertRequested(Operator, account.Time.GetUtcNow()));

        Assert.Equal(RefusalCode.Expired, Assert.IsType<ChainRefusal>(outcome).Code);
        Assert.Equal(PublicAccessType.None, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
    }

    private static async Task<(AzuriteAccount, InlineChainRunner, Azure.Storage.Blobs.BlobContainerClient)> ArrangeAsync(string prefix)
    {
        var account = await AzuriteAccount.ConnectAsync();
        var name = TestStorage.UniqueName(prefix);
        var container = account.Client.GetBlobContainerClient(name);
        await container.CreateAsync(PublicAccessType.Blob, new Dictionary<string, string> { ["env"] = "prod", ["team"] = "platform-security" });
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy(), ShippedRules.Value);
        return (account, new InlineChainRunner(chain, account, name), container);
    }

    /// <summary>The approver signs the seat the shipped rules route to them, on the context pack they reviewed.</summary>
    private static SeatApproved Sign(ChangeState state, DateTimeOffset at) =>
        new(Approver, at, null, "customer exports must not be public", state.ApprovalGate!.ContextPackHash);

    // The rules file shipped beside the app, found above the test binaries.
    private static readonly Lazy<ApprovalRules> ShippedRules = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Panaptico.Core", "Governance", "Approvals", "approval-routes.sample.yaml");
            if (File.Exists(candidate))
            {
                return ApprovalRules.Parse(File.ReadAllText(candidate));
            }
        }
        throw new FileNotFoundException("approval-routes.sample.yaml not found above the test binaries");
    });

    /// <summary>What the orchestration's activities do, run inline: no engine, no persistence, same calls.</summary>
    private sealed class InlineChainRunner(ChangeChain chain, AzuriteAccount account, string containerName)
    {
        public ChangeChain Chain => chain;

        public List<LedgerEntry> Ledger { get; } = [];

        public async Task<ChangeState> OpenAsync()
        {
            var scan = await account.Connector.ReadAccountAsync(containerName, CancellationToken.None);
            var finding = Assert.Single(PatternRegistry.Default.Detect(scan), f => f.Asset.Container == containerName);
            var opened = chain.Open(ChangeId.For(scan.ReadAt, 1), finding, "system:scan", scan.ReadAt);
            return await DrainAsync(opened);
        }

        public async Task<ChangeState> ApplyAsync(ChangeState state, ChainEvent e) =>
            await DrainAsync(Assert.IsType<ChainTransition>(chain.Decide(state, e)));

        /// <summary>Runs the side effect due at each working stage until the change waits (approval, rollback window) or ends.</summary>
        private async Task<ChangeState> DrainAsync(ChainTransition transition)
        {
            var state = Take(transition);
            while (state.Stage.StepAt() is { } step)
            {
                var e = await RunStepAsync(state, step);
                state = Take(Assert.IsType<ChainTransition>(chain.Decide(state, e)));
            }
            return state;
        }

        private ChangeState Take(ChainTransition transition)
        {
            Ledger.AddRange(transition.Ledger);
            return transition.State;
        }

        private async Task<ChainEvent> RunStepAsync(ChangeState state, ChainStep step)
        {
            var ct = CancellationToken.None;
            var now = account.Time.GetUtcNow();
            var asset = state.Plan.Asset;
            switch (step)
            {
                case ChainStep.TakeBackup:
                    var snapshot = await account.Connector.ReadAssetAsync(asset, ct);
                    var bytes = Encoding.UTF8.GetBytes(AzuriteAccount.Json(snapshot));
                    return new BackupTaken(now, snapshot, $"memory://rollback-vault/{state.Id}.json", Convert.ToHexStringLower(SHA256.HashData(bytes)));
                case ChainStep.ApplyFix:
                    await account.Connector.ExecuteAsync(ChangeChain.OperationFor(state, step), ct);
                    return new FixApplied(now);
                case ChainStep.VerifyFix:
                    return new FixObserved(now, await account.Connector.ReadAssetAsync(asset, ct));
                case ChainStep.StoreRollbackBundle:
                    return new RollbackBundleStored(now, $"memory://rollback-vault/{state.Id}.bundle.json");
                case ChainStep.SendCloseOut:
                    _ = ChangeChain.CloseOutNotification(state);
                    return new CloseOutSent(now);
                case ChainStep.RestoreFromBackup:
                    await account.Connector.ExecuteAsync(ChangeChain.OperationFor(state, step), ct);
                    return new RestoreObserved(now, await account.Connector.ReadAssetAsync(asset, ct));
                case ChainStep.RevertChange:
                    await account.Connector.ExecuteAsync(ChangeChain.OperationFor(state, step), ct);
                    return new RevertObserved(now, await account.Connector.ReadAssetAsync(asset, ct));
                default:
                    throw new InvalidOperationException($"step {step} is not driven inline");
            }
        }
    }
}
