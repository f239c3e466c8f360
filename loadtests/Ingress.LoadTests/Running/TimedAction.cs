namespace Ingress.LoadTests.Running;

/// <summary>
/// Something to do at a fixed offset into the measured phase while load keeps running,
/// such as killing a task, starting a rolling update or scaling a service.
/// </summary>
/// <param name="Name">Shown in the report next to the outcome.</param>
/// <param name="At">Offset from the start of the measured phase (after warm-up).</param>
/// <param name="Action">
/// The work itself. Its token is cancelled when the run ends, so a slow action cannot
/// outlive the run it belongs to.
/// </param>
public sealed record TimedAction(string Name, TimeSpan At, Func<CancellationToken, Task> Action);
