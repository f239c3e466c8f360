using System.Text.Json.Serialization;

namespace Ingress.Gateway.Acme;

/// <summary>Source-generated JSON for the ACME resources: no reflection, so the trimmed gateway keeps them.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AcmeDirectory))]
[JsonSerializable(typeof(AcmeAccountRequest))]
[JsonSerializable(typeof(AcmeAccount))]
[JsonSerializable(typeof(AcmeOrderRequest))]
[JsonSerializable(typeof(AcmeOrder))]
[JsonSerializable(typeof(AcmeFinalizeRequest))]
[JsonSerializable(typeof(AcmeAuthorization))]
[JsonSerializable(typeof(AcmeChallenge))]
[JsonSerializable(typeof(AcmeChallengeReady))]
[JsonSerializable(typeof(AcmeProblem))]
[JsonSerializable(typeof(JwsProtectedHeader))]
[JsonSerializable(typeof(FlattenedJws))]
internal sealed partial class AcmeJsonContext : JsonSerializerContext;
