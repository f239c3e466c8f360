using Ingress.Gateway.Tests.Common;
using Ingress.Gateway.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ingress.Gateway.Tests.Tls;

/// <summary>
/// A gateway with one plain entry port, one TLS port serving its routes, and one backend: behind a static catch-all route,
/// or, with <c>catchAll: false</c>, for the test to publish as a discovered service's task.
/// </summary>
internal sealed class TlsGateway(GatewayTestHost gateway, TestBackend backend, int port) : IAsyncDisposable
{
    public GatewayTestHost Gateway { get; } = gateway;

    public TestBackend Backend { get; } = backend;

    public int Port { get; } = port;

    public static async Task<TlsGateway> StartAsync(
        TestCertificates certificates, Dictionary<string, string?>? extra = null, TimeProvider? time = null, RecordingLogger<CertificateStore>? log = null, bool catchAll = true)
    {
        var backend = await TestBackend.StartAsync("backend");
        var settings = catchAll ? StaticRoutes.CatchAll([backend]) : [];
        settings["Ingress:Tls:CertificatesPath"] = certificates.Folder;
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        var gateway = await GatewayTestHost.StartAsync(settings, configure: builder =>
        {
            if (time is not null)
            {
                builder.Services.AddSingleton(time);
            }

            if (log is not null)
            {
                builder.Services.AddSingleton<ILogger<CertificateStore>>(log);
            }
        }, tlsPortCount: 1);
        return new TlsGateway(gateway, backend, gateway.TlsPorts[0]);
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Backend.DisposeAsync();
    }
}
