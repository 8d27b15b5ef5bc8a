using System.Collections.Immutable;

namespace Panaptico.Core.Drift;

/// <summary>
/// Parses each change source in its real shape into <see cref="SourceEvent"/>s. A payload may hold one record or a
/// page of them (<c>value</c>, <c>Records</c>, <c>data</c>, a JSON array). Malformed input is refused whole with
/// <see cref="DriftCodes.SourceMalformed"/> and the JSON path of the problem.
/// </summary>
public static partial class SourceEvents
{
    /// <exception cref="DriftInputException">The payload is not in <paramref name="kind"/>'s shape.</exception>
    public static ImmutableArray<SourceEvent> Parse(SourceKind kind, string json) => throw new NotImplementedException();
}
