using System.Net.Sockets;
using Ingress.LoadTests.Measurement;

namespace Ingress.LoadTests.Tests.Measurement;

public sealed class TransportErrorClassifierTests
{
    [Fact]
    public void Classify_ConnectionRefused_IsRefused() =>
        Assert.Equal(TransportErrorKind.Refused, TransportErrorClassifier.Classify(
            new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused)), timedOut: false));

    [Fact]
    public void Classify_ResetWhileReadingTheBody_IsReset() =>
        Assert.Equal(TransportErrorKind.Reset, TransportErrorClassifier.Classify(
            new IOException("read failed", new SocketException((int)SocketError.ConnectionReset)), timedOut: false));

    [Fact]
    public void Classify_ResponseEndedPrematurely_IsReset() =>
        Assert.Equal(TransportErrorKind.Reset, TransportErrorClassifier.Classify(
            new HttpRequestException(HttpRequestError.ResponseEnded, "ended"), timedOut: false));

    [Fact]
    public void Classify_OurTimeoutFired_IsTimeout() =>
        Assert.Equal(TransportErrorKind.Timeout, TransportErrorClassifier.Classify(new TaskCanceledException(), timedOut: true));

    [Fact]
    public void Classify_ConnectTimeout_IsTimeout() =>
        Assert.Equal(TransportErrorKind.Timeout, TransportErrorClassifier.Classify(
            new TaskCanceledException("connect", new TimeoutException()), timedOut: false));

    [Fact]
    public void Classify_SomethingElse_IsOther() =>
        Assert.Equal(TransportErrorKind.Other, TransportErrorClassifier.Classify(
            new HttpRequestException(HttpRequestError.InvalidResponse, "garbage"), timedOut: false));
}
