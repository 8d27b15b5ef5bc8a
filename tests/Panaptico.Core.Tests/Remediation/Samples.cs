using Panaptico.Core.Identity;
using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Tests.Remediation;

/// <summary>The walkthrough's world, on Azure: an account, a production container, and the people who act on it.</summary>
internal static class Samples
{
    public const string AccountName = "acmeprod";

    public static readonly DateTimeOffset Detected = new(2026, 4, 15, 3, 12, 47, TimeSpan.Zero);

    public static readonly AssetId ServiceId = AssetId.BlobService(AccountName);

    public static ContainerState Container(
        string name = "customer-exports",
        PublicAccessLevel access = PublicAccessLevel.Blob,
        IReadOnlyDictionary<string, string>? metadata = null,
        params StoredAccessPolicy[] policies) =>
        new(
            AssetId.BlobContainer(AccountName, name),
            access,
            metadata ?? new Dictionary<string, string> { ["env"] = "prod", ["team"] = "platform-security" },
            policies);

    public static BlobServiceState Service(
        IReadOnlyList<CorsRule>? cors = null,
        RetentionPolicy? deleteRetention = null,
        AnalyticsLogging? logging = null) =>
        new(
            ServiceId,
            cors ?? [],
            deleteRetention ?? new RetentionPolicy(true, 14),
            logging ?? new AnalyticsLogging("1.0", true, true, true, new RetentionPolicy(true, 90)));

    public static StorageAccountState Account(BlobServiceState? service = null, params ContainerState[] containers) =>
        new(AccountName, new Dictionary<string, string>(), service ?? Service(), containers, Detected);

    public static CorsRule Cors(string origins, string methods) =>
        new([.. origins.Split(',')], [.. methods.Split(',')], ["*"], ["*"], 3600);

    public static Principal Person(string id, params string[] roles) => new(id, id, new HashSet<string>(roles));

    public static Principal Approver(string id = "nina.ramirez") => Person(id, Role.Approver);
}
