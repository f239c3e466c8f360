using Microsoft.AspNetCore.DataProtection;

namespace Ingress.Gateway.Hosting;

/// <summary>
/// An ephemeral data-protection provider that creates its key ring on the first protect or unprotect. YARP's cookie
/// session affinity is the only user of data protection, and its policies ask for protectors at start-up; without
/// this, every gateway would generate a key, and load the cryptography and XML stacks, for a feature few services use.
/// </summary>
internal sealed class LazyDataProtectionProvider : IDataProtectionProvider
{
    private readonly Lazy<IDataProtectionProvider> _root = new(() => new EphemeralDataProtectionProvider());

    public IDataProtector CreateProtector(string purpose) => new LazyProtector(_root, [purpose]);

    private sealed class LazyProtector(Lazy<IDataProtectionProvider> root, string[] purposes) : IDataProtector
    {
        private IDataProtector? _protector;

        private IDataProtector Protector => _protector ??= root.Value.CreateProtector(purposes);

        public IDataProtector CreateProtector(string purpose) => new LazyProtector(root, [.. purposes, purpose]);

        public byte[] Protect(byte[] plaintext) => Protector.Protect(plaintext);

        public byte[] Unprotect(byte[] protectedData) => Protector.Unprotect(protectedData);
    }
}
