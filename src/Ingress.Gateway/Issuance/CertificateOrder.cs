using System.Collections.Immutable;
using Ingress.Gateway.Routing;

namespace Ingress.Gateway.Issuance;

/// <summary>One certificate the services ask for by ACME: a set of host names, and the services that asked.</summary>
/// <param name="Names">The host names, sorted; the first names the certificate's file.</param>
/// <param name="Services">The services whose <c>ingress.tls.acme</c> asked for exactly these names, sorted.</param>
internal sealed record CertificateOrder(ImmutableArray<string> Names, ImmutableArray<string> Services)
{
    /// <summary>The names, comma-separated: one certificate per distinct set.</summary>
    public string Key => string.Join(',', Names);

    /// <summary>The certificates the routed services of <paramref name="table"/> ask for; services with the same names share one.</summary>
    public static ImmutableArray<CertificateOrder> From(RouteTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var wanted = new SortedDictionary<string, (ImmutableArray<string> Names, SortedSet<string> Services)>(StringComparer.Ordinal);
        foreach (var service in table.Services)
        {
            if (service.AcmeNames.IsEmpty)
            {
                continue;
            }

            var key = string.Join(',', service.AcmeNames);
            if (!wanted.TryGetValue(key, out var entry))
            {
                entry = (service.AcmeNames, new SortedSet<string>(StringComparer.Ordinal));
                wanted[key] = entry;
            }

            entry.Services.Add(service.Service.Name);
        }

        return [.. wanted.Values.Select(w => new CertificateOrder(w.Names, [.. w.Services]))];
    }
}
