using Ingress.Testing;

namespace Ingress.Gateway.Tests.Access;

/// <summary>Users files for tests: lines from the real <c>htpasswd</c> tool (apache2-utils), and from BCrypt.Net.</summary>
internal static class Htpasswd
{
    /// <summary>
    /// Lines the real tool wrote (htpasswd 2.4, <c>htpasswd -nb OPTION USER pw</c>, alice's password <c>s3cret!</c>): used
    /// where the tool is not installed, so the tests still check its formats.
    /// </summary>
    private static readonly Dictionary<string, string> s_recorded = new(StringComparer.Ordinal)
    {
        ["-B alice s3cret!"] = "alice:$2y$05$D..Fd34UOZAnR3g/iKh2J.YzF7AOy13CHhF.YbiDseIVPaYkv7.Ya",
        ["-m bob pw"] = "bob:$apr1$11nmhs6H$kJHvf31kg5kKT6/XU7XeH0",
        ["-s carol pw"] = "carol:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=",
        ["-d dave pw"] = "dave:PLCk2x/BfGgoQ",
        ["-p erin pw"] = "erin:pw",
    };

    /// <summary>
    /// The line <c>htpasswd -nb OPTION USER PASSWORD</c> writes (<c>-B</c> bcrypt, <c>-m</c> MD5-apr1, <c>-s</c> SHA-1,
    /// <c>-d</c> crypt, <c>-p</c> plain), run now when the tool is installed, else as recorded.
    /// </summary>
    public static async Task<string> ToolAsync(string option, string user, string password)
    {
        if (!File.Exists("/usr/bin/htpasswd"))
        {
            return s_recorded[$"{option} {user} {password}"];
        }

        var output = await Shell.RunAsync("/usr/bin/htpasswd", ["-nb", option, user, password], TimeSpan.FromSeconds(30));
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
    }

    /// <summary>A bcrypt line made by BCrypt.Net, at the lowest cost (4) so that tests stay quick.</summary>
    public static string BCryptLine(string user, string password, int cost = 4) =>
        $"{user}:{BCrypt.Net.BCrypt.HashPassword(password, cost)}";
}
