using System.Globalization;
using Ingress.LoadTests.Running;
using Ingress.LoadTests.Safety;
using Ingress.LoadTests.Scenarios;
using Ingress.LoadTests.Thresholds;

namespace Ingress.LoadTests.Cli;

/// <summary>
/// Turns <c>&lt;scenario&gt; --option value ...</c> into a <see cref="CommandLine"/>, or a
/// <see cref="UsageException"/> that says exactly which argument is wrong and why.
/// </summary>
internal static class CommandLineParser
{
    private static readonly HashSet<string> ValueOptions = new(StringComparer.Ordinal)
    {
        "url", "connections", "rate", "duration", "warmup", "max-requests", "timeout", "keep-alive",
        "max-failures", "min-rps", "max-p99-ms", "expect-hosts", "max-imbalance", "allow-host", "results",
    };

    private static readonly HashSet<string> FlagOptions = new(StringComparer.Ordinal) { "quiet", "help" };

    /// <param name="args">The arguments after the program name.</param>
    /// <param name="now">Stamps the default results folder.</param>
    public static CommandLine Parse(IReadOnlyList<string> args, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count == 0)
        {
            throw new UsageException("missing scenario; choose one of: " + ScenarioNames() + ".");
        }

        if (args[0] is "-h" or "--help" or "help")
        {
            return CommandLine.Help;
        }

        var scenario = ScenarioCatalog.Find(args[0])
            ?? throw new UsageException(args[0].StartsWith('-')
                ? $"the scenario comes first; choose one of: {ScenarioNames()}."
                : $"unknown scenario '{args[0]}'; choose one of: {ScenarioNames()}.");

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var allowedHosts = new List<string>();
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new UsageException($"unexpected argument '{arg}'; options look like --name value.");
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg[2..] : arg[2..equals];
            if (FlagOptions.Contains(name))
            {
                if (equals >= 0)
                {
                    throw new UsageException($"--{name} takes no value.");
                }

                flags.Add(name);
                continue;
            }

            if (!ValueOptions.Contains(name))
            {
                throw new UsageException($"unknown option --{name}.");
            }

            string value;
            if (equals >= 0)
            {
                value = arg[(equals + 1)..];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }
            else
            {
                throw new UsageException($"--{name} needs a value.");
            }

            if (name == "allow-host")
            {
                allowedHosts.Add(value);
            }
            else if (!values.TryAdd(name, value))
            {
                throw new UsageException($"--{name} was given twice.");
            }
        }

        if (flags.Contains("help"))
        {
            return CommandLine.Help;
        }

        return Build(scenario, values, allowedHosts, flags.Contains("quiet"), now);
    }

    private static CommandLine Build(ScenarioDefinition scenario, Dictionary<string, string> values, List<string> allowedHosts, bool quiet, DateTimeOffset now)
    {
        if (!values.TryGetValue("url", out var urlText))
        {
            throw new UsageException("--url is required, e.g. --url http://127.0.0.1:8080/.");
        }

        if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--url: '{urlText}' is not an absolute http or https URL.");
        }

        var rateGiven = values.ContainsKey("rate");
        var model = scenario.ModelFor(rateGiven);
        if (model == LoadModel.Open && !rateGiven)
        {
            throw new UsageException($"scenario '{scenario.Name}' needs --rate (requests per second).");
        }

        if (model == LoadModel.Closed && rateGiven)
        {
            throw new UsageException($"--rate does not apply to scenario '{scenario.Name}'; use the open scenario for a fixed rate.");
        }

        var defaults = new LoadOptions { Scenario = scenario.Name, Target = url };
        var options = defaults with
        {
            Model = model,
            Connections = Int("connections", values, defaults.Connections),
            RequestsPerSecond = rateGiven ? Double("rate", values, 0) : 0,
            Duration = Duration("duration", values, defaults.Duration),
            Warmup = Duration("warmup", values, defaults.Warmup),
            MaxRequests = OptionalLong("max-requests", values),
            RequestTimeout = Duration("timeout", values, defaults.RequestTimeout),
            KeepAlive = OnOff("keep-alive", values, defaults.KeepAlive),
            TrackHostNames = scenario.TracksHostNames,
            AllowedHosts = allowedHosts,
        };

        var thresholds = new LoadThresholds
        {
            MaxFailures = OptionalLong("max-failures", values, minimum: 0),
            MinRequestsPerSecond = OptionalDouble("min-rps", values),
            MaxP99Ms = OptionalDouble("max-p99-ms", values),
            ExpectHosts = OptionalInt("expect-hosts", values),
            MaxHostImbalance = OptionalDouble("max-imbalance", values),
        };

        if (!scenario.TracksHostNames && (thresholds.ExpectHosts is not null || thresholds.MaxHostImbalance is not null))
        {
            throw new UsageException($"--expect-hosts and --max-imbalance need host names; use the hostname-rotation scenario.");
        }

        var problem = LoadOptionsValidator.Validate(options) ?? TargetGuard.Check(options.Target, options.AllowedHosts);
        if (problem is not null)
        {
            throw new UsageException(problem);
        }

        var results = values.GetValueOrDefault("results")
            ?? Path.Combine("results", string.Create(CultureInfo.InvariantCulture, $"{scenario.Name}-{now.UtcDateTime:yyyyMMdd-HHmmss}"));
        return new CommandLine(false, options, thresholds, results, quiet);
    }

    private static int Int(string name, Dictionary<string, string> values, int fallback) =>
        values.TryGetValue(name, out var text) ? ParseInt(name, text) : fallback;

    private static int? OptionalInt(string name, Dictionary<string, string> values) =>
        values.TryGetValue(name, out var text) ? ParseInt(name, text) : null;

    private static int ParseInt(string name, string text)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
        {
            throw new UsageException($"--{name}: '{text}' is not a whole number of at least 1.");
        }

        return value;
    }

    private static long? OptionalLong(string name, Dictionary<string, string> values, long minimum = 1)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < minimum)
        {
            throw new UsageException($"--{name}: '{text}' is not a whole number of at least {minimum}.");
        }

        return value;
    }

    private static double Double(string name, Dictionary<string, string> values, double fallback) =>
        OptionalDouble(name, values) ?? fallback;

    private static double? OptionalDouble(string name, Dictionary<string, string> values)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw new UsageException($"--{name}: '{text}' is not a number.");
        }

        return value;
    }

    private static TimeSpan Duration(string name, Dictionary<string, string> values, TimeSpan fallback)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return fallback;
        }

        return DurationParser.TryParse(text, out var duration)
            ? duration
            : throw new UsageException($"--{name}: '{text}' is not a duration; use e.g. 500ms, 10s or 2m.");
    }

    private static bool OnOff(string name, Dictionary<string, string> values, bool fallback)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return fallback;
        }

        return text switch
        {
            "on" or "true" => true,
            "off" or "false" => false,
            _ => throw new UsageException($"--{name}: '{text}' must be on or off."),
        };
    }

    private static string ScenarioNames()
    {
        var names = new string[ScenarioCatalog.All.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = ScenarioCatalog.All[i].Name;
        }

        return string.Join(", ", names);
    }
}
