using System.Diagnostics;

namespace Panaptico.Testing;

/// <summary>
/// Runs a Node.js script of the repository with <c>node</c> from PATH and the repository's node_modules (the test command
/// runs <c>npm ci</c>). A missing node or package fails the test with how to get it, never skips it.
/// </summary>
public static class NodeScript
{
    public sealed record Result(int ExitCode, string Output, string Errors);

    public static async Task<Result> RunAsync(string script, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var node = Find("node") ?? throw new InvalidOperationException(
            "node is not on PATH: install Node.js 20+ (the test command needs it for Azurite and the card checks)");
        if (!Directory.Exists(Repository.PathOf("node_modules", "adaptivecards")))
        {
            throw new InvalidOperationException($"{Repository.PathOf("node_modules")} lacks adaptivecards: run `npm ci` in {Repository.Root} (./run.sh test does)");
        }
        var start = new ProcessStartInfo(node)
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Repository.PathOf(script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{node} did not start");
        using var cancel = new CancellationTokenSource(timeout);
        var output = process.StandardOutput.ReadToEndAsync(cancel.Token);
        var errors = process.StandardError.ReadToEndAsync(cancel.Token);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish within {timeout}");
        }
        return new Result(process.ExitCode, await output, await errors);
    }

    /// <summary>An executable on PATH, or null.</summary>
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
