using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Panaptico.Storage.Azurite;

/// <summary>
/// The embedded default store: Azurite (installed by <c>npm ci</c> from the repository's package.json) on loopback,
/// on ports the OS picks, with a temporary workspace that is deleted when it stops.
/// </summary>
public sealed partial class AzuriteProcess : IAsyncDisposable
{
    // Azurite's well-known development account; not a secret (it is published in Microsoft's docs).
    public const string DevAccountName = "devstoreaccount1";
    public const string DevAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _workspace;

    private AzuriteProcess(Process process, string workspace, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        _workspace = workspace;
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={DevAccountName};AccountKey={DevAccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/{DevAccountName};" +
            $"QueueEndpoint=http://127.0.0.1:{queuePort}/{DevAccountName};" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/{DevAccountName};";
    }

    public string ConnectionString { get; }

    /// <summary>Starts Azurite and waits until its three services listen.</summary>
    public static async Task<AzuriteProcess> StartAsync(CancellationToken cancellationToken = default)
    {
        var script = FindAzuriteScript()
            ?? throw new InvalidOperationException(
                "Azurite is not installed: run `npm ci` in the repository root (package.json pins it).");
        var workspace = Path.Combine(Path.GetTempPath(), "panaptico-azurite-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(workspace);

        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     script, "--location", workspace, "--skipApiVersionCheck", "--disableTelemetry", "--loose",
                     "--blobHost", "127.0.0.1", "--blobPort", "0",
                     "--queueHost", "127.0.0.1", "--queuePort", "0",
                     "--tableHost", "127.0.0.1", "--tablePort", "0",
                 })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        var ports = new Dictionary<string, int>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("Azurite exited before it was ready"));
                return;
            }
            var match = ListeningLine().Match(e.Data);
            if (!match.Success)
            {
                return;
            }
            lock (ports)
            {
                ports[match.Groups["service"].Value] = int.Parse(match.Groups["port"].Value);
                if (ports.Count == 3)
                {
                    ready.TrySetResult();
                }
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await ready.Task.WaitAsync(timeout.Token);
        }
        catch
        {
            Stop(process, workspace);
            throw;
        }

        var azurite = new AzuriteProcess(process, workspace, ports["Blob"], ports["Queue"], ports["Table"]);
        // A test host or demo that ends without disposing must not leave Azurite behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(process, workspace);
        return azurite;
    }

    public ValueTask DisposeAsync()
    {
        Stop(_process, _workspace);
        return ValueTask.CompletedTask;
    }

    private static void Stop(Process process, string workspace)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        try
        {
            Directory.Delete(workspace, recursive: true);
        }
        catch (IOException)
        {
            // best effort: it is a temp folder
        }
    }

    /// <summary>Looks for node_modules/azurite above the current directory and above this assembly.</summary>
    private static string? FindAzuriteScript()
    {
        foreach (var origin in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(origin); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "node_modules", "azurite", "dist", "src", "azurite.js");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at http://127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}
