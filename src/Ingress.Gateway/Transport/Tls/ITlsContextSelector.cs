namespace Ingress.Gateway.Transport.Tls;

/// <summary>Chooses the server context, and with it the certificate, for a TLS handshake on the relay's loops.</summary>
internal interface ITlsContextSelector
{
    /// <summary>The context a new connection starts with, used for clients that send no name; null when no certificate is loaded.</summary>
    TlsContext? Default { get; }

    /// <summary>The context for the name a client sent (SNI); null refuses the handshake.</summary>
    TlsContext? Select(string serverName);
}
