using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using Ingress.Gateway.Transport.Native;

namespace Ingress.Gateway.Transport.Tls;

/// <summary>
/// The server side of one TLS connection on a relay socket (<c>SSL*</c> over the socket's descriptor): a non-blocking
/// handshake, then reads and writes of plaintext that OpenSSL turns into records on the socket itself.
/// </summary>
/// <remarks>
/// Used on its connection's loop thread only. OpenSSL's error queue is per thread; every failure here takes its entry
/// off, so the loop's queue is empty before each call, as <c>SSL_get_error</c> requires.
/// </remarks>
internal sealed unsafe class TlsSession : IDisposable
{
    private readonly TlsContext _context;
    private nint _ssl;

    private TlsSession(TlsContext context, nint ssl)
    {
        _context = context;
        _ssl = ssl;
    }

    /// <summary>What a call left to wait for.</summary>
    public enum Status
    {
        /// <summary>Done (the handshake), or bytes were moved.</summary>
        Done,

        /// <summary>Wait until the socket is readable.</summary>
        WantRead,

        /// <summary>Wait until the socket is writable.</summary>
        WantWrite,

        /// <summary>The peer closed the TLS session (close_notify, or the connection's end).</summary>
        Closed,

        /// <summary>A protocol error or a failed system call; <see cref="LastError"/> says what.</summary>
        Failed,
    }

    /// <summary>What the last failed call reported: OpenSSL's reason, or the errno.</summary>
    public string? LastError { get; private set; }

    /// <summary>The errno of the last failed system call, or 0 when OpenSSL failed for a reason of its own.</summary>
    public int LastErrno { get; private set; }

    /// <summary>Starts the server side of a session on <paramref name="fd"/>, with <paramref name="context"/>'s certificate until SNI chooses another.</summary>
    public static TlsSession Create(TlsContext context, int fd)
    {
        var added = false;
        context.DangerousAddRef(ref added);
        var ssl = LibSsl.SslNew(context.Pointer);
        if (ssl == 0 || LibSsl.SslSetFd(ssl, fd) != 1)
        {
            var reason = LibSsl.TakeError();
            if (ssl != 0)
            {
                LibSsl.SslFree(ssl);
            }

            context.DangerousRelease();
            throw new InvalidOperationException($"OpenSSL could not start a session: {reason ?? "no reason given"}.");
        }

        LibSsl.SslSetAcceptState(ssl);
        return new TlsSession(context, ssl);
    }

    /// <summary>The TLS version agreed on.</summary>
    public SslProtocols Protocol => LibSsl.SslVersion(_ssl) switch
    {
        LibSsl.TLS1_3_VERSION => SslProtocols.Tls13,
        LibSsl.TLS1_2_VERSION => SslProtocols.Tls12,
        _ => SslProtocols.None,
    };

    /// <summary>The suite agreed on, by its IANA number.</summary>
    public TlsCipherSuite CipherSuite => LibSsl.SslGetCurrentCipher(_ssl) is var cipher and not 0
        ? (TlsCipherSuite)LibSsl.SslCipherGetProtocolId(cipher)
        : default;

    /// <summary>The protocol ALPN chose (h2, http/1.1), or empty when the client offered none.</summary>
    public byte[] ApplicationProtocol => Alpn().ToArray();

    /// <summary>Whether ALPN chose HTTP/2.</summary>
    public bool IsHttp2 => Alpn().SequenceEqual("h2"u8);

    /// <summary>The name the client asked for (SNI), or null.</summary>
    public string? ServerName => LibSsl.SslGetServerName(_ssl, LibSsl.TLSEXT_NAMETYPE_host_name) is var name && name != null
        ? Marshal.PtrToStringUTF8((nint)name)
        : null;

    /// <summary>Whether the client resumed an earlier session.</summary>
    public bool Resumed => LibSsl.SslSessionReused(_ssl) == 1;

    /// <summary>Takes the handshake as far as the socket allows.</summary>
    public Status Handshake() => Outcome(LibSsl.SslDoHandshake(_ssl));

    /// <summary>Reads plaintext: <paramref name="count"/> bytes when <see cref="Status.Done"/>.</summary>
    public Status Read(byte* buffer, int length, out int count)
    {
        var result = LibSsl.SslRead(_ssl, buffer, length);
        count = Math.Max(result, 0);
        return result > 0 ? Status.Done : Outcome(result);
    }

    /// <summary>Writes plaintext: <paramref name="count"/> bytes taken when <see cref="Status.Done"/> (at least one record).</summary>
    public Status Write(byte* buffer, int length, out int count)
    {
        var result = LibSsl.SslWrite(_ssl, buffer, length);
        count = Math.Max(result, 0);
        return result > 0 ? Status.Done : Outcome(result);
    }

    /// <summary>Sends close_notify, if the socket takes it now; the caller shuts the socket down after it.</summary>
    public void Shutdown()
    {
        if (LibSsl.SslShutdown(_ssl) < 0)
        {
            LibSsl.ErrClearError();
        }
    }

    public void Dispose()
    {
        if (_ssl != 0)
        {
            LibSsl.SslFree(_ssl);
            _ssl = 0;
            _context.DangerousRelease();
        }
    }

    private ReadOnlySpan<byte> Alpn()
    {
        byte* data;
        uint length;
        LibSsl.SslGet0AlpnSelected(_ssl, &data, &length);
        return new ReadOnlySpan<byte>(data, (int)length);
    }

    private Status Outcome(int result)
    {
        if (result == 1)
        {
            return Status.Done;
        }

        var errno = Marshal.GetLastPInvokeError();
        switch (LibSsl.SslGetError(_ssl, result))
        {
            case LibSsl.SSL_ERROR_WANT_READ:
                return Status.WantRead;
            case LibSsl.SSL_ERROR_WANT_WRITE:
                return Status.WantWrite;
            case LibSsl.SSL_ERROR_ZERO_RETURN:
                return Status.Closed;
            case LibSsl.SSL_ERROR_SYSCALL:
                LastErrno = errno == 0 ? Errno.ECONNRESET : errno;
                LastError = LibSsl.TakeError() ?? $"errno {LastErrno}";
                return Status.Failed;
            default:
                LastErrno = 0;
                LastError = LibSsl.TakeError() ?? "a TLS protocol error";
                return Status.Failed;
        }
    }
}
