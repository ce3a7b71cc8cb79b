using System.Globalization;

namespace ShardKit.Migration;

/// <summary>How a <see cref="MigratingOrderStore"/> follows an online migration.</summary>
public sealed class MigratingOrderStoreOptions : IValidatedOptions
{
    /// <summary>The cluster whose primary holds the control schema <c>shardkit_control</c>; the first cluster when null. Must match the migrator's.</summary>
    public string? ControlCluster { get; set; }

    /// <summary>This application instance's name in the control schema's writers table; host, process and a random suffix when null.</summary>
    public string? WriterId { get; set; }

    /// <summary>How often the control state is read and acknowledged (more than zero, at most 1 minute). Default 1 second.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a write keeps being re-routed while its bucket is switched between the sides (more than zero, at most 1 minute)
    /// before it fails with a transient <see cref="ShardKitErrorCode.ShardUnavailable"/>. Default 10 seconds.
    /// </summary>
    public TimeSpan MaxRedirectWait { get; set; } = TimeSpan.FromSeconds(10);

    IEnumerable<string> IValidatedOptions.Validate()
    {
        const string Name = nameof(MigratingOrderStoreOptions);
        if (PollInterval <= TimeSpan.Zero || PollInterval > TimeSpan.FromMinutes(1))
        {
            yield return Invariant($"{Name}.{nameof(PollInterval)} is {PollInterval}; it must be more than zero and at most 1 minute.");
        }

        if (MaxRedirectWait <= TimeSpan.Zero || MaxRedirectWait > TimeSpan.FromMinutes(1))
        {
            yield return Invariant($"{Name}.{nameof(MaxRedirectWait)} is {MaxRedirectWait}; it must be more than zero and at most 1 minute.");
        }

        if (WriterId is { Length: 0 or > 128 })
        {
            yield return $"{Name}.{nameof(WriterId)} must be 1 to 128 characters.";
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
