using System.Text;

namespace Ingress.Gateway.Http1;

/// <summary>The request methods the relay tells apart: for retry safety, response framing and metric labels.</summary>
internal enum RequestMethod : byte
{
    /// <summary>Any other token (<c>BREW</c>, <c>PROPFIND</c>, ...).</summary>
    Other,
    Get,
    Head,
    Post,
    Put,
    Delete,
    Patch,
    Options,
    Trace,
    Connect,
}

/// <summary>Helpers for <see cref="RequestMethod"/>.</summary>
internal static class RequestMethods
{
    /// <summary>Classifies the method token (case-sensitive, as HTTP methods are).</summary>
    public static RequestMethod Classify(ReadOnlySpan<byte> method) => method.Length switch
    {
        3 when method.SequenceEqual("GET"u8) => RequestMethod.Get,
        3 when method.SequenceEqual("PUT"u8) => RequestMethod.Put,
        4 when method.SequenceEqual("POST"u8) => RequestMethod.Post,
        4 when method.SequenceEqual("HEAD"u8) => RequestMethod.Head,
        5 when method.SequenceEqual("PATCH"u8) => RequestMethod.Patch,
        5 when method.SequenceEqual("TRACE"u8) => RequestMethod.Trace,
        6 when method.SequenceEqual("DELETE"u8) => RequestMethod.Delete,
        7 when method.SequenceEqual("OPTIONS"u8) => RequestMethod.Options,
        7 when method.SequenceEqual("CONNECT"u8) => RequestMethod.Connect,
        _ => RequestMethod.Other,
    };

    /// <summary>True for a method token that differs from a standard method only in case (<c>get</c>, <c>HeAD</c>).</summary>
    public static bool IsCaseVariantOfKnown(ReadOnlySpan<byte> method)
    {
        Span<byte> upper = stackalloc byte[8];
        return method.Length <= upper.Length
            && Ascii.ToUpper(method, upper, out var written) == System.Buffers.OperationStatus.Done
            && Classify(upper[..written]) != RequestMethod.Other;
    }

    /// <summary>The method's name as ASP.NET Core spells it, for metrics and logs; null for <see cref="RequestMethod.Other"/>.</summary>
    public static string? Name(RequestMethod method) => method switch
    {
        RequestMethod.Get => HttpMethods.Get,
        RequestMethod.Head => HttpMethods.Head,
        RequestMethod.Post => HttpMethods.Post,
        RequestMethod.Put => HttpMethods.Put,
        RequestMethod.Delete => HttpMethods.Delete,
        RequestMethod.Patch => HttpMethods.Patch,
        RequestMethod.Options => HttpMethods.Options,
        RequestMethod.Trace => HttpMethods.Trace,
        RequestMethod.Connect => HttpMethods.Connect,
        _ => null,
    };

    /// <summary>The idempotent methods (RFC 9110, 9.2.2): sending one twice has the effect of sending it once.</summary>
    public static bool IsIdempotent(RequestMethod method) =>
        method is RequestMethod.Get or RequestMethod.Head or RequestMethod.Options or RequestMethod.Put
            or RequestMethod.Delete or RequestMethod.Trace;

    /// <summary>GET, HEAD and OPTIONS: safe to send twice when they carry no body (the retry rule of the YARP path).</summary>
    public static bool IsIdempotentWithoutBody(RequestMethod method) =>
        method is RequestMethod.Get or RequestMethod.Head or RequestMethod.Options;
}
