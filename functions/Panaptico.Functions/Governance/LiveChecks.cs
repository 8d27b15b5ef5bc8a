using Microsoft.Extensions.Options;
using Panaptico.Connectors.Kms;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.Runbooks;

namespace Panaptico.Functions.Governance;

/// <summary>
/// The live checks this app can run, by kind, each over its connector. A task declaring a kind the app has no
/// connector for, or a scope the check does not understand, is refused at creation, not at the first run.
/// </summary>
public sealed class LiveChecks(IEnumerable<ILiveCheck> checks, IReadOnlyDictionary<string, string> unavailable)
{
    private readonly Dictionary<string, ILiveCheck> _byKind = checks.ToDictionary(c => c.Kind, StringComparer.Ordinal);

    public ILiveCheck? Find(string kind) => _byKind.GetValueOrDefault(kind);

    /// <summary>Null when every live check the steps declare can run here.</summary>
    public Refusal? Validate(IEnumerable<RunbookStep> steps)
    {
        foreach (var step in steps)
        {
            if (step.LiveCheck is not { } declared)
            {
                continue;
            }

            if (Find(declared.Kind) is not { } check)
            {
                var why = unavailable.TryGetValue(declared.Kind, out var setting)
                    ? $"this app has no connector for it ({setting})"
                    : $"known kinds: {string.Join(", ", _byKind.Keys.Concat(unavailable.Keys).Order(StringComparer.Ordinal))}";
                return Decision.Refuse(RefusalCode.Invalid, $"runbook step {step.Number}: live check '{declared.Kind}' cannot run: {why}");
            }

            if (check.ValidateScope(declared.Scope) is { } problem)
            {
                return Decision.Refuse(RefusalCode.Invalid, $"runbook step {step.Number}: {declared.Kind} scope: {problem}");
            }
        }

        return null;
    }
}

public static class LiveCheckSetup
{
    /// <summary>The live checks whose connectors are configured: <c>kms.rotation</c> once <c>Kms:Region</c> is set.</summary>
    public static IServiceCollection AddLiveChecks(this IServiceCollection services)
    {
        services.AddOptions<KmsOptions>().BindConfiguration(KmsOptions.Section);
        services.AddSingleton(sp =>
        {
            var kms = sp.GetRequiredService<IOptions<KmsOptions>>().Value;
            var checks = new List<ILiveCheck>();
            var unavailable = new Dictionary<string, string>(StringComparer.Ordinal);
            if (kms.IsConfigured)
            {
                checks.Add(new KmsRotationCheck(new KmsConnector(KmsConnector.CreateClient(kms), kms)));
            }
            else
            {
                unavailable[KmsRotationCheck.KindName] = "set Kms:Region and the governed key scope";
            }

            return new LiveChecks(checks, unavailable);
        });
        return services;
    }
}
