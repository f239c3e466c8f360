using Ingress.Hostname;
using Ingress.Hostname.Configuration;

// Operator mistakes (a bad value, a port in use) end with one line naming the problem and a non-zero code, not a crash.
try
{
    await HostnameApp.Build(args).RunAsync();
    return 0;
}
catch (HostnameConfigurationException ex)
{
    Console.Error.WriteLine($"Ingress.Hostname: invalid configuration: {ex.Message}");
    return 2;
}
catch (IOException ex)
{
    Console.Error.WriteLine($"Ingress.Hostname: cannot start: {ex.Message}");
    return 1;
}
