using System.Runtime.InteropServices;
using Ingress.Gateway.Transport.Native;

namespace Ingress.Gateway.Transport.Tls;

/// <summary>
/// One OpenSSL server context (<c>SSL_CTX</c>): a certificate with its chain and key, TLS 1.2 and 1.3 only, the given
/// suites in the server's order, ALPN (h2, then http/1.1) and SNI through an <see cref="ITlsContextSelector"/>.
/// </summary>
/// <remarks>
/// OpenSSL counts references to a context: each connection made with it, or switched to it by SNI, holds one, so the
/// context outlives this handle for as long as a connection uses it. The handle itself is freed by the GC once no
/// certificate and no <see cref="TlsSession"/> refers to it. The key is copied into OpenSSL's memory and the caller's
/// copy is the caller's to clear.
/// </remarks>
internal sealed unsafe class TlsContext : SafeHandle
{
    // h2, then http/1.1, in ALPN's wire format: the server's preference, as Kestrel's.
    private static readonly byte* s_alpn = Pinned("\u0002h2\u0008http/1.1"u8);

    private GCHandle _selector;

    private TlsContext()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>The <c>SSL_CTX*</c>, for <see cref="TlsSession"/>.</summary>
    internal nint Pointer => handle;

    /// <summary>Builds a context for <paramref name="certificate"/> (DER) with its <paramref name="chain"/> (DER, leaf's issuer first) and <paramref name="privateKey"/> (PKCS #8 DER).</summary>
    /// <exception cref="InvalidOperationException">OpenSSL refused a part; the message says which and why.</exception>
    public static TlsContext Create(
        TlsContextOptions options, ReadOnlySpan<byte> certificate, IReadOnlyList<byte[]> chain, ReadOnlySpan<byte> privateKey, ITlsContextSelector selector)
    {
        var context = new TlsContext();
        var ctx = LibSsl.SslCtxNew(LibSsl.TlsServerMethod());
        if (ctx == 0)
        {
            throw Failure("SSL_CTX_new");
        }

        context.SetHandle(ctx);
        context._selector = GCHandle.Alloc(selector);
        try
        {
            Configure(ctx, options);
            UseCertificate(ctx, certificate, chain, privateKey);
            LibSsl.SslCtxSetAlpnSelectCallback(ctx, (nint)(delegate* unmanaged<nint, byte**, byte*, byte*, uint, nint, int>)&SelectAlpn, 0);
            LibSsl.SslCtxCallbackCtrl(ctx, LibSsl.SSL_CTRL_SET_TLSEXT_SERVERNAME_CB, (nint)(delegate* unmanaged<nint, int*, nint, int>)&SelectByName);
            LibSsl.SslCtxCtrl(ctx, LibSsl.SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG, 0, GCHandle.ToIntPtr(context._selector));
            return context;
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    protected override bool ReleaseHandle()
    {
        LibSsl.SslCtxFree(handle);
        if (_selector.IsAllocated)
        {
            _selector.Free();
        }

        return true;
    }

    private static void Configure(nint ctx, TlsContextOptions options)
    {
        LibSsl.SslCtxCtrl(ctx, LibSsl.SSL_CTRL_SET_MIN_PROTO_VERSION, LibSsl.TLS1_2_VERSION, 0);
        LibSsl.SslCtxSetOptions(ctx, LibSsl.SSL_OP_CIPHER_SERVER_PREFERENCE | LibSsl.SSL_OP_NO_RENEGOTIATION
            | LibSsl.SSL_OP_NO_COMPRESSION | LibSsl.SSL_OP_IGNORE_UNEXPECTED_EOF
            | (options.SessionResumption ? 0 : LibSsl.SSL_OP_NO_TICKET));

        // Partial writes: the relay writes what the socket takes and comes back for the rest, from where it stopped.
        // Idle connections give their record buffers back, as nginx has them do.
        LibSsl.SslCtxCtrl(ctx, LibSsl.SSL_CTRL_MODE,
            (nint)(LibSsl.SSL_MODE_ENABLE_PARTIAL_WRITE | LibSsl.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | LibSsl.SSL_MODE_RELEASE_BUFFERS), 0);

        // Whole socket reads rather than a header and a record at a time: the relay reads until OpenSSL wants more.
        LibSsl.SslCtxCtrl(ctx, LibSsl.SSL_CTRL_SET_READ_AHEAD, 1, 0);
        if (!options.SessionResumption)
        {
            LibSsl.SslCtxCtrl(ctx, LibSsl.SSL_CTRL_SET_SESS_CACHE_MODE, (nint)LibSsl.SSL_SESS_CACHE_OFF, 0);
            LibSsl.SslCtxSetNumTickets(ctx, 0);
        }

        if (LibSsl.SslCtxSetCipherList(ctx, options.Tls12Ciphers) != 1)
        {
            throw Failure("SSL_CTX_set_cipher_list");
        }

        if (LibSsl.SslCtxSetCipherSuites(ctx, options.Tls13Suites) != 1)
        {
            throw Failure("SSL_CTX_set_ciphersuites");
        }
    }

    private static void UseCertificate(nint ctx, ReadOnlySpan<byte> certificate, IReadOnlyList<byte[]> chain, ReadOnlySpan<byte> privateKey)
    {
        var leaf = ReadX509(certificate);
        try
        {
            if (LibSsl.SslCtxUseCertificate(ctx, leaf) != 1)
            {
                throw Failure("SSL_CTX_use_certificate");
            }
        }
        finally
        {
            // The context took its own reference.
            LibSsl.X509Free(leaf);
        }

        foreach (var der in chain)
        {
            // SSL_CTX_add0_chain_cert: the context owns the certificate from here on.
            var intermediate = ReadX509(der);
            if (LibSsl.SslCtxCtrl(ctx, LibSsl.SSL_CTRL_CHAIN_CERT, 0, intermediate) != 1)
            {
                LibSsl.X509Free(intermediate);
                throw Failure("SSL_CTX_add0_chain_cert");
            }
        }

        nint key;
        fixed (byte* bytes = privateKey)
        {
            var cursor = bytes;
            key = LibSsl.D2iAutoPrivateKey(0, &cursor, privateKey.Length);
        }

        if (key == 0)
        {
            throw Failure("d2i_AutoPrivateKey");
        }

        try
        {
            if (LibSsl.SslCtxUsePrivateKey(ctx, key) != 1 || LibSsl.SslCtxCheckPrivateKey(ctx) != 1)
            {
                throw Failure("SSL_CTX_use_PrivateKey");
            }
        }
        finally
        {
            LibSsl.EvpPkeyFree(key);
        }
    }

    private static nint ReadX509(ReadOnlySpan<byte> der)
    {
        fixed (byte* bytes = der)
        {
            var cursor = bytes;
            var x509 = LibSsl.D2iX509(0, &cursor, der.Length);
            return x509 != 0 ? x509 : throw Failure("d2i_X509");
        }
    }

    private static InvalidOperationException Failure(string call) =>
        new($"OpenSSL's {call} failed: {LibSsl.TakeError() ?? "no reason given"}.");

    /// <summary>ALPN: h2 when the client offers it, else http/1.1; a client that offers neither gets no protocol (and HTTP/1.1).</summary>
    [UnmanagedCallersOnly]
    private static int SelectAlpn(nint ssl, byte** selected, byte* selectedLength, byte* offered, uint offeredLength, nint arg)
    {
        var result = LibSsl.SslSelectNextProto(selected, selectedLength, s_alpn, 12, offered, offeredLength);
        return result == LibSsl.OPENSSL_NPN_NEGOTIATED ? LibSsl.SSL_TLSEXT_ERR_OK : LibSsl.SSL_TLSEXT_ERR_NOACK;
    }

    /// <summary>SNI: switches the connection to the context of the certificate for the name the client sent.</summary>
    [UnmanagedCallersOnly]
    private static int SelectByName(nint ssl, int* alert, nint arg)
    {
        try
        {
            var name = LibSsl.SslGetServerName(ssl, LibSsl.TLSEXT_NAMETYPE_host_name);
            if (name == null)
            {
                // No name: the context the connection started with serves the default certificate.
                return LibSsl.SSL_TLSEXT_ERR_OK;
            }

            var selector = (ITlsContextSelector)GCHandle.FromIntPtr(arg).Target!;
            var context = selector.Select(Marshal.PtrToStringUTF8((nint)name)!);
            if (context is null)
            {
                *alert = LibSsl.SSL_AD_UNRECOGNIZED_NAME;
                return LibSsl.SSL_TLSEXT_ERR_ALERT_FATAL;
            }

            var added = false;
            try
            {
                // Held while OpenSSL takes its own reference, so that the GC cannot free the context in between.
                context.DangerousAddRef(ref added);
                LibSsl.SslSetSslCtx(ssl, context.Pointer);
            }
            finally
            {
                if (added)
                {
                    context.DangerousRelease();
                }
            }

            return LibSsl.SSL_TLSEXT_ERR_OK;
        }
        catch
        {
            // Nothing may cross back into OpenSSL: the handshake fails instead.
            *alert = LibSsl.SSL_AD_UNRECOGNIZED_NAME;
            return LibSsl.SSL_TLSEXT_ERR_ALERT_FATAL;
        }
    }

    private static byte* Pinned(ReadOnlySpan<byte> bytes)
    {
        var memory = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
        bytes.CopyTo(new Span<byte>(memory, bytes.Length));
        return memory;
    }
}
