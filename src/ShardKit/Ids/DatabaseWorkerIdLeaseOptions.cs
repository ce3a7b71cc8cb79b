using System.Globalization;

namespace ShardKit.Ids;

/// <summary>Settings of a <see cref="DatabaseWorkerIdLease"/>.</summary>
public sealed class DatabaseWorkerIdLeaseOptions : IValidatedOptions
{
    /// <summary>
    /// How long a lease lasts without renewal (default 30 s, 3 s to 10 min). It is renewed every third of this;
    /// if renewals keep failing, the lease lapses after this long and the generator stops issuing IDs.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long after a lease expired or was released its worker ID stays unavailable to other instances
    /// (default 10 s, 0 to 10 min). It covers the last IDs issued by the previous holder and clock differences
    /// between instances, so a reused worker ID never repeats an earlier holder's ID.
    /// </summary>
    public TimeSpan ReuseDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Who holds the lease, as shown in the table (at most 60 characters; default <c>machine:process-id</c>).
    /// A unique suffix is added, so two instances with the same name still hold distinct leases.
    /// </summary>
    public string? OwnerName { get; set; }

    IEnumerable<string> IValidatedOptions.Validate()
    {
        const string Name = nameof(DatabaseWorkerIdLeaseOptions);
        if (LeaseDuration < TimeSpan.FromSeconds(3) || LeaseDuration > TimeSpan.FromMinutes(10))
        {
            yield return Invariant($"{Name}.{nameof(LeaseDuration)} must be between 3 seconds and 10 minutes; got {LeaseDuration}.");
        }

        if (ReuseDelay < TimeSpan.Zero || ReuseDelay > TimeSpan.FromMinutes(10))
        {
            yield return Invariant($"{Name}.{nameof(ReuseDelay)} must be between 0 and 10 minutes; got {ReuseDelay}.");
        }

        if (OwnerName is { } name && (name.Length is 0 or > 60 || name.Any(char.IsControl)))
        {
            yield return Invariant($"{Name}.{nameof(OwnerName)} must be 1 to 60 printable characters; got {name.Length} characters.");
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
