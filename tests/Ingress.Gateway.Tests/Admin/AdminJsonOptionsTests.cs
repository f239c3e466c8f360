using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ingress.Gateway.Admin;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Discovery.Control;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Tests.Admin;

public sealed class AdminJsonOptionsTests
{
    [Fact]
    public void AddAdminEndpoints_EveryEnumInTheDocuments_IsWrittenAsACamelCaseString()
    {
        var services = new ServiceCollection();
        services.AddAdminEndpoints();
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;

        var enums = new HashSet<Type>();
        Walk(options.GetTypeInfo(typeof(GatewayState)), options, [], enums);
        Walk(options.GetTypeInfo(typeof(ReadinessResponse)), options, [], enums);

        // Without a converter of its own an enum would be written as a number: the converters are one per enum type
        // (the non-generic JsonStringEnumConverter needs code generated at run time, which Native AOT does not have).
        Assert.Superset(new HashSet<Type> { typeof(DiscoverySourceState), typeof(ControlRole) }, enums);
        foreach (var type in enums)
        {
            foreach (var name in Enum.GetNames(type))
            {
                var written = JsonSerializer.Serialize(Enum.Parse(type, name), type, options);
                Assert.Equal($"\"{JsonNamingPolicy.CamelCase.ConvertName(name)}\"", written);
            }
        }
    }

    private static void Walk(JsonTypeInfo info, JsonSerializerOptions options, HashSet<Type> seen, HashSet<Type> enums)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        if (!seen.Add(type))
        {
            return;
        }

        if (type.IsEnum)
        {
            enums.Add(type);
            return;
        }

        if (type != info.Type)
        {
            Walk(options.GetTypeInfo(type), options, seen, enums);
            return;
        }

        foreach (var property in info.Properties)
        {
            Walk(options.GetTypeInfo(property.PropertyType), options, seen, enums);
        }

        if (info.ElementType is { } element)
        {
            Walk(options.GetTypeInfo(element), options, seen, enums);
        }

        if (info.KeyType is { } key)
        {
            Walk(options.GetTypeInfo(key), options, seen, enums);
        }
    }
}
