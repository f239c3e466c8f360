using System.Reflection;
using Microsoft.Net.Http.Headers;

namespace Ingress.Gateway.Admin;

/// <summary>
/// Serves the dashboard (<c>Admin/Dashboard</c>: a page, its script and its stylesheet, embedded in the assembly) from
/// memory, so the gateway image needs no static files and the page always matches the gateway's <c>/api/state</c>.
/// </summary>
internal static class DashboardEndpoints
{
    // The page loads only its own script and stylesheet and talks only to /api/state. Service names and labels come
    // from whoever can deploy to the swarm; this policy is the backstop if one ever reached the page as markup.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void MapDashboard(this RouteGroupBuilder admin)
    {
        Map(admin, "/", "index.html", "text/html; charset=utf-8");
        Map(admin, "/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8");
        Map(admin, "/dashboard.css", "dashboard.css", "text/css; charset=utf-8");
    }

    private static void Map(RouteGroupBuilder admin, string path, string file, string contentType)
    {
        var content = Load(file);
        var etag = new EntityTagHeaderValue($"\"{ContentHash(content):x16}\"");
        admin.MapGet(path, (HttpContext context) =>
        {
            var headers = context.Response.Headers;
            // Revalidated on every load (answered 304 while unchanged), so an upgraded gateway never runs an old script.
            headers.CacheControl = "no-cache";
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            return Results.Bytes(content, contentType, entityTag: etag);
        });
    }

    /// <summary>
    /// FNV-1a (64 bits) of the content: an ETag only has to change when the file does. A cryptographic hash here would
    /// load OpenSSL into the gateway (4-5 MiB of memory) for nothing else.
    /// </summary>
    internal static ulong ContentHash(ReadOnlySpan<byte> content)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in content)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    private static byte[] Load(string file)
    {
        var name = "Dashboard/" + file;
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The dashboard resource '{name}' is missing from the gateway assembly; check the EmbeddedResource item in Ingress.Gateway.csproj.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
