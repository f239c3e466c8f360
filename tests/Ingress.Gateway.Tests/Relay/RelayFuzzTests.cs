using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Relay;

/// <summary>
/// The relay parses requests itself, so it must never accept what Kestrel rejects, nor read a request differently
/// (the stuff of request smuggling). Mutated raw requests go to a gateway with the relay and one without; both must
/// answer with the same status, and the replica must receive the same requests from both, byte for byte in meaning.
/// </summary>
/// <remarks>
/// One difference is by design: a request that declares a body it never sends. The YARP pipeline waits for it until
/// the data-rate limit cuts the client off (408), even when the replica has already answered; the relay passes the
/// replica's answer on at once and closes the connection, as nginx does.
/// </remarks>
public sealed class RelayFuzzTests
{
    private static readonly string[] s_bases =
    [
        "GET /a/b?q=1 HTTP/1.1\r\nHost: a.test\r\nX-One: 1\r\n\r\n",
        "POST /p HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\n\r\nhello",
        "HEAD / HTTP/1.1\r\nHost: a.test:8080\r\nConnection: close\r\n\r\n",
        "DELETE /x HTTP/1.1\r\nHost: a.test\r\nContent-Length: 0\r\nX-Two: 2\r\n\r\n",
    ];

    private static readonly string[] s_insertions =
    [
        " ", "\t", "\r", "\n", "\r\n", "\0", ":", "%", "%2e", "/..", "//", "\u00e9", "\u007f", "Transfer-Encoding: chunked\r\n",
        "Content-Length: 3\r\n", "Content-Length: 5\r\n", "Host: b.test\r\n", "Connection: upgrade\r\n", "Expect: 100-continue\r\n",
        "X-Forwarded-For: 1.2.3.4\r\n", "HTTP/1.0", "\r\n\r\n", "?", "#", "@", "Content-Length: +5\r\n", " chunked",
    ];

    [Fact]
    public async Task MutatedRequests_GetTheSameAnswerFromTheRelayAsFromTheYarpPipeline()
    {
        await using var backend = await StreamingBackend.StartAsync();
        var settings = StaticRoutes.CatchAll(backend.Address);
        settings["Ingress:Limits:RequestHeadersTimeout"] = "00:00:01";
        await using var relay = await GatewayTestHost.StartAsync(settings);
        await using var yarp = await ReferenceGateway.StartAsync(settings);

        var random = new Random(20261129);
        var cases = new List<string>();
        for (var i = 0; i < 240; i++)
        {
            cases.Add(Mutate(random, s_bases[i % s_bases.Length]));
        }

        var differences = new List<string>();
        foreach (var batch in cases.Chunk(24))
        {
            var results = await Task.WhenAll(batch.Select(async raw =>
            {
                var viaYarp = await SendAsync(yarp.EntryPorts[0], raw);
                var viaRelay = await SendAsync(relay.EntryPorts[0], raw);
                return (raw, viaYarp, viaRelay);
            }));
            foreach (var (raw, viaYarp, viaRelay) in results)
            {
                if (viaYarp != viaRelay && !(viaYarp == "408" && DeclaresMoreBodyThanItSends(raw) && viaRelay is not ("closed" or "no answer")))
                {
                    differences.Add($"{Escape(raw)}: YARP pipeline {viaYarp}, relay {viaRelay}");
                }
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));

        // What the replica received, request by request, is the same through both (order aside).
        var seen = backend.Requests.Select(r => $"{r.Method} {r.RawTarget} {string.Join(";", r.Headers.Where(h => h.Key is not ("Host" or "X-Forwarded-Host")).OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase).Select(h => h.Key.ToLowerInvariant() + "=" + h.Value))}")
            .GroupBy(r => r).Where(g => g.Count() % 2 != 0).Select(g => g.Key).ToList();
        Assert.True(seen.Count == 0, "requests the replica got through one gateway only:\n" + string.Join("\n", seen));
    }

    /// <summary>A complete head whose Content-Length is more than the bytes that follow it.</summary>
    private static bool DeclaresMoreBodyThanItSends(string raw)
    {
        var end = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        foreach (var line in raw[..end].Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)
                && long.TryParse(line["Content-Length:".Length..].Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length))
            {
                return length > raw.Length - end - 4;
            }
        }

        return false;
    }

    private static string Mutate(Random random, string request)
    {
        var text = request;
        var edits = random.Next(1, 3);
        for (var e = 0; e < edits; e++)
        {
            var at = random.Next(text.Length + 1);
            text = random.Next(4) switch
            {
                0 => text.Insert(at, s_insertions[random.Next(s_insertions.Length)]),
                1 when text.Length > 0 => text.Remove(Math.Min(at, text.Length - 1), 1),
                2 => text.Insert(text.IndexOf("\r\n", StringComparison.Ordinal) + 2, s_insertions[random.Next(s_insertions.Length)]),
                _ => ChangeCase(text, at),
            };
        }

        return text;
    }

    private static string ChangeCase(string text, int at)
    {
        if (at >= text.Length)
        {
            return text;
        }

        var c = text[at];
        return text[..at] + (char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)) + text[(at + 1)..];
    }

    /// <summary>The status of the first response, or how the connection ended without one.</summary>
    private static async Task<string> SendAsync(int port, string raw)
    {
        using var client = await RawHttpClient.ConnectAsync(port);
        await client.SendAsync(raw);
        var text = await client.ReadUntilAsync(t => t.Contains("\r\n\r\n", StringComparison.Ordinal)).WaitAsync(TimeSpan.FromSeconds(15));
        return text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && text.Length >= 12 ? text[9..12] : client.Closed ? "closed" : "no answer";
    }

    private static string Escape(string raw) => raw.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal);
}
