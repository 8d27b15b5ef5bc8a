using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation;

/// <summary>
/// Renders an S3 or KMS operation as the <c>aws s3api</c> / <c>aws kms</c> command a person would run for it, in the
/// walkthrough's layout. Every such write has an absolute form in the CLI, so the command depends on the operation alone.
/// </summary>
public static class AwsCli
{
    public static string Render(S3Operation operation) => operation switch
    {
        SetBucketCannedAcl set => new CliCommand("aws s3api put-bucket-acl")
            .Option("--bucket", set.Asset.Bucket!)
            .Option("--acl", set.Acl switch
            {
                S3CannedAcl.Private => "private",
                _ => throw new ArgumentOutOfRangeException(nameof(operation), set.Acl, "no canned ACL"),
            })
            .Render(),
        SetBucketAcl set => new CliCommand("aws s3api put-bucket-acl")
            .Option("--bucket", set.Asset.Bucket!)
            .OptionValueBelow("--access-control-policy", $"file://{set.PolicyFile}")
            .Render(),
        SetPublicAccessBlock set => new CliCommand("aws s3api put-public-access-block")
            .Option("--bucket", set.Asset.Bucket!)
            .Option("--public-access-block-configuration", set.Block.ToString())
            .Render(),
        SetBucketPolicy { Policy.Document: null } set => new CliCommand("aws s3api delete-bucket-policy")
            .Option("--bucket", set.Asset.Bucket!)
            .Render(),
        SetBucketPolicy set => new CliCommand("aws s3api put-bucket-policy")
            .Option("--bucket", set.Asset.Bucket!)
            .Option("--policy", set.Policy.Document!)
            .Render(),
        SetBucketVersioning set => new CliCommand("aws s3api put-bucket-versioning")
            .Option("--bucket", set.Asset.Bucket!)
            .Option("--versioning-configuration", $"Status={set.Status}")
            .Render(),
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation.GetType().Name, "no aws rendering"),
    };

    /// <summary>
    /// <c>aws kms enable-key-rotation</c> / <c>disable-key-rotation</c> with the key id and its region (a key id means
    /// a key only within its region, so the command names it rather than rely on the CLI's configured default).
    /// </summary>
    public static string Render(KmsOperation operation) => operation switch
    {
        SetKeyRotation { Enabled: true } set => WithPeriod(new CliCommand("aws kms enable-key-rotation")
            .Option("--key-id", set.Asset.KeyId!), set.PeriodInDays)
            .Option("--region", set.Asset.Region!)
            .Render(),
        SetKeyRotation set => new CliCommand("aws kms disable-key-rotation")
            .Option("--key-id", set.Asset.KeyId!)
            .Option("--region", set.Asset.Region!)
            .Render(),
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation.GetType().Name, "no aws rendering"),
    };

    private static CliCommand WithPeriod(CliCommand command, int? days) =>
        days is { } period ? command.Option("--rotation-period-in-days", period.ToString(System.Globalization.CultureInfo.InvariantCulture)) : command;
}
