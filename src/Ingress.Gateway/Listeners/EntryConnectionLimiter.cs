using Microsoft.AspNetCore.Connections;

namespace Ingress.Gateway.Listeners;

/// <summary>
/// Applies an entry port's <see cref="ConnectionCap"/> to the connections Kestrel accepts: those past the cap get an
/// immediate 503, so a flood on a public port can neither crash the gateway nor take the admin port's connections.
/// </summary>
/// <param name="cap">The port's cap.</param>
/// <param name="plainRefusal">Send the plain-HTTP 503 before closing; false on a TLS port, where the client expects a handshake and is only closed on.</param>
internal sealed class EntryConnectionLimiter(ConnectionCap cap, bool plainRefusal = true)
{
    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        if (!cap.TryOpen())
        {
            if (!plainRefusal)
            {
                connection.Abort();
                return;
            }

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
