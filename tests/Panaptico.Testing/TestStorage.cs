using Panaptico.Storage.Azurite;

namespace Panaptico.Testing;

/// <summary>
/// The one Azurite of a test run. The test command starts it and passes its connection string in
/// PANAPTICO_TEST_STORAGE; a test run without it (an IDE) starts its own on first use.
/// Tests isolate themselves by name prefix, never by a separate Azurite.
/// </summary>
public static class TestStorage
{
    public const string EnvironmentVariable = "PANAPTICO_TEST_STORAGE";

    private static readonly Lazy<Task<string>> Shared = new(StartAsync);
    private static AzuriteProcess? s_owned;

    public static Task<string> ConnectionStringAsync() => Shared.Value;

    /// <summary>A unique lowercase alphanumeric name that is valid for tables, containers and queues.</summary>
    public static string UniqueName(string prefix)
    {
        var clean = new string(prefix.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).ToArray());
        if (clean.Length == 0 || !char.IsAsciiLetter(clean[0]))
        {
            clean = "t" + clean;
        }
        var suffix = Guid.NewGuid().ToString("N")[..12];
        return (clean.Length > 27 ? clean[..27] : clean) + suffix;
    }

    private static async Task<string> StartAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment;
        }
        s_owned = await AzuriteProcess.StartAsync();
        return s_owned.ConnectionString;
    }
}
