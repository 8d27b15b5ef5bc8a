using System.Text;

namespace Panaptico.Core.Remediation;

/// <summary>
/// One CLI command (az or aws) as the walkthrough prints it: the verb, then one option per line after <c> \</c>, LF line
/// ends, values quoted for a POSIX shell only when they need it. No clock, no culture: the same input, the same bytes.
/// </summary>
internal sealed class CliCommand(string verb)
{
    private readonly List<string> _options = [];

    public CliCommand Option(string name, string value)
    {
        _options.Add($"{name} {Quote(value)}");
        return this;
    }

    /// <summary>An option whose value goes on a line of its own (the walkthrough's <c>file://…</c> argument).</summary>
    public CliCommand OptionValueBelow(string name, string value)
    {
        _options.Add(name);
        _options.Add(Quote(value));
        return this;
    }

    public CliCommand Option(string name, IEnumerable<string> values)
    {
        var quoted = values.Select(Quote).ToList();
        _options.Add(quoted.Count == 0 ? $"{name} ''" : $"{name} {string.Join(' ', quoted)}");
        return this;
    }

    public string Render()
    {
        var text = new StringBuilder(verb);
        foreach (var option in _options)
        {
            text.Append(" \\\n  ").Append(option);
        }
        return text.ToString();
    }

    /// <summary>What <see cref="ViolationPattern"/> shows for an operation: the aws command for S3 and KMS, the az command for Azure.</summary>
    public static string For(Assets.StorageOperation operation, Assets.AssetState before) => operation switch
    {
        Assets.S3Operation s3 => AwsCli.Render(s3),
        Assets.KmsOperation kms => AwsCli.Render(kms),
        _ => AzCli.Render(operation, before),
    };

    // POSIX single quotes whenever a value holds anything a shell might read (e.g. the CORS origin *).
    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,+".Contains(c))
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
