namespace Panaptico.Core.Remediation;

/// <summary>One governed field compared: null means the field is absent (e.g. a CORS rule or policy that should not exist).</summary>
public sealed record FieldCheck(string Field, string? Expected, string? Observed)
{
    public bool Matches => string.Equals(Expected, Observed, StringComparison.Ordinal);

    public string Reason => Matches
        ? $"{Field}: {Show(Observed)} as predicted"
        : $"{Field}: expected {Show(Expected)}, observed {Show(Observed)}";

    private static string Show(string? value) => value is null ? "absent" : $"'{value}'";
}

/// <summary>A read-back compared field by field with what a plan predicted.</summary>
public sealed record Verification(IReadOnlyList<FieldCheck> Fields)
{
    public bool Matches => Fields.All(f => f.Matches);

    public IReadOnlyList<string> Mismatches => [.. Fields.Where(f => !f.Matches).Select(f => f.Reason)];

    public static Verification Compare(PredictedState predicted, IReadOnlyList<FieldValue> observed)
    {
        var expected = predicted.Fields.ToDictionary(f => f.Field, f => f.Value, StringComparer.Ordinal);
        var actual = observed.ToDictionary(f => f.Field, f => f.Value, StringComparer.Ordinal);
        var fields = expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal);
        return new Verification([.. fields.Select(f => new FieldCheck(f, expected.GetValueOrDefault(f), actual.GetValueOrDefault(f)))]);
    }
}
