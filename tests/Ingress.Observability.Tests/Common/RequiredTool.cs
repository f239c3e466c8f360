namespace Ingress.Observability.Tests.Common;

/// <summary>
/// The programs these tests drive (Chromium, promtool, Prometheus, Docker). A missing one fails the test, naming the
/// Debian package that provides it: a skipped check would pass silently on the machine that lacks the tool.
/// </summary>
internal static class RequiredTool
{
    public static string Find(string path, string aptPackage)
    {
        Assert.True(File.Exists(path), $"{path} is missing: install the Debian package '{aptPackage}' (apt-get install -y {aptPackage}).");
        return path;
    }
}
