namespace Panaptico.Core.Drift;

/// <summary>
/// Input the drift domain refuses: a malformed graph import, source record, policy file or intent change. Nothing was
/// applied. <see cref="Code"/> is what the API puts in problem+json; every problem names its line or JSON path.
/// </summary>
public sealed class DriftInputException : Exception
{
    public DriftInputException(string code, IReadOnlyList<string> problems)
        : base($"{code}: {string.Join("; ", problems)}")
    {
        Code = code;
        Problems = problems;
    }

    public DriftInputException()
        : this(DriftCodes.GraphInvalid, ["invalid input"])
    {
    }

    public DriftInputException(string message)
        : this(DriftCodes.GraphInvalid, [message])
    {
    }

    public DriftInputException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = DriftCodes.GraphInvalid;
        Problems = [message];
    }

    public string Code { get; }

    public IReadOnlyList<string> Problems { get; }
}

/// <summary>The refusal codes of the drift domain (one place names them).</summary>
public static class DriftCodes
{
    /// <summary>A graph import or definition is malformed (400).</summary>
    public const string GraphInvalid = "drift.graph-invalid";

    /// <summary>An intent names a connector kind nobody registered (400).</summary>
    public const string UnknownConnector = "drift.unknown-connector";

    /// <summary>An intent change names an object the graph does not hold (404).</summary>
    public const string UnknownObject = "drift.unknown-object";

    /// <summary>The graph moved on since the version the change was made against (409).</summary>
    public const string VersionConflict = "drift.version-conflict";

    /// <summary>A Terraform state file is not a v4 state or is malformed (400).</summary>
    public const string TerraformStateInvalid = "drift.terraform-state-invalid";

    /// <summary>A source record is not in its source's shape (400).</summary>
    public const string SourceMalformed = "drift.source-malformed";

    /// <summary>The routing policy file is malformed or names an unknown class, action or field (fails the start).</summary>
    public const string PolicyInvalid = "drift.policy-invalid";
}
