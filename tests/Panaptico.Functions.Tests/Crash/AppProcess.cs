using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Panaptico.Functions.Tests.Crash;

/// <summary>
/// The standalone function app as a real child process (the built <c>Panaptico.Functions</c>), so a test can kill it
/// with SIGKILL mid-work and start it again on the same storage and task hub.
/// </summary>
public sealed partial class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AppProcess(IReadOnlyDictionary<string, string> settings)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Panaptico.Functions.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in settings)
        {
            start.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Read(e.Data);
        _process.ErrorDataReceived += (_, e) => Read(e.Data);
        _process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException($"the app exited with {_process.ExitCode} before listening:\n{Output}"));
    }

    public Uri BaseAddress => _listening.Task.Result;

    public string Output => string.Join('\n', Lines);

    private List<string> Lines { get; } = [];

    public static async Task<AppProcess> StartAsync(IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var app = new AppProcess(settings);
        app._process.Start();
        app._process.BeginOutputReadLine();
        app._process.BeginErrorReadLine();
        await app._listening.Task.WaitAsync(cancellationToken);
        return app;
    }

    /// <summary>SIGKILL: no shutdown, no flush, no lease released, as a crashed host.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void Read(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (Lines)
        {
            Lines.Add(line);
        }
        if (ListeningLine().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
