using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation;

/// <summary>
/// A control in a compliance framework, e.g. <c>CIS Azure 3.7</c>, <c>CIS 1.20</c> or <c>SOC 2 CC6.6</c>.
/// Editions: CIS Microsoft Azure Foundations Benchmark v2.0.0, CIS Amazon Web Services Foundations Benchmark v1.3.0
/// (written <c>CIS 1.20</c>, as the product's walkthrough writes it; later editions renumber some, e.g. KMS rotation 3.8 → 3.6 in v3.0.0), AICPA Trust Services Criteria (2017),
/// ISO/IEC 27001:2013 Annex A, HIPAA Security Rule (45 CFR), PCI DSS v4.0, GDPR.
/// </summary>
public sealed record FrameworkControl(string Framework, string Control)
{
    public const string CisAzure = "CIS Azure";
    public const string CisAws = "CIS";
    public const string Soc2 = "SOC 2";
    public const string Iso27001 = "ISO 27001";
    public const string Hipaa = "HIPAA";
    public const string PciDss = "PCI-DSS";
    public const string Gdpr = "GDPR";

    public static FrameworkControl Cis(string control) => new(CisAzure, control);

    public static FrameworkControl CisAwsFoundations(string control) => new(CisAws, control);

    public static FrameworkControl Soc(string control) => new(Soc2, control);

    public static FrameworkControl Iso(string control) => new(Iso27001, control);

    public static FrameworkControl HipaaRule(string control) => new(Hipaa, control);

    public static FrameworkControl Pci(string control) => new(PciDss, control);

    public static FrameworkControl GdprArticle(string control) => new(Gdpr, control);

    public override string ToString() => $"{Framework} {Control}";
}

public enum Severity
{
    Low,
    Medium,
    High,
    Critical,
}

/// <summary>Which assets a pattern looks at: a kind, optionally narrowed by a tag (e.g. <c>env=prod</c>).</summary>
public sealed record AppliesTo(AssetKind Kind, TagCondition? When = null)
{
    public bool Matches(AssetState asset, IReadOnlyDictionary<string, string> tags) =>
        asset.Id.Kind == Kind && (When is null || When.IsMetBy(tags));

    public override string ToString() => When is null ? Kind.ToString() : $"{Kind} where {When}";
}
