using System.Net;
using System.Text;
using Ingress.Gateway.Acme;

namespace Ingress.Gateway.Tests.Acme;

public sealed class AcmeResponseTests
{
    [Fact]
    public void Problem_ProblemJson_ReadsTypeDetailStatusAndSubproblems()
    {
        var response = Answer(HttpStatusCode.Forbidden, AcmeResponse.ProblemMediaType, """
            {"type":"urn:ietf:params:acme:error:unauthorized","detail":"Incorrect validation","status":403,
             "subproblems":[{"type":"urn:ietf:params:acme:error:dns","detail":"NXDOMAIN","identifier":{"type":"dns","value":"a.test"}}]}
            """);

        var problem = response.Problem();

        Assert.Equal("urn:ietf:params:acme:error:unauthorized", problem.Type);
        Assert.Equal("Incorrect validation", problem.Detail);
        Assert.Equal(403, problem.Status);
        var sub = Assert.Single(problem.Subproblems!);
        Assert.Equal(("urn:ietf:params:acme:error:dns", "NXDOMAIN", "a.test"), (sub.Type, sub.Detail, sub.Identifier!.Value));
    }

    [Fact]
    public void Problem_BrokenProblemJson_QuotesTheBody()
    {
        var problem = Answer(HttpStatusCode.InternalServerError, AcmeResponse.ProblemMediaType, "{\"type\":").Problem();

        Assert.Null(problem.Type);
        Assert.Equal("application/problem+json: {\"type\":", problem.Detail);
        Assert.Equal(500, problem.Status);
    }

    [Fact]
    public void Problem_LongNonProblemBody_IsQuotedShortened()
    {
        var problem = Answer(HttpStatusCode.BadGateway, "text/html", new string('x', 1000)).Problem();

        Assert.Equal("text/html: " + new string('x', 300) + "…", problem.Detail);
    }

    [Fact]
    public void Read_NotTheExpectedJson_ThrowsAcmeExceptionNamingTheContext()
    {
        var error = Assert.Throws<AcmeException>(() => Answer(HttpStatusCode.OK, "application/json", "[1,2]").Read(AcmeJsonContext.Default.AcmeOrder, "newOrder"));

        Assert.StartsWith("newOrder: the answer is not a valid AcmeOrder", error.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, error.HttpStatus);
    }

    [Fact]
    public void AcmeException_ProblemWithOwnStatusAndNoResponse_TakesTheProblemsStatus()
    {
        var error = new AcmeException("the authorization of a.test is invalid", new AcmeProblem("urn:ietf:params:acme:error:unauthorized", "bad key authorization", 403, null, null), null);

        Assert.Equal(HttpStatusCode.Forbidden, error.HttpStatus);
        Assert.Equal("the authorization of a.test is invalid (HTTP 403): urn:ietf:params:acme:error:unauthorized: bad key authorization", error.Message);
        Assert.Empty(error.Subproblems);
    }

    private static AcmeResponse Answer(HttpStatusCode status, string mediaType, string body) =>
        new(status, null, null, mediaType, Encoding.UTF8.GetBytes(body));
}
