using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ingress.Gateway.Admin;

/// <summary>
/// Compile-time JSON metadata for every document the admin port serves, so the gateway serialises without reflection
/// and works when published trimmed (where reflection-based System.Text.Json is switched off).
/// </summary>
/// <remarks>
/// It is the only resolver of the HTTP JSON options (see <see cref="AdminServiceCollectionExtensions"/>), trimmed or not, so a
/// type served without being listed here fails in the tests too, not only in the published image. Those options, not
/// the ones below, shape the output: web defaults (camelCase) plus a camelCase <see cref="JsonStringEnumConverter{TEnum}"/> per enum.
/// The web defaults are repeated here only so that the context matches them when used on its own.
/// </remarks>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(GatewayState))]
[JsonSerializable(typeof(ReadinessResponse))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
