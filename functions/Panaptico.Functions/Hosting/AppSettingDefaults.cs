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

    /// <summary>
    /// host.json beneath every other source, under <c>AzureFunctionsJobHost</c>, so app settings such as
    /// <c>AzureFunctionsJobHost__extensions__durableTask__hubName</c> override it as they do under the Functions host.
    /// </summary>
    public static void AddHostJson(this IConfigurationManager configuration, string path)
    {
        if (!File.Exists(path))
        {
            return;
        }
        var hostJson = new ConfigurationBuilder().AddJsonFile(path).Build().AsEnumerable()
            .Where(pair => pair.Value is not null)
            .Select(pair => KeyValuePair.Create("AzureFunctionsJobHost:" + pair.Key, pair.Value));
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = hostJson });
    }
}
