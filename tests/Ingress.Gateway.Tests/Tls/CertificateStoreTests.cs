using Ingress.Gateway.Configuration;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Tests.Common;
using Ingress.Gateway.Tls;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Ingress.Gateway.Tests.Tls;

public sealed class CertificateStoreTests
{
    [Fact]
    public void ReloadIfChanged_NothingChanged_KeepsTheIndexAndLogsNothingAgain()
    {
        using var certificates = new TestCertificates();
        certificates.Write("garbage.pem", "junk");
        certificates.WriteCombined("a.pem", "a.test");
        var (store, log, _) = Create(certificates);
        var first = store.Current;

        Assert.False(store.ReloadIfChanged());

        Assert.Same(first, store.Current);
        Assert.Equal(1, log.Count(LogLevel.Error));
    }

    [Fact]
    public void ReloadIfChanged_ACertificateExpiresWhileServed_IsNoLongerServed_AndTheOthersStay()
    {
        using var certificates = new TestCertificates();
        var (_, soonPem, soonKey) = certificates.Issue(["soon.test"], notAfter: DateTimeOffset.UtcNow.AddHours(1));
        certificates.Write("a-soon.pem", soonPem + "\n" + soonKey);
        var lasting = certificates.WriteCombined("b-lasting.pem", "lasting.test");
        var (store, log, time) = Create(certificates);
        Assert.Equal("a-soon.pem", store.Current.Select("soon.test")?.File);

        time.Advance(TimeSpan.FromHours(2));

        Assert.True(store.ReloadIfChanged());
        Assert.Equal(lasting.Thumbprint, store.Current.Select("soon.test")?.Thumbprint);
        Assert.Contains(store.Current.Errors, e => e.File == "a-soon.pem" && e.Reason.StartsWith("expired on ", StringComparison.Ordinal));
        Assert.Contains(log.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("a-soon.pem", StringComparison.Ordinal));
    }

    [Fact]
    public void ReloadIfChanged_ACertificateRemoved_IsNoLongerServed()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("a.pem", "a.test");
        certificates.WriteCombined("b.pem", "b.test");
        var (store, _, _) = Create(certificates);

        File.Delete(Path.Combine(certificates.Folder, "b.pem"));

        Assert.True(store.ReloadIfChanged());
        Assert.Equal(["a.pem"], store.Current.Certificates.Select(c => c.File));
        Assert.Equal("a.pem", store.Current.Select("b.test")?.File);
    }

    [Fact]
    public void ReloadIfChanged_FolderGone_Throws_AndKeepsServingWhatWasLoaded()
    {
        var certificates = new TestCertificates();
        certificates.WriteCombined("a.pem", "a.test");
        var (store, _, _) = Create(certificates);

        certificates.Dispose();

        Assert.Throws<DirectoryNotFoundException>(() => store.ReloadIfChanged());
        Assert.Equal("a.pem", store.Current.Select("a.test")?.File);
    }

    private static (CertificateStore Store, RecordingLogger<CertificateStore> Log, FakeTimeProvider Time) Create(TestCertificates certificates)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var log = new RecordingLogger<CertificateStore>();
        var options = Options.Create(new TlsOptions { CertificatesPath = certificates.Folder, Ports = [new TlsPortOptions { Port = 8443, Routes = 8888 }] });
        return (new CertificateStore(options, new GatewayMetrics(), time, log), log, time);
    }
}
