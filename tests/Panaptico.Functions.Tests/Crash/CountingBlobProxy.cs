using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Panaptico.Functions.Tests.Crash;

/// <summary>
/// A pass-through proxy in front of Azurite's blob service that counts container ACL writes per container: the storage
/// side's own count of how many times a fix was written, whatever the app's processes believe.
/// </summary>
public sealed class CountingBlobProxy : IAsyncDisposable
{
    private static readonly HashSet<string> ContentHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Type", "Content-Length", "Content-MD5", "Content-Encoding", "Content-Language", "Content-Range", "Content-Disposition",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _azurite = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    private CountingBlobProxy(Uri target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(context => ForwardAsync(context, target));
    }

    /// <summary>Container ACL writes (<c>PUT ?restype=container&amp;comp=acl</c>) that Azurite accepted, by container name.</summary>
    public ConcurrentDictionary<string, int> AclWrites { get; } = new();

    public Uri Address => new(_app.Urls.First());

    public static async Task<CountingBlobProxy> StartAsync(Uri target)
    {
        var proxy = new CountingBlobProxy(target);
        await proxy._app.StartAsync();
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _azurite.Dispose();
    }

    private async Task ForwardAsync(HttpContext context, Uri target)
    {
        var request = context.Request;
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method),
            new Uri(target, request.Path.Value + request.QueryString.Value));
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            forward.Content = new StreamContent(request.Body);
        }
        foreach (var (name, values) in request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (ContentHeaders.Contains(name))
            {
                forward.Content ??= new ByteArrayContent([]);
                forward.Content.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
            else
            {
                forward.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        using var response = await _azurite.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        if (request.Method == "PUT" && request.Query["restype"] == "container" && request.Query["comp"] == "acl" && response.IsSuccessStatusCode)
        {
            var container = request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries).Last();
            AclWrites.AddOrUpdate(container, 1, (_, n) => n + 1);
        }
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }
}
