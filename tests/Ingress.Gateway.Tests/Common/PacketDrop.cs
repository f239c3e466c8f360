using System.Diagnostics;

namespace Ingress.Gateway.Tests.Common;

/// <summary>
/// Makes the kernel drop every TCP packet sent to one loopback address and port, answering nothing: what a replica whose
/// node lost power (or whose link was cut) looks like to the gateway. No FIN, no RST ever comes back; an open connection
/// just stops being acknowledged. An iptables rule, removed on dispose (the tests run as root).
/// </summary>
/// <remarks>
/// The rule names the address and port of one test's replica, which no other socket can hold while it listens, and carries
/// the comment <c>ingress-tests</c>, so one left behind by a killed test run can be found (<c>iptables -S INPUT</c>).
/// </remarks>
internal sealed class PacketDrop : IDisposable
{
    private readonly string[] _rule;
    private bool _removed;

    private PacketDrop(string ip, int port)
    {
        _rule = ["INPUT", "-i", "lo", "-p", "tcp", "-d", ip, "--dport", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-m", "comment", "--comment", "ingress-tests", "-j", "DROP"];
        IpTables("-I", _rule);
    }

    /// <summary>Starts dropping what is sent to <paramref name="ip"/>:<paramref name="port"/>.</summary>
    public static PacketDrop To(string ip, int port) => new(ip, port);

    public void Dispose()
    {
        if (!_removed)
        {
            _removed = true;
            IpTables("-D", _rule);
        }
    }

    private static void IpTables(string command, string[] rule)
    {
        var info = new ProcessStartInfo("iptables") { RedirectStandardError = true };
        // -w: wait for the xtables lock rather than fail while dockerd or a parallel test holds it.
        info.ArgumentList.Add("-w");
        info.ArgumentList.Add("10");
        info.ArgumentList.Add(command);
        foreach (var part in rule)
        {
            info.ArgumentList.Add(part);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("iptables could not be started.");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"iptables {command} failed ({process.ExitCode}): {error.Trim()}. These tests run as root with iptables.");
        }
    }
}
