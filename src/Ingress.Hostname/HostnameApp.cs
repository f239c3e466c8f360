using System.Text;
using Ingress.Hostname.Configuration;
using Ingress.Hostname.Serving;
using Ingress.Hostname.Shutdown;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Ingress.Hostname;

/// <summary>Builds the hostname service, so that <c>Program</c> and the tests start the very same application.</summary>
internal static partial class HostnameApp
{
    /// <summary>Where the Go service listens; used only when no ASP.NET Core setting names an address.</summary>
    internal const string DefaultUrl = "http://0.0.0.0:8888";

    // Lowest-precedence defaults: appsettings, environment variables and the command line all override them.
    private static readonly Dictionary<string, string?> ConfigurationDefaults = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        // Quiet by default: no framework line per request or per connection.
        ["Logging:LogLevel:Microsoft"] = "Warning",
    };

    /// <summary>Builds the application from command-line <paramref name="args"/> and the usual configuration sources.</summary>
    /// <param name="args">Command-line arguments, e.g. <c>--urls http://127.0.0.1:0 --Hostname:Name=replica-1</c>.</param>
    /// <param name="requestLogOutput">Where the per-request lines go; stdout when null.</param>
    /// <exception cref="HostnameConfigurationException">The configuration is invalid; the message names the key.</exception>
    internal static WebApplication Build(string[] args, TextWriter? requestLogOutput = null)
    {
        ArgumentNullException.ThrowIfNull(args);

        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = ConfigurationDefaults });

        if (!HasConfiguredAddress(builder.Configuration))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        // The Go service sends no Server header.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

        // stdout carries only the per-request host names, as in the Go service; diagnostics go to stderr.
        builder.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);

        builder.Services.AddOptions<HostnameOptions>().Bind(builder.Configuration.GetSection(HostnameOptions.SectionName));
        builder.Services.AddSingleton<IValidateOptions<HostnameOptions>, HostnameOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DrainState>();
        builder.Services.AddSingleton<IHostLifetime, ShutdownDrain>();
        builder.Services.AddSingleton(services => new RequestLog(
            requestLogOutput ?? CreateStdout(),
            services.GetRequiredService<IOptions<HostnameOptions>>().Value.Name + "\n",
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILogger<RequestLog>>()));
        builder.Services.AddHostedService(services => services.GetRequiredService<RequestLog>());

        var app = builder.Build();

        // Resolve the options now, so that a bad value fails here, before Kestrel binds, with the key in the message.
        HostnameOptions options;
        try
        {
            options = GetValidatedOptions(app);
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }

        var endpoint = new HostnameEndpoint(
            options,
            app.Services.GetRequiredService<DrainState>(),
            options.LogRequests ? app.Services.GetRequiredService<RequestLog>() : null,
            app.Services.GetRequiredService<TimeProvider>());
        app.Run(endpoint.HandleAsync);

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HostnameApp).FullName!);
        app.Lifetime.ApplicationStarted.Register(() => Log.Started(
            logger,
            options.Name,
            string.Join(", ", app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []),
            options.DrainDelay));

        return app;
    }

    /// <summary>True when an ASP.NET Core setting names the addresses to listen on, which then wins over <see cref="DefaultUrl"/>.</summary>
    /// <remarks>
    /// <c>--urls</c>, <c>ASPNETCORE_URLS</c> and <c>DOTNET_URLS</c> all land in <c>urls</c>; <c>ASPNETCORE_HTTP_PORTS</c> in
    /// <c>http_ports</c>; and Kestrel's own endpoints live under <c>Kestrel:Endpoints</c>.
    /// </remarks>
    internal static bool HasConfiguredAddress(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration[WebHostDefaults.ServerUrlsKey])
        || !string.IsNullOrEmpty(configuration[WebHostDefaults.HttpPortsKey])
        || !string.IsNullOrEmpty(configuration[WebHostDefaults.HttpsPortsKey])
        || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();

    private static HostnameOptions GetValidatedOptions(WebApplication app)
    {
        try
        {
            return app.Services.GetRequiredService<IOptions<HostnameOptions>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            throw new HostnameConfigurationException(ex.Message, ex);
        }
        catch (InvalidOperationException ex)
        {
            // The binder's conversion failures read "Failed to convert configuration value at 'Hostname:DrainDelay' ...".
            throw new HostnameConfigurationException(ex.Message, ex);
        }
    }

    private static StreamWriter CreateStdout() =>
        // Console.Out flushes, under a lock, on every line; this writer is used by one loop only and flushes per batch.
        new(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024)
        {
            AutoFlush = false,
        };
}
