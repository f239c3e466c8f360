using Ingress.LoadTests.Cli;

// Ctrl+C ends the run cleanly (exit 130) instead of killing the process mid-write.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

return await LoadTestCommand.RunAsync(args, Console.Out, Console.Error, !Console.IsErrorRedirected, cancellation.Token);
