using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ingress.Swarm.Tests.Common;

/// <summary>
/// A real nginx (stream module) in front of the Docker socket that speaks TLS and demands a client certificate
/// signed by its CA: the socket-proxy or remote-manager setup that <c>DOCKER_HOST=tcp://…</c> with certificates serves.
/// </summary>
internal sealed class TlsSocketProxy : IAsyncDisposable
{
    private readonly Process _nginx;

    private TlsSocketProxy(Process nginx, int port, CertificateSet certificates)
    {
        _nginx = nginx;
        Port = port;
        Certificates = certificates;
    }

    public int Port { get; }

    public CertificateSet Certificates { get; }

    public static async Task<TlsSocketProxy> StartAsync(string directory)
    {
        var certificates = await CertificateSet.CreateAsync(directory);
        var port = FreePort.Next();
        var config = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(config, $$"""
            load_module /usr/lib/nginx/modules/ngx_stream_module.so;
            # The Docker socket is root:docker 0660; a socket proxy must run as a member of its group.
            user root;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log info;
            events {}
            stream {
                server {
                    listen 127.0.0.1:{{port}} ssl;
                    ssl_certificate {{certificates.ServerCertificate}};
                    ssl_certificate_key {{certificates.ServerKey}};
                    ssl_client_certificate {{certificates.Authority}};
                    ssl_verify_client on;
                    proxy_pass unix:/var/run/docker.sock;
                }
            }
            """);

        var info = new ProcessStartInfo("nginx") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-c", config, "-p", directory, "-g", "daemon off;" })
        {
            info.ArgumentList.Add(arg);
        }

        var nginx = Process.Start(info) ?? throw new InvalidOperationException("nginx did not start");
        await Eventually.WaitAsync(
            async () =>
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return true;
            },
            ok => ok,
            TimeSpan.FromSeconds(10),
            "nginx to listen");
        return new TlsSocketProxy(nginx, port, certificates);
    }

    public ValueTask DisposeAsync()
    {
        if (!_nginx.HasExited)
        {
            _nginx.Kill(entireProcessTree: true);
            _nginx.WaitForExit(5000);
        }

        _nginx.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A CA, a server certificate for 127.0.0.1, and client certificates (one trusted, one from a stranger CA), made with openssl.</summary>
internal sealed record CertificateSet(string Root, string Authority, string ServerCertificate, string ServerKey, string TrustedClientDirectory, string UntrustedClientDirectory)
{
    public static async Task<CertificateSet> CreateAsync(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        string P(string name) => Path.Combine(directory, name);
        var trusted = P("client");
        var untrusted = P("stranger");
        System.IO.Directory.CreateDirectory(trusted);
        System.IO.Directory.CreateDirectory(untrusted);

        await OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=ingress-test-ca", "-keyout", P("ca-key.pem"), "-out", P("ca.pem"));
        await OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=stranger-ca", "-keyout", P("stranger-ca-key.pem"), "-out", P("stranger-ca.pem"));
        await File.WriteAllTextAsync(P("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        await File.WriteAllTextAsync(P("client.ext"), "extendedKeyUsage=clientAuth\n");
        await Issue(P("server"), "/CN=127.0.0.1", P("ca.pem"), P("ca-key.pem"), P("server.ext"));
        await Issue(Path.Combine(trusted, "cert"), "/CN=ingress-gateway", P("ca.pem"), P("ca-key.pem"), P("client.ext"));
        await Issue(Path.Combine(untrusted, "cert"), "/CN=ingress-gateway", P("stranger-ca.pem"), P("stranger-ca-key.pem"), P("client.ext"));

        // The docker CLI's layout: ca.pem, cert.pem, key.pem. Both clients trust the real server CA.
        foreach (var client in new[] { trusted, untrusted })
        {
            File.Move(Path.Combine(client, "cert-key.pem"), Path.Combine(client, "key.pem"));
            File.Move(Path.Combine(client, "cert.pem.crt"), Path.Combine(client, "cert.pem"));
            File.Copy(P("ca.pem"), Path.Combine(client, "ca.pem"));
        }

        return new CertificateSet(directory, P("ca.pem"), P("server.pem.crt"), P("server-key.pem"), trusted, untrusted);

        static async Task Issue(string stem, string subject, string ca, string caKey, string extensions)
        {
            await OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", stem + "-key.pem", "-out", stem + ".csr");
            await OpenSsl("x509", "-req", "-in", stem + ".csr", "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-days", "2", "-extfile", extensions, "-out", stem + ".pem.crt");
        }

        static Task OpenSsl(params string[] args) => Shell.RunAsync("openssl", args, TimeSpan.FromSeconds(60));
    }
}
