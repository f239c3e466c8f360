namespace Ingress.LoadTests.Cli;

/// <summary>The command line asks for something we cannot do; the message says what to fix.</summary>
internal sealed class UsageException(string message) : Exception(message);
