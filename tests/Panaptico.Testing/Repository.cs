namespace Panaptico.Testing;

/// <summary>The repository the tests run from: the folder with Panaptico.sln above the test assembly.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
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
