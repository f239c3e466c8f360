namespace Ingress.Gateway.Access;

/// <summary>What an access check decided for one request; every outcome but <see cref="Passed"/> has answered it.</summary>
internal enum AccessOutcome
{
    /// <summary>The request may go on to the replica.</summary>
    Passed,

    /// <summary>Basic auth: no, malformed or wrong credentials; answered 401 with the challenge.</summary>
    Unauthorized,

    /// <summary>Basic auth: the users file is missing or malformed; answered 500 (fail closed).</summary>
    UsersFileInvalid,

    /// <summary>Forward auth: the auth service answered other than 2xx; its answer was relayed.</summary>
    Denied,

    /// <summary>Forward auth: the auth service could not be reached or broke off; answered 502.</summary>
    Unreachable,

    /// <summary>Forward auth: the auth service did not answer in time; answered 504.</summary>
    TimedOut,

    /// <summary>The client went away while the auth service was asked; nothing to answer.</summary>
    ClientAborted,
}
