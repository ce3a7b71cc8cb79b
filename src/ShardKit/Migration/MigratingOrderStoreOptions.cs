namespace ShardKit.Migration;

/// <summary>How a <see cref="MigratingOrderStore"/> follows an online migration.</summary>
public sealed class MigratingOrderStoreOptions
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

    internal void Validate()
    {
        if (PollInterval <= TimeSpan.Zero || PollInterval > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"{nameof(MigratingOrderStoreOptions)}.{nameof(PollInterval)} must be more than zero and at most 1 minute; got {PollInterval}.", nameof(PollInterval));
        }

        if (MaxRedirectWait <= TimeSpan.Zero || MaxRedirectWait > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"{nameof(MigratingOrderStoreOptions)}.{nameof(MaxRedirectWait)} must be more than zero and at most 1 minute; got {MaxRedirectWait}.", nameof(MaxRedirectWait));
        }

        if (WriterId is { Length: 0 or > 128 })
        {
            throw new ArgumentException($"{nameof(MigratingOrderStoreOptions)}.{nameof(WriterId)} must be 1 to 128 characters.", nameof(WriterId));
        }
    }
}
