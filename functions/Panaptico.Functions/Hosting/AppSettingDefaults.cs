using Microsoft.Extensions.Configuration.Memory;

namespace Panaptico.Functions.Hosting;

public static class AppSettingDefaults
{
    /// <summary>
    /// Gives an app setting that a binding reads (<c>%Setting%</c>) a default beneath every other configuration source,
    /// so standalone mode starts without it; in Azure the deployment's app settings provide it.
    /// </summary>
    public static void AddDefault(this IConfiguration configuration, string name, string value)
    {
        if (configuration[name] is null && configuration is IConfigurationBuilder builder)
        {
            builder.Sources.Insert(0, new MemoryConfigurationSource { InitialData = [KeyValuePair.Create<string, string?>(name, value)] });
        }
    }
}
