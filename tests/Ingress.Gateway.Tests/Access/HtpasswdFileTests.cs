using Ingress.Gateway.Access;

namespace Ingress.Gateway.Tests.Access;

public sealed class HtpasswdFileTests
{
    [Fact]
    public async Task Parse_BcryptFromTheHtpasswdTool_AndFromBCryptNet_GivesTheUsers_WhoseHashesVerify()
    {
        var tool = await Htpasswd.ToolAsync("-B", "alice", "s3cret!");
        var text = $"# staff\n{tool}\r\n\n{Htpasswd.BCryptLine("bob", "hunter2")}\n";

        var file = HtpasswdFile.Parse(text, out var error);

        Assert.Null(error);
        Assert.Equal(["alice", "bob"], file!.Users.Keys.Order(StringComparer.Ordinal));
        Assert.StartsWith("$2y$", file.Users["alice"], StringComparison.Ordinal);
        Assert.True(BCrypt.Net.BCrypt.Verify("s3cret!", file.Users["alice"]));
        Assert.False(BCrypt.Net.BCrypt.Verify("s3cret", file.Users["alice"]));
    }

    [Theory]
    [InlineData("-m", "bob", "an MD5 (apr1) hash")]
    [InlineData("-s", "carol", "a SHA-1 hash")]
    [InlineData("-d", "dave", "a DES crypt hash")]
    [InlineData("-p", "erin", "not a hash (plain text?)")]
    public async Task Parse_OtherHashKinds_AreRefused_NamingTheLineButNotItsContent(string option, string user, string kind)
    {
        var line = await Htpasswd.ToolAsync(option, user, "pw");
        var text = $"{Htpasswd.BCryptLine("alice", "x")}\n{line}\n";

        var file = HtpasswdFile.Parse(text, out var error);

        Assert.Null(file);
        Assert.Equal($"line 2: {kind} is not accepted: only bcrypt ($2y$, from htpasswd -B)", error);
        Assert.DoesNotContain(line.Split(':', 2)[1], error!, StringComparison.Ordinal);
        Assert.DoesNotContain(user, error!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alice:$6$salt$abcdef", "line 1: a crypt hash is not accepted")]
    [InlineData("alice:$2y$05$short", "line 1: a malformed bcrypt hash")]
    [InlineData("alice:$2y$99$D..Fd34UOZAnR3g/iKh2J.YzF7AOy13CHhF.YbiDseIVPaYkv7.Ya", "line 1: a malformed bcrypt hash")]
    [InlineData("no colon here", "line 1: expected user:hash")]
    [InlineData(":$2y$05$D..Fd34UOZAnR3g/iKh2J.YzF7AOy13CHhF.YbiDseIVPaYkv7.Ya", "line 1: expected user:hash")]
    [InlineData("# only a comment\n\n", "no users")]
    public void Parse_MalformedFile_IsRefusedWithTheReason(string text, string reason) =>
        Assert.StartsWith(reason, Parse(text), StringComparison.Ordinal);

    [Fact]
    public void Parse_UserListedTwice_IsRefused()
    {
        var text = $"{Htpasswd.BCryptLine("alice", "a")}\n{Htpasswd.BCryptLine("alice", "b")}";

        Assert.Equal("line 2: the user is listed twice", Parse(text));
    }

    private static string? Parse(string text)
    {
        Assert.Null(HtpasswdFile.Parse(text, out var error));
        return error;
    }
}
