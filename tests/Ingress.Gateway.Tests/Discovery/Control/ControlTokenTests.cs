using System.Text;
using Ingress.Gateway.Discovery.Control;

namespace Ingress.Gateway.Tests.Discovery.Control;

public sealed class ControlTokenTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(60);
    private const string Path = "/control/v1/state?epoch=ab&revision=3";

    private static ControlToken Token(char c = 'a') => ControlToken.FromSecret(new string(c, 40));

    [Fact]
    public void Verify_SignedWithSameToken_IsValidAndGivesTheNonce()
    {
        var nonce = ControlToken.NewNonce();
        var header = Token().Authorize(Path, Now, nonce);

        Assert.Equal(ControlAuthResult.Valid, Token().Verify(header, Path, Now.AddSeconds(30), Skew, out var seen));
        Assert.Equal(nonce, seen);
    }

    [Fact]
    public void Verify_SignedWithAnotherToken_IsBadSignature()
    {
        var header = Token('b').Authorize(Path, Now, ControlToken.NewNonce());

        Assert.Equal(ControlAuthResult.BadSignature, Token().Verify(header, Path, Now, Skew, out _));
    }

    [Theory]
    [InlineData("/control/v1/state?epoch=ab&revision=4")]
    [InlineData("/control/v1/state?epoch=ab&revision=3&x=1")]
    [InlineData("/control/v1/other")]
    public void Verify_ForAnotherTarget_IsBadSignature(string target)
    {
        var header = Token().Authorize(Path, Now, ControlToken.NewNonce());

        Assert.Equal(ControlAuthResult.BadSignature, Token().Verify(header, target, Now, Skew, out _));
    }

    [Fact]
    public void Verify_WithAlteredTimeOrNonce_IsBadSignature()
    {
        var header = Token().Authorize(Path, Now, "nonce-1");

        var laterTime = header.Replace($"t={Now.ToUnixTimeMilliseconds()}", $"t={Now.ToUnixTimeMilliseconds() + 1}", StringComparison.Ordinal);
        var otherNonce = header.Replace("n=nonce-1", "n=nonce-2", StringComparison.Ordinal);

        Assert.Equal(ControlAuthResult.BadSignature, Token().Verify(laterTime, Path, Now, Skew, out _));
        Assert.Equal(ControlAuthResult.BadSignature, Token().Verify(otherNonce, Path, Now, Skew, out _));
    }

    [Theory]
    [InlineData(-61)]
    [InlineData(61)]
    public void Verify_OutsideTheClockSkew_IsStale(int seconds)
    {
        var header = Token().Authorize(Path, Now.AddSeconds(seconds), ControlToken.NewNonce());

        Assert.Equal(ControlAuthResult.Stale, Token().Verify(header, Path, Now, Skew, out _));
    }

    [Theory]
    [InlineData(null, "Missing")]
    [InlineData("", "Missing")]
    [InlineData("Bearer abc", "Missing")]
    [InlineData("IngressControl ", "Malformed")]
    [InlineData("IngressControl t=1,n=x", "Malformed")]
    [InlineData("IngressControl t=-1,n=x,s=abc", "Malformed")]
    [InlineData("IngressControl t=1,n=x,s=not-base64!", "BadSignature")]
    public void Verify_Malformed_IsRefused(string? header, string expected)
    {
        Assert.Equal(expected, Token().Verify(header, Path, Now, Skew, out _).ToString());
    }

    [Fact]
    public void Seal_OpensOnlyWithTheSameTokenAndNonce()
    {
        var plaintext = Encoding.UTF8.GetBytes("{\"services\":[]}");
        var sealedBytes = Token().Seal(plaintext, "nonce-1");

        Assert.Equal(plaintext, Token().TryOpen(sealedBytes, "nonce-1"));
        Assert.Null(Token().TryOpen(sealedBytes, "nonce-2"));
        Assert.Null(Token('b').TryOpen(sealedBytes, "nonce-1"));
        Assert.DoesNotContain("services", Encoding.UTF8.GetString(sealedBytes), StringComparison.Ordinal);
    }

    [Fact]
    public void TryOpen_AnyAlteredByte_IsRefused()
    {
        var sealedBytes = Token().Seal(Encoding.UTF8.GetBytes("state"), "n");
        for (var i = 0; i < sealedBytes.Length; i++)
        {
            var altered = (byte[])sealedBytes.Clone();
            altered[i] ^= 0x01;
            Assert.Null(Token().TryOpen(altered, "n"));
        }

        Assert.Null(Token().TryOpen(sealedBytes[..^1], "n"));
        Assert.Null(Token().TryOpen([], "n"));
    }

    [Fact]
    public void Seal_EmptyPlaintext_OpensAsEmpty()
    {
        Assert.Empty(Token().TryOpen(Token().Seal([], "n"), "n")!);
    }

    [Fact]
    public void FromSecret_ShortToken_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => ControlToken.FromSecret(new string('a', ControlToken.MinimumLength - 1) + "   \n"));
    }

    [Fact]
    public void TryLoad_MissingOrShortFile_SaysWhy()
    {
        var missing = System.IO.Path.Combine(System.IO.Path.GetTempPath(), Guid.NewGuid().ToString("N"));
        Assert.Null(ControlToken.TryLoad(missing, out var error));
        Assert.Contains("docker secret create", error, StringComparison.Ordinal);

        var shortFile = System.IO.Path.GetTempFileName();
        try
        {
            File.WriteAllText(shortFile, "short\n");
            Assert.Null(ControlToken.TryLoad(shortFile, out error));
            Assert.Contains("shorter than 32", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(shortFile);
        }
    }

    [Fact]
    public void TryLoad_TrailingNewline_IsNotPartOfTheToken()
    {
        var file = System.IO.Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, new string('a', 40) + "\n");
            var header = ControlToken.TryLoad(file, out _)!.Authorize(Path, Now, "n");
            Assert.Equal(ControlAuthResult.Valid, Token().Verify(header, Path, Now, Skew, out _));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
