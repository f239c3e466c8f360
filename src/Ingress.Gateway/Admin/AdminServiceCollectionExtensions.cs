using System.Text.Json;
using System.Text.Json.Serialization;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Discovery.Control;
using Ingress.Gateway.Issuance;

namespace Ingress.Gateway.Admin;

/// <summary>Registers what the admin port serves: <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>, <c>/api/state</c> and the dashboard.</summary>
internal static class AdminServiceCollectionExtensions
{
    /// <summary>Adds the backends' network guard and the JSON options of the admin documents.</summary>
    public static IServiceCollection AddAdminEndpoints(this IServiceCollection services)
    {
        services.AddSingleton<BackendNetworkGuard>();
        services.ConfigureHttpJsonOptions(json =>
        {
            // One converter per enum the documents hold: the non-generic JsonStringEnumConverter makes its converters
            // with MakeGenericType, which Native AOT cannot promise.
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter<DiscoverySourceState>(JsonNamingPolicy.CamelCase));
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter<ControlRole>(JsonNamingPolicy.CamelCase));
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter<AcmeCertificateState>(JsonNamingPolicy.CamelCase));
            // Source-generated metadata only: a trimmed publish has no reflection-based resolver, and leaving the
            // reflection one in untrimmed builds would let a type missing from the context pass the tests.
            json.SerializerOptions.TypeInfoResolverChain.Clear();
            json.SerializerOptions.TypeInfoResolverChain.Add(AdminJsonContext.Default);
        });
        return services;
    }
}
