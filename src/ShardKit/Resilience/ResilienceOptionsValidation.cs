using System.Globalization;

namespace ShardKit.Resilience;

/// <summary>Checks <see cref="ReplicaHealthOptions"/> and <see cref="EndpointResilienceOptions"/>; each error names the setting, its value and what is allowed.</summary>
internal static class ResilienceOptionsValidation
{
    public static void Validate(ShardKitOptions options, List<string> errors)
    {
        var health = options.ReplicaHealth;
        if (health is null)
        {
            errors.Add("ReplicaHealth is null; remove it to use the defaults");
        }
        else
        {
            if (health.HeartbeatInterval != TimeSpan.Zero && (health.HeartbeatInterval < TimeSpan.FromMilliseconds(10) || health.HeartbeatInterval > TimeSpan.FromMinutes(1)))
            {
                errors.Add(Format($"ReplicaHealth:HeartbeatInterval is {health.HeartbeatInterval}; it must be 00:00:00 (probing off) or from 00:00:00.010 to 00:01:00"));
            }

            if (health.MaxLag is { } maxLag && maxLag < TimeSpan.Zero)
            {
                errors.Add(Format($"ReplicaHealth:MaxLag is {maxLag}; it must not be negative"));
            }

            if (health.EjectLag <= TimeSpan.Zero || health.EjectLag > TimeSpan.FromHours(1))
            {
                errors.Add(Format($"ReplicaHealth:EjectLag is {health.EjectLag}; it must be more than zero and at most 01:00:00"));
            }

            if (health.ReadmitLag <= TimeSpan.Zero || health.ReadmitLag > health.EjectLag)
            {
                errors.Add(Format($"ReplicaHealth:ReadmitLag is {health.ReadmitLag}; it must be more than zero and at most EjectLag ({health.EjectLag})"));
            }

            CheckRange(errors, "ReplicaHealth:EjectAfterFailures", health.EjectAfterFailures, 1, 100);
            CheckRange(errors, "ReplicaHealth:ReadmitAfterProbes", health.ReadmitAfterProbes, 1, 100);
            CheckRange(errors, "ReplicaHealth:FallbackBurst", health.FallbackBurst, 1, 1_000_000);
            if (!(health.FallbackShare is >= 0 and <= 1))
            {
                errors.Add(Format($"ReplicaHealth:FallbackShare is {health.FallbackShare}; it must be from 0 to 1"));
            }
        }

        if (options.Connections is null)
        {
            errors.Add("Connections is null; remove it to use the defaults");
        }
        else
        {
            CheckRange(errors, "Connections:MinimumPoolSize", options.Connections.MinimumPoolSize, 0, 1000);
            CheckRange(errors, "Connections:MaximumPoolSize", options.Connections.MaximumPoolSize, 1, 10_000);
            if (options.Connections.MinimumPoolSize > options.Connections.MaximumPoolSize)
            {
                errors.Add(Format($"Connections:MinimumPoolSize is {options.Connections.MinimumPoolSize}; it must not exceed Connections:MaximumPoolSize ({options.Connections.MaximumPoolSize})"));
            }

            if (options.Connections.SslCa is { } ca && !File.Exists(ca))
            {
                errors.Add($"Connections:SslCa names '{ca}', which is not a readable file");
            }
        }

        var resilience = options.Resilience;
        if (resilience is null)
        {
            errors.Add("Resilience is null; remove it to use the defaults");
            return;
        }

        if (resilience.ConnectTimeout < TimeSpan.FromMilliseconds(100) || resilience.ConnectTimeout > TimeSpan.FromSeconds(30))
        {
            errors.Add(Format($"Resilience:ConnectTimeout is {resilience.ConnectTimeout}; it must be from 00:00:00.100 to 00:00:30"));
        }

        if (resilience.CommandTimeout < TimeSpan.FromSeconds(1) || resilience.CommandTimeout > TimeSpan.FromMinutes(10) || resilience.CommandTimeout.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            errors.Add(Format($"Resilience:CommandTimeout is {resilience.CommandTimeout}; it must be whole seconds from 00:00:01 to 00:10:00"));
        }

        if (resilience.BreakDuration < TimeSpan.FromMilliseconds(100) || resilience.BreakDuration > TimeSpan.FromMinutes(10))
        {
            errors.Add(Format($"Resilience:BreakDuration is {resilience.BreakDuration}; it must be from 00:00:00.100 to 00:10:00"));
        }

        CheckRange(errors, "Resilience:BreakAfterFailures", resilience.BreakAfterFailures, 1, 1000);
        CheckRange(errors, "Resilience:MaxConcurrency", resilience.MaxConcurrency, 1, 100_000);
        CheckRange(errors, "Resilience:QueueLimit", resilience.QueueLimit, 0, 100_000);
        CheckRange(errors, "Resilience:ReadRetries", resilience.ReadRetries, 0, 5);
        if (!(resilience.NonEssentialShare is >= 0 and <= 1))
        {
            errors.Add(Format($"Resilience:NonEssentialShare is {resilience.NonEssentialShare}; it must be from 0 to 1"));
        }
    }

    private static void CheckRange(List<string> errors, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add(Format($"{name} is {value}; it must be from {min} to {max}"));
        }
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
