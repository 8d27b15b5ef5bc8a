using System.Reflection;

namespace Panaptico.Infra.Tests.Support;

/// <summary>Paths in the repository these tests read, found from the test assembly's location.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The Bicep CLI restored from NuGet for this project (see the csproj).</summary>
    public static string BicepPath { get; } = typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "BicepPath").Value ?? throw new InvalidOperationException("no BicepPath metadata");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Panaptico.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Panaptico.sln above {AppContext.BaseDirectory}");
    }
}
