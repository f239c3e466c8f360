using System.Net;
using System.Text;

namespace Ingress.Gateway.Acme;

/// <summary>
/// A certificate authority said no, or did not finish in time: the problem document it sent (type, detail, the
/// subproblems per identifier) and the HTTP status of the answer that carried it.
/// </summary>
/// <remarks>
/// A failed challenge arrives in a 200 answer (the authorization is <c>invalid</c> and its challenge carries the
/// problem), so <see cref="HttpStatus"/> is not always an error status; <see cref="ProblemType"/> tells what failed.
/// </remarks>
internal sealed class AcmeException : Exception
{
    internal AcmeException(string context, AcmeProblem? problem, HttpStatusCode? status)
        : base(Describe(context, problem, status))
    {
        ProblemType = problem?.Type;
        Detail = problem?.Detail;
        HttpStatus = status ?? (problem?.Status is { } own ? (HttpStatusCode)own : null);
        Subproblems = [.. (problem?.Subproblems ?? []).Select(p => new AcmeSubproblem(p.Type, p.Detail, p.Identifier?.Value))];
    }

    /// <summary>The problem type, e.g. <c>urn:ietf:params:acme:error:unauthorized</c>; null when the server sent none.</summary>
    public string? ProblemType { get; }

    /// <summary>The server's human-readable explanation.</summary>
    public string? Detail { get; }

    /// <summary>The HTTP status of the answer that carried the problem, else the status the problem document states.</summary>
    public HttpStatusCode? HttpStatus { get; }

    /// <summary>The problems per identifier, when the request failed for several (RFC 8555 §6.7.1).</summary>
    public IReadOnlyList<AcmeSubproblem> Subproblems { get; }

    private static string Describe(string context, AcmeProblem? problem, HttpStatusCode? status)
    {
        var text = new StringBuilder(context);
        if ((status ?? (problem?.Status is { } own ? (HttpStatusCode)own : null)) is { } code)
        {
            text.Append($" (HTTP {(int)code})");
        }

        if (problem is not null)
        {
            text.Append($": {problem.Type ?? "no problem type"}: {problem.Detail ?? "no detail"}");
            foreach (var sub in problem.Subproblems ?? [])
            {
                text.Append($"; {sub.Identifier?.Value ?? "?"}: {sub.Type}: {sub.Detail}");
            }
        }

        return text.ToString();
    }
}

/// <summary>One identifier's problem within an <see cref="AcmeException"/>.</summary>
/// <param name="Type">The problem type.</param>
/// <param name="Detail">The explanation.</param>
/// <param name="Identifier">The identifier's value (a DNS name), when the server named it.</param>
internal sealed record AcmeSubproblem(string? Type, string? Detail, string? Identifier);
