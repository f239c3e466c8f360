using Microsoft.AspNetCore.Connections;

namespace Ingress.Gateway.Listeners;

/// <summary>
/// Applies an entry port's <see cref="ConnectionCap"/> to the connections Kestrel accepts: those past the cap get an
/// immediate 503, so a flood on a public port can neither crash the gateway nor take the admin port's connections.
/// </summary>
internal sealed class EntryConnectionLimiter(ConnectionCap cap)
{
    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        if (!cap.TryOpen())
        {
            try
            {
                await connection.Transport.Output.WriteAsync(ConnectionCap.Refusal);
                await connection.Transport.Output.CompleteAsync();
            }
            catch (Exception) when (connection.ConnectionClosed.IsCancellationRequested)
            {
                // The client left first; nothing to tell it.
            }

            return;
        }

        try
        {
            await next(connection);
        }
        finally
        {
            cap.Closed();
        }
    };
}
