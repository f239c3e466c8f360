using System.Globalization;

namespace Ingress.LoadTests.Running;

/// <summary>Checks <see cref="LoadOptions"/> against <see cref="LoadLimits"/>, so the command line and the API refuse the same things.</summary>
internal static class LoadOptionsValidator
{
    /// <summary>Returns why the options cannot run, or null when they can.</summary>
    public static string? Validate(LoadOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Scenario))
        {
            return $"{nameof(LoadOptions.Scenario)} must be named.";
        }

        if (!options.Target.IsAbsoluteUri || (options.Target.Scheme != Uri.UriSchemeHttp && options.Target.Scheme != Uri.UriSchemeHttps))
        {
            return $"{nameof(LoadOptions.Target)} must be an absolute http or https URL, not '{options.Target}'.";
        }

        if (options.Connections < 1 || options.Connections > LoadLimits.MaxConnections)
        {
            return $"{nameof(LoadOptions.Connections)} must be between 1 and {LoadLimits.MaxConnections}, not {options.Connections}.";
        }

        if (options.Model == LoadModel.Open
            && (!double.IsFinite(options.RequestsPerSecond) || options.RequestsPerSecond <= 0 || options.RequestsPerSecond > LoadLimits.MaxRequestsPerSecond))
        {
            return $"{nameof(LoadOptions.RequestsPerSecond)} must be above 0 and at most {LoadLimits.MaxRequestsPerSecond.ToString(CultureInfo.InvariantCulture)} for the open model.";
        }

        if (options.Duration <= TimeSpan.Zero || options.Duration > LoadLimits.MaxDuration)
        {
            return $"{nameof(LoadOptions.Duration)} must be above zero and at most {LoadLimits.MaxDuration}, not {options.Duration}.";
        }

        if (options.Warmup < TimeSpan.Zero || options.Warmup > LoadLimits.MaxWarmup)
        {
            return $"{nameof(LoadOptions.Warmup)} must be between zero and {LoadLimits.MaxWarmup}, not {options.Warmup}.";
        }

        if (options.MaxRequests is < 1)
        {
            return $"{nameof(LoadOptions.MaxRequests)} must be at least 1 when set.";
        }

        if (options.RequestTimeout <= TimeSpan.Zero || options.RequestTimeout > LoadLimits.MaxRequestTimeout)
        {
            return $"{nameof(LoadOptions.RequestTimeout)} must be above zero and at most {LoadLimits.MaxRequestTimeout}.";
        }

        if (options.PooledConnectionLifetime <= TimeSpan.Zero && options.PooledConnectionLifetime != Timeout.InfiniteTimeSpan)
        {
            return $"{nameof(LoadOptions.PooledConnectionLifetime)} must be above zero or infinite.";
        }

        foreach (var action in options.Actions)
        {
            if (action.At < TimeSpan.Zero || action.At >= options.Duration)
            {
                return $"Action '{action.Name}' is due at {action.At}, outside the measured phase of {options.Duration}.";
            }
        }

        return null;
    }
}
