using Panaptico.Core.Governance.Approvals;

namespace Panaptico.Functions.Governance;

public sealed class ApprovalRulesUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The approval routing rules the app routes with: <c>Governance:ApprovalRulesPath</c>, or <c>approval-routes.yaml</c>
/// beside the app (the shipped sample). Read at start (<see cref="GovernanceBootstrap"/>) and kept: a missing or invalid
/// file stops the app from starting, with the file and the problems named.
/// </summary>
public sealed class ApprovalRulesSource(GovernanceOptions options)
{
    public const string DefaultFileName = "approval-routes.yaml";

    // PublicationOnly: a failed read is not cached, so a restart after fixing the file reads it again.
    private readonly Lazy<ApprovalRules> _rules = new(
        () => Load(options.ApprovalRulesPath ?? Path.Combine(AppContext.BaseDirectory, DefaultFileName)),
        LazyThreadSafetyMode.PublicationOnly);

    /// <exception cref="ApprovalRulesUnavailableException">The file is missing or invalid.</exception>
    public ApprovalRules Rules => _rules.Value;

    private static ApprovalRules Load(string path)
    {
        string yaml;
        try
        {
            yaml = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ApprovalRulesUnavailableException($"approval rules cannot be read from {path} (set Governance:ApprovalRulesPath): {e.Message}", e);
        }

        try
        {
            return ApprovalRules.Parse(yaml);
        }
        catch (ApprovalRulesException e)
        {
            throw new ApprovalRulesUnavailableException($"approval rules in {path} are invalid: {string.Join("; ", e.Problems)}", e);
        }
    }
}
