using PuppeteerSharp;

namespace Panaptico.Testing;

/// <summary>
/// Debian's Chromium, headless, driven by PuppeteerSharp over the DevTools protocol; no browser is downloaded. The test
/// command installs it (<c>apt-get install chromium</c> when /usr/bin/chromium is missing) and exports its path in
/// <see cref="EnvironmentVariable"/>; without it a test that needs a browser fails saying so.
/// </summary>
public static class HeadlessChromium
{
    public const string EnvironmentVariable = "PANAPTICO_TEST_CHROMIUM";

    private const string DebianPath = "/usr/bin/chromium";

    public static string ExecutablePath
    {
        get
        {
            var path = Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured ? configured : DebianPath;
            return File.Exists(path)
                ? path
                : throw new InvalidOperationException(
                    $"no Chromium at {path}: install Debian's with `apt-get install -y --no-install-recommends chromium` (./run.sh test does) or set {EnvironmentVariable}");
        }
    }

    public static Task<IBrowser> LaunchAsync() => Puppeteer.LaunchAsync(new LaunchOptions
    {
        ExecutablePath = ExecutablePath,
        Headless = true,
        // Root in a container has no user namespace sandbox; /dev/shm is small in containers.
        Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--font-render-hinting=none"],
        Timeout = 60_000,
    });
}
