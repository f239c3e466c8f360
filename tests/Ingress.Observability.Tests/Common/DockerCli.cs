namespace Ingress.Observability.Tests.Common;

/// <summary>Finds a docker CLI that has <c>docker stack config</c> (Docker 23 and later; Debian 12's docker.io 20.10 lacks it).</summary>
internal static class DockerCli
{
    public static async Task<string> WithStackConfigAsync()
    {
        var fromPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "docker"));
        var tried = new List<string>();
        foreach (var candidate in fromPath.Concat(["/usr/local/bin/docker", "/usr/bin/docker"]).Distinct().Where(File.Exists))
        {
            var help = await Shell.TryRunAsync(candidate, ["stack", "config", "--help"], TimeSpan.FromSeconds(30));
            // An older CLI answers with the generic `docker stack` help, which has no --compose-file option.
            if (help.ExitCode == 0 && help.StandardOutput.Contains("--compose-file", StringComparison.Ordinal))
            {
                return candidate;
            }

            tried.Add(candidate);
        }

        Assert.Fail($"No docker CLI with `docker stack config` (Docker 23 or later) was found; tried: {(tried.Count == 0 ? "none present" : string.Join(", ", tried))}. " +
            "Install a Docker 23+ CLI (e.g. the static docker binary in /usr/local/bin); Debian 12's docker.io 20.10 lacks `stack config`.");
        return "";
    }
}
