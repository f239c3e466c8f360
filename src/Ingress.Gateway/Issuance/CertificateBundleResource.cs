using Ingress.Gateway.Discovery.Control;

namespace Ingress.Gateway.Issuance;

/// <summary>
/// A manager gateway's <c>/control/v1/certificates</c>: the certificates it holds and, if it issues, its account's
/// thumbprint, for the other gateways' <see cref="CertificateBundlePoller"/>. Sealed like the discovery state.
/// </summary>
internal sealed class CertificateBundleResource(AcmeStorage storage, AcmeIssuanceService issuance) : IControlResource
{
    /// <summary>Its path on the control port.</summary>
    public const string ResourcePath = "/control/v1/certificates";

    public string Path => ResourcePath;

    public byte[] Read()
    {
        var thumbprint = issuance.AccountThumbprint;
        return new CertificateBundle(thumbprint is not null, thumbprint, storage.ReadFiles()).Encode();
    }
}
