using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Ingress.Gateway.Http1;
using Xunit.Abstractions;

namespace Ingress.Gateway.Tests.Http1;

/// <summary>
/// A differential test of the relay's request parser against one nobody here wrote: llhttp, Node.js's HTTP parser
/// (<c>llhttp/parse.js</c>). Generated and mutated request heads go through <see cref="RequestHeadParser"/>; whatever it
/// would relay, llhttp must read with the same method, target, version, header fields and body length. Anything else the
/// relay must hand to Kestrel (or refuse), so that no replica behind it can read a relayed request otherwise.
/// </summary>
/// <remarks>
/// Bounded here (20,000 cases, a few seconds); <c>scripts/differential.sh</c> runs many more with the same code through
/// <c>INGRESS_DIFFERENTIAL_CASES</c>, <c>INGRESS_DIFFERENTIAL_SECONDS</c> and <c>INGRESS_DIFFERENTIAL_SEED</c>. Node.js
/// must be installed: without it the test fails, saying so, rather than skipping.
/// One difference is allowed, and counted: llhttp knows a fixed table of methods and refuses any other token
/// (<c>BREW</c>), which the relay (like Kestrel) forwards. That is a backend refusing a method, not two parsers reading
/// one message two ways.
/// </remarks>
public sealed class LlhttpDifferentialTests(ITestOutputHelper output)
{
    private const int DefaultCases = 20_000;
    private const int DefaultSeed = 9112;

    private static readonly string[] s_methods =
        ["GET", "GET", "GET", "GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND", "MKCOL", "PURGE", "SEARCH", "REPORT", "get", "BREW", "TRACE"];

    private static readonly string[] s_names =
    [
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Accept", "Cookie", "User-Agent", "X-Forwarded-For",
        "X_Forwarded_For", "TE", "Trailer", "Keep-Alive", "Expect", "Upgrade", "Content-Type", "X-Custom", "x-a", "Forwarded",
        "content-length", "CONTENT-LENGTH", "Content-Length ", " Content-Length", "Host ", "A", "!#$%&'*+-.^_`|~",
    ];

    private static readonly string[] s_lengths =
        ["0", "5", "005", " 5", "5 ", "\t5", "+5", "-1", "5,5", "5, 5", "0x5", "1e3", "18446744073709551616", "", "3", "12"];

    private static readonly string[] s_hosts =
        ["a", "a.test", "a.test:8080", "[::1]", "[::1]:80", "127.0.0.1", "", " ", "a b", "a/b", "a@b", "a:", "a:b", "a.", "é.test", "a\tb"];

    private static readonly string[] s_values =
        ["1", "text/html", "a=b; c=d", "", " ", "\t", "close", "keep-alive", "chunked", "gzip, chunked", "100-continue", "websocket",
         "a\u007fb", "caf\u00e9", "a\0b", "a\rb", "a\nb", "\"quoted\"", "x, y", "trailers"];

    private static readonly string[] s_insertions =
        [" ", "\t", "\r", "\n", "\r\n", "\0", ":", ",", ";", "\u007f", "\u0080", "\u00ff", "%", "#", "?", "/", "\\", "\"", "\u000b", "\u000c", "HTTP/1.1", "\r\n\r\n", "\r\r\n", "\n\r\n"];

    [Fact]
    public async Task Parse_GeneratedAndMutatedHeads_WhatTheRelayRelaysLlhttpReadsTheSame()
    {
        var cases = Setting("INGRESS_DIFFERENTIAL_CASES", DefaultCases);
        var seed = Setting("INGRESS_DIFFERENTIAL_SEED", DefaultSeed);
        var budget = TimeSpan.FromSeconds(Setting("INGRESS_DIFFERENTIAL_SECONDS", 120));
        var clock = Stopwatch.StartNew();
        var random = new Random(seed);

        var relayed = new List<(byte[] Raw, Relayed View)>();
        var handedOff = 0;
        var incomplete = 0;
        var generated = 0;
        while (generated < cases && clock.Elapsed < budget / 2)
        {
            generated++;
            var raw = Latin1(Mutate(random, Generate(random)));
            switch (RequestHeadParser.Parse(raw, 16384, out var head, out _))
            {
                case RequestHeadStatus.Complete:
                    relayed.Add((raw, Relayed.From(raw, head)));
                    break;
                case RequestHeadStatus.Handoff:
                    handedOff++;
                    break;
                default:
                    incomplete++;
                    break;
            }
        }

        var results = await RunLlhttpAsync(relayed.Select(r => r.View.Input).ToList(), budget - clock.Elapsed);
        var divergences = new List<string>();
        var unknownMethods = 0;
        for (var i = 0; i < relayed.Count; i++)
        {
            var (raw, view) = relayed[i];
            var verdict = view.Compare(results[i]);
            if (verdict is null)
            {
                continue;
            }

            if (results[i].Error == "HPE_INVALID_METHOD" && RequestMethods.Classify(Latin1(view.Method)) == RequestMethod.Other)
            {
                unknownMethods++;
                continue;
            }

            divergences.Add($"{Escape(Encoding.Latin1.GetString(raw))}: {verdict}");
        }

        output.WriteLine($"seed {seed}: {generated} cases in {clock.Elapsed.TotalSeconds:0.0} s; relayed {relayed.Count}, handed off {handedOff}, incomplete {incomplete}; " +
            $"llhttp refused {unknownMethods} relayed extension methods; {divergences.Count} divergences");
        Assert.True(relayed.Count > generated / 10, $"only {relayed.Count} of {generated} cases were relayable: the generator no longer exercises the parser");
        Assert.True(divergences.Count == 0, $"{divergences.Count} requests the relay would relay and llhttp reads otherwise:\n" + string.Join("\n", divergences.Take(40)));
    }

    /// <summary>Relayed requests llhttp refuses or reads otherwise, pinned: each was a divergence once, now handed off.</summary>
    [Theory]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\t\r\n\r\nbbbbb")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\t5 \t \r\n\r\nbbbbb")]
    public void Parse_CasesLlhttpReadsOtherwise_AreNotRelayed(string raw)
    {
        Assert.NotEqual(RequestHeadStatus.Complete, RequestHeadParser.Parse(Latin1(raw), 16384, out _, out _));
    }

    private static string Generate(Random random)
    {
        var text = new StringBuilder();
        text.Append(Pick(random, s_methods)).Append(' ').Append(Target(random)).Append(' ')
            .Append(random.Next(20) == 0 ? Pick(random, ["HTTP/1.0", "HTTP/1.2", "http/1.1", "HTTP/1.10", "HTTP/2.0"]) : "HTTP/1.1").Append("\r\n");
        if (random.Next(10) != 0)
        {
            text.Append("Host: ").Append(random.Next(5) == 0 ? Pick(random, s_hosts) : "a.test").Append("\r\n");
        }

        var body = 0;
        var count = random.Next(12) == 0 ? random.Next(30, 60) : random.Next(6);
        for (var i = count; i > 0; i--)
        {
            var name = random.Next(3) == 0 ? RandomToken(random) : random.Next(3) == 0 ? Pick(random, s_names) : Pick(random, ["Accept", "X-Custom", "Cookie", "User-Agent", "Content-Type"]);
            string value;
            if (name.Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                value = Pick(random, s_lengths);
                body = int.TryParse(value.Trim(), System.Globalization.NumberStyles.None, null, out var n) && n < 100 ? n : body;
            }
            else if (name.Trim().Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                value = Pick(random, s_hosts);
            }
            else
            {
                value = random.Next(3) == 0 ? RandomValue(random) : Pick(random, s_values);
            }

            var leading = random.Next(6) switch { 0 => "", 1 => "\t", 2 => "  ", 3 => " \t ", _ => " " };
            var trailing = random.Next(6) switch { 0 => " ", 1 => "\t", 2 => " \t", _ => "" };
            text.Append(name).Append(':').Append(leading).Append(value).Append(trailing).Append("\r\n");
        }

        return text.Append("\r\n").Append(new string('b', body)).ToString();
    }

    private static string Target(Random random)
    {
        var target = new StringBuilder("/");
        for (var i = random.Next(4); i > 0; i--)
        {
            target.Append(RandomChars(random, random.Next(8) == 0 ? "abc019-._~!$&'()*+,;=:@%/\"<>\\^`{|}" : "abcXYZ019-._~!$&'()*+,;=:@", random.Next(1, 6))).Append('/');
        }

        if (random.Next(3) == 0)
        {
            target.Append('?').Append(RandomChars(random, "ab=&%20+/?:@!$'()*,;\"<>[\\]^`{|}~", random.Next(0, 10)));
        }

        return target.ToString();
    }

    private static string RandomToken(Random random) => RandomChars(random, "abcXYZ-_!#$%&'*+.^`|~0123456789", random.Next(1, 12));

    private static string RandomValue(Random random)
    {
        var chars = new StringBuilder();
        for (var i = random.Next(0, 12); i > 0; i--)
        {
            chars.Append((char)(random.Next(40) == 0 ? random.Next(0, 256) : random.Next(0x20, 0x7F)));
        }

        return chars.ToString();
    }

    private static string RandomChars(Random random, string from, int count)
    {
        var chars = new char[count];
        for (var i = 0; i < count; i++)
        {
            chars[i] = from[random.Next(from.Length)];
        }

        return new string(chars);
    }

    private static string Mutate(Random random, string request)
    {
        var text = request;
        for (var edits = random.Next(2) == 0 ? 0 : random.Next(1, 3); edits > 0; edits--)
        {
            var at = random.Next(text.Length + 1);
            text = random.Next(4) switch
            {
                0 => text.Insert(at, Pick(random, s_insertions)),
                1 when text.Length > 0 => text.Remove(Math.Min(at, text.Length - 1), 1),
                2 when text.Length > 0 => text.Remove(Math.Min(at, text.Length - 1), 1).Insert(Math.Min(at, text.Length - 1), Pick(random, s_insertions)),
                _ => ChangeCase(text, at),
            };
        }

        return text;
    }

    private static string ChangeCase(string text, int at) =>
        at >= text.Length ? text : text[..at] + (char.IsUpper(text[at]) ? char.ToLowerInvariant(text[at]) : char.ToUpperInvariant(text[at])) + text[(at + 1)..];

    private static string Pick(Random random, string[] from) => from[random.Next(from.Length)];

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    private static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    private static string Escape(string raw) =>
        JsonSerializer.Serialize(raw);

    /// <summary>Runs the cases through <c>llhttp/parse.js</c> in one batch, streamed both ways.</summary>
    private static async Task<List<LlhttpResult>> RunLlhttpAsync(List<byte[]> inputs, TimeSpan budget)
    {
        var script = Repository.PathOf("tests", "Ingress.Gateway.Tests", "Http1", "llhttp", "parse.js");
        var start = new ProcessStartInfo("node", [script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            var ci = Environment.GetEnvironmentVariable("CI") == "true" ? " (CI=true)" : "";
            throw new InvalidOperationException(
                $"The llhttp differential test needs Node.js (node on PATH){ci}; it is not skipped without it. Install Node.js 18 or later. ({ex.Message})", ex);
        }

        using var _ = process;
        using var timeout = new CancellationTokenSource(budget < TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30) : budget);
        var writing = Task.Run(async () =>
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                await process.StandardInput.WriteLineAsync($"{{\"id\":{i},\"raw\":\"{Convert.ToBase64String(inputs[i])}\"}}".AsMemory(), timeout.Token);
            }

            process.StandardInput.Close();
        });
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        var results = new LlhttpResult?[inputs.Count];
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var result = JsonSerializer.Deserialize<LlhttpResult>(line, s_json)!;
            results[result.Id] = result;
        }

        await writing;
        await process.WaitForExitAsync(timeout.Token);
        var missing = Array.FindIndex(results, r => r is null);
        Assert.True(process.ExitCode == 0 && missing < 0, $"node exited with {process.ExitCode}, {(missing < 0 ? "every" : $"no")} result{(missing < 0 ? "" : $" for case {missing}")}: {await errors}");
        return [.. results.Select(r => r!)];
    }

    private static readonly JsonSerializerOptions s_json = new() { PropertyNameCaseInsensitive = true };

    /// <summary>What llhttp read: the error it stopped at (or none), and each message it began.</summary>
    private sealed record LlhttpResult(int Id, string? Error, List<LlhttpMessage> Messages);

    private sealed record LlhttpMessage(string? Method, string Url, int VersionMajor, int VersionMinor, List<string> Headers, long Body, bool Complete, bool Upgrade);

    /// <summary>What the relay would forward: its reading of the head, and the bytes llhttp gets (the head and exactly that body).</summary>
    private sealed record Relayed(string Method, string Target, List<string> Headers, long BodyLength, byte[] Input)
    {
        /// <summary>The most body bytes fed to llhttp; a longer body must leave it wanting more, having read them all.</summary>
        private const int MaxBodyFed = 64 * 1024;

        public static Relayed From(byte[] raw, RequestHead head)
        {
            var headers = new List<string>();
            var position = head.HeadersStart;
            var end = head.Length - 2;
            while (position < end)
            {
                var line = raw.AsSpan(position, raw.AsSpan(position, end - position).IndexOf("\r\n"u8));
                var colon = line.IndexOf((byte)':');
                headers.Add(Latin1(line[..colon]));
                headers.Add(Latin1(HttpSyntax.TrimWhitespace(line[(colon + 1)..])));
                position += line.Length + 2;
            }

            // The body the relay would forward: as many bytes as its Content-Length, whatever the case carried.
            var input = new byte[head.Length + Math.Min(head.ContentLength, MaxBodyFed)];
            raw.AsSpan(0, Math.Min(raw.Length, input.Length)).CopyTo(input);
            input.AsSpan(Math.Min(raw.Length, input.Length)).Fill((byte)'b');
            return new Relayed(Latin1(head.MethodToken(raw)), Latin1(head.Target(raw)), headers, head.ContentLength, input);
        }

        /// <summary>Null when llhttp read the same request, else what differs.</summary>
        public string? Compare(LlhttpResult result)
        {
            if (result.Error is not null)
            {
                return $"llhttp: {result.Error}";
            }

            if (result.Messages.Count != 1)
            {
                return $"llhttp read {result.Messages.Count} messages";
            }

            var message = result.Messages[0];
            var fed = Math.Min(BodyLength, MaxBodyFed);
            if (message.Complete != (BodyLength == fed) || message.Body != fed)
            {
                return $"body: relay {BodyLength} bytes, llhttp {message.Body}{(message.Complete ? "" : " and wants more")}";
            }

            if (message.Method != Method || message.Url != Target || message.VersionMajor != 1 || message.VersionMinor != 1 || message.Upgrade)
            {
                return $"request line: relay {Method} {Target} HTTP/1.1, llhttp {message.Method} {message.Url} HTTP/{message.VersionMajor}.{message.VersionMinor}{(message.Upgrade ? " upgrade" : "")}";
            }

            if (!message.Headers.SequenceEqual(Headers))
            {
                return $"headers: relay [{string.Join(" | ", Headers)}], llhttp [{string.Join(" | ", message.Headers)}]";
            }

            return null;
        }
    }
}
