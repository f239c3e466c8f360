namespace Ingress.Testing;

/// <summary>Files of this repository (scripts, stack.yml, docs), found from the test binaries' location.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ingress.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Ingress.sln above {AppContext.BaseDirectory}.");
    }
}
