namespace ShardKit.Replication;

/// <summary>What a probe changed about a replica's eligibility.</summary>
internal enum HealthTransition
{
    /// <summary>Nothing changed.</summary>
    None,

    /// <summary>The replica stops serving reads.</summary>
    Ejected,

    /// <summary>The replica serves reads again.</summary>
    Readmitted,
}
