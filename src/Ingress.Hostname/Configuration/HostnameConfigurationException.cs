namespace Ingress.Hostname.Configuration;

/// <summary>Configuration the service cannot start with; the message names the key at fault and is meant for the operator.</summary>
internal sealed class HostnameConfigurationException(string message, Exception? innerException = null)
    : Exception(message, innerException);
