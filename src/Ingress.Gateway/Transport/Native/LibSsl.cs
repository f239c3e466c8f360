using System.Runtime.InteropServices;

namespace Ingress.Gateway.Transport.Native;

/// <summary>
/// The OpenSSL 3 calls the relay makes to terminate TLS on its own event loops: contexts, per-connection objects,
/// non-blocking handshakes, reads and writes on the connection's socket. The same <c>libssl.so.3</c> the runtime's own
/// TLS (SslStream) loads; the constants are those of OpenSSL 3.0's headers, whose ABI is stable across 3.x.
/// </summary>
/// <remarks>
/// Several of OpenSSL's setters are macros over <c>SSL_CTX_ctrl</c>; they are called through it here with the
/// control numbers of <c>ssl.h</c>.
/// </remarks>
internal static unsafe partial class LibSsl
{
    private const string Ssl = "libssl.so.3";
    private const string Crypto = "libcrypto.so.3";

    public const int TLS1_2_VERSION = 0x0303;
    public const int TLS1_3_VERSION = 0x0304;

    public const int SSL_ERROR_NONE = 0;
    public const int SSL_ERROR_SSL = 1;
    public const int SSL_ERROR_WANT_READ = 2;
    public const int SSL_ERROR_WANT_WRITE = 3;
    public const int SSL_ERROR_SYSCALL = 5;
    public const int SSL_ERROR_ZERO_RETURN = 6;

    public const ulong SSL_OP_IGNORE_UNEXPECTED_EOF = 1UL << 7;
    public const ulong SSL_OP_NO_TICKET = 1UL << 14;
    public const ulong SSL_OP_NO_COMPRESSION = 1UL << 17;
    public const ulong SSL_OP_CIPHER_SERVER_PREFERENCE = 1UL << 22;
    public const ulong SSL_OP_NO_RENEGOTIATION = 1UL << 30;

    public const long SSL_MODE_ENABLE_PARTIAL_WRITE = 0x1;
    public const long SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = 0x2;
    public const long SSL_MODE_RELEASE_BUFFERS = 0x10;

    public const long SSL_SESS_CACHE_OFF = 0x0;
    public const long SSL_SESS_CACHE_SERVER = 0x2;

    public const int SSL_CTRL_MODE = 33;
    public const int SSL_CTRL_SET_READ_AHEAD = 41;
    public const int SSL_CTRL_SET_SESS_CACHE_MODE = 44;
    public const int SSL_CTRL_SET_TLSEXT_SERVERNAME_CB = 53;
    public const int SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG = 54;
    public const int SSL_CTRL_CHAIN_CERT = 89;
    public const int SSL_CTRL_SET_MIN_PROTO_VERSION = 123;

    public const int SSL_TLSEXT_ERR_OK = 0;
    public const int SSL_TLSEXT_ERR_ALERT_FATAL = 2;
    public const int SSL_TLSEXT_ERR_NOACK = 3;
    public const int SSL_AD_UNRECOGNIZED_NAME = 112;
    public const int TLSEXT_NAMETYPE_host_name = 0;
    public const int OPENSSL_NPN_NEGOTIATED = 1;

    [LibraryImport(Ssl, EntryPoint = "TLS_server_method")]
    public static partial nint TlsServerMethod();

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_new")]
    public static partial nint SslCtxNew(nint method);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_free")]
    public static partial void SslCtxFree(nint ctx);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_ctrl")]
    public static partial nint SslCtxCtrl(nint ctx, int command, nint larg, nint parg);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_callback_ctrl")]
    public static partial nint SslCtxCallbackCtrl(nint ctx, int command, nint callback);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_options")]
    public static partial ulong SslCtxSetOptions(nint ctx, ulong options);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_num_tickets")]
    public static partial int SslCtxSetNumTickets(nint ctx, nuint count);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_cipher_list", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SslCtxSetCipherList(nint ctx, string ciphers);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_ciphersuites", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SslCtxSetCipherSuites(nint ctx, string suites);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_use_certificate")]
    public static partial int SslCtxUseCertificate(nint ctx, nint x509);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_use_PrivateKey")]
    public static partial int SslCtxUsePrivateKey(nint ctx, nint key);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_check_private_key")]
    public static partial int SslCtxCheckPrivateKey(nint ctx);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_alpn_select_cb")]
    public static partial void SslCtxSetAlpnSelectCallback(nint ctx, nint callback, nint arg);

    [LibraryImport(Ssl, EntryPoint = "SSL_select_next_proto")]
    public static partial int SslSelectNextProto(byte** selected, byte* selectedLength, byte* server, uint serverLength, byte* client, uint clientLength);

    [LibraryImport(Ssl, EntryPoint = "SSL_new")]
    public static partial nint SslNew(nint ctx);

    [LibraryImport(Ssl, EntryPoint = "SSL_free")]
    public static partial void SslFree(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_set_fd")]
    public static partial int SslSetFd(nint ssl, int fd);

    [LibraryImport(Ssl, EntryPoint = "SSL_set_accept_state")]
    public static partial void SslSetAcceptState(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_do_handshake", SetLastError = true)]
    public static partial int SslDoHandshake(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_read", SetLastError = true)]
    public static partial int SslRead(nint ssl, byte* buffer, int length);

    [LibraryImport(Ssl, EntryPoint = "SSL_write", SetLastError = true)]
    public static partial int SslWrite(nint ssl, byte* buffer, int length);

    [LibraryImport(Ssl, EntryPoint = "SSL_shutdown")]
    public static partial int SslShutdown(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_get_error")]
    public static partial int SslGetError(nint ssl, int result);

    [LibraryImport(Ssl, EntryPoint = "SSL_get_servername")]
    public static partial byte* SslGetServerName(nint ssl, int type);

    [LibraryImport(Ssl, EntryPoint = "SSL_set_SSL_CTX")]
    public static partial nint SslSetSslCtx(nint ssl, nint ctx);

    [LibraryImport(Ssl, EntryPoint = "SSL_get0_alpn_selected")]
    public static partial void SslGet0AlpnSelected(nint ssl, byte** data, uint* length);

    [LibraryImport(Ssl, EntryPoint = "SSL_version")]
    public static partial int SslVersion(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_get_current_cipher")]
    public static partial nint SslGetCurrentCipher(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_CIPHER_get_protocol_id")]
    public static partial ushort SslCipherGetProtocolId(nint cipher);

    [LibraryImport(Ssl, EntryPoint = "SSL_session_reused")]
    public static partial int SslSessionReused(nint ssl);

    [LibraryImport(Crypto, EntryPoint = "d2i_X509")]
    public static partial nint D2iX509(nint reuse, byte** input, nint length);

    [LibraryImport(Crypto, EntryPoint = "X509_free")]
    public static partial void X509Free(nint x509);

    [LibraryImport(Crypto, EntryPoint = "d2i_AutoPrivateKey")]
    public static partial nint D2iAutoPrivateKey(nint reuse, byte** input, nint length);

    [LibraryImport(Crypto, EntryPoint = "EVP_PKEY_free")]
    public static partial void EvpPkeyFree(nint key);

    [LibraryImport(Crypto, EntryPoint = "ERR_get_error")]
    public static partial ulong ErrGetError();

    [LibraryImport(Crypto, EntryPoint = "ERR_error_string_n")]
    public static partial void ErrErrorStringN(ulong error, byte* buffer, nuint length);

    [LibraryImport(Crypto, EntryPoint = "ERR_clear_error")]
    public static partial void ErrClearError();

    /// <summary>The oldest error on this thread's OpenSSL error queue, as text, and the queue cleared; null when it is empty.</summary>
    public static string? TakeError()
    {
        var error = ErrGetError();
        ErrClearError();
        if (error == 0)
        {
            return null;
        }

        var text = stackalloc byte[256];
        ErrErrorStringN(error, text, 256);
        return Marshal.PtrToStringUTF8((nint)text);
    }
}
