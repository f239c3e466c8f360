using Ingress.Gateway.Acme;
using Ingress.Testing.Acme;

namespace Ingress.Gateway.Tests.Acme;

/// <summary>
/// Pebble as the Gateway tests run it: the shared <see cref="PebbleHost"/> with its defaults (loopback, free ports, every
/// name resolving to 127.0.0.1, so that pebble's VA fetches HTTP-01 answers from the test's responder on
/// <see cref="PebbleHost.HttpPort"/>), and the gateway's ACME options for it.
/// </summary>
public static class PebbleServer
{
    /// <summary>Starts pebble on free loopback ports; <paramref name="environment"/> adds pebble settings.</summary>
    public static Task<PebbleHost> StartAsync(IReadOnlyDictionary<string, string>? environment = null) =>
        PebbleHost.StartAsync(environment is null ? null : new PebbleOptions { Environment = environment });

    /// <summary>Client options for <paramref name="pebble"/>: its directory, its TLS root, short polls.</summary>
    public static AcmeOptions Options(this PebbleHost pebble, int badNonceRetries = 3)
    {
        ArgumentNullException.ThrowIfNull(pebble);
        return new()
        {
            DirectoryUrl = pebble.DirectoryUrl.AbsoluteUri,
            TrustedRootFile = pebble.Tls.RootFile,
            AcceptTermsOfService = true,
            Contacts = ["mailto:ops@ingress.test"],
            PollInterval = TimeSpan.FromMilliseconds(200),
            MaxPollInterval = TimeSpan.FromSeconds(2),
            PollTimeout = TimeSpan.FromSeconds(30),
            RequestTimeout = TimeSpan.FromSeconds(15),
            BadNonceRetries = badNonceRetries,
        };
    }
}

/// <summary>The default pebble (5% of nonces rejected, as pebble does unless told otherwise), shared by a collection.</summary>
public sealed class PebbleFixture : IAsyncLifetime
{
    private PebbleHost? _server;

    public PebbleHost Server => _server ?? throw new InvalidOperationException("pebble is not started");

    public async Task InitializeAsync() => _server = await PebbleServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>The tests that share one pebble, one after another: they all answer HTTP-01 on its one port.</summary>
[CollectionDefinition(Name)]
public sealed class PebbleCollection : ICollectionFixture<PebbleFixture>
{
    public const string Name = "pebble";
}
