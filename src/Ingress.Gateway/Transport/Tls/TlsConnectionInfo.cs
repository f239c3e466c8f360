using System.Net;
using System.Net.Security;
using System.Security.Authentication;

namespace Ingress.Gateway.Transport.Tls;

/// <summary>
/// What a TLS connection the relay terminated tells the server that takes it over: the handshake's outcome and the
/// client's addresses, which the socket pair Kestrel reads from does not carry.
/// </summary>
internal sealed record TlsConnectionInfo(
    SslProtocols Protocol,
    TlsCipherSuite CipherSuite,
    byte[] ApplicationProtocol,
    string? ServerName,
    IPEndPoint? RemoteEndPoint,
    IPEndPoint? LocalEndPoint);
