namespace Panaptico.Core.Remediation.Assets;

/// <summary>The one way times are written in evidence, commands and tickets: UTC, ISO 8601, no fraction unless present.</summary>
public static class AzureTime
{
    public static string Format(DateTimeOffset? time) => time is not { } t
        ? "none"
        : t.UtcDateTime.Ticks % TimeSpan.TicksPerSecond == 0
            ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")
            : t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'");
}
